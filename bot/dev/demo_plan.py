"""The demo city's history as a plan: who reports what, when, and what becomes of each case (answered, rated,
returned, merged, escalated ...), drawn from a seeded random generator so every run plans the same weeks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

from bot.dev.demo_texts import ANSWERS
from bot.dev.demo_texts import COMPLAINTS
from bot.dev.demo_texts import EXTENSION_REASONS
from bot.dev.demo_texts import HOT_SPOT
from bot.dev.demo_texts import QUESTIONS
from bot.dev.demo_texts import REJECT_REASONS
from bot.dev.demo_texts import REPORTERS
from bot.dev.demo_texts import RETURN_REASONS
from bot.dev.demo_texts import UNSURE
from bot.dev.demo_texts import Complaint
from bot.runtime import Runtime

REPORTER_POOL = tuple(f"o_demo_c{i:02d}" for i in range(1, 41))


OFFICE_ACTOR = "sup_triage"  # the campaign office's desk: approves extensions, merges, rejects


WORK_HOUR = 3600.0  # step offsets are in working hours (config calendar.working_hours), as staff see time


@dataclass(frozen=True)
class Step:
    """One later step of a case: `after` working hours after the previous step."""

    after: float
    action: str  # a lifecycle action; "rate" for the citizen's rating
    note: str | None = None
    days: int | None = None
    rating: tuple[str, str] | None = None
    actor: str | None = None  # None: the case's handler (or the triage desk's supervisor)


@dataclass
class Plan:
    at: datetime
    complaint: Complaint
    openid: str
    steps: list[Step] = field(default_factory=list)
    contact: tuple[str, str] | None = None
    duplicate_of: int | None = None  # index of the plan this one repeats (merged into it)


def _answer(rng: random.Random, category: str) -> str:
    return rng.choice(ANSWERS.get(category) or ANSWERS["other"])


def _satisfied(rng: random.Random) -> tuple[str, str]:
    return rng.choices([("1", "A"), ("1", "B"), ("2", "A"), ("2", "B")], weights=[50, 25, 10, 15])[0]


def _fate(rng: random.Random, complaint: Complaint) -> list[Step]:
    """A whole life for a case; the seed's end cuts it wherever "now" falls, which leaves the recent cases open."""
    cat = complaint.category
    sign = Step(rng.uniform(0.5, 6), "sign")
    reply = Step(rng.uniform(8, 30), "reply", note=_answer(rng, cat))
    rate = Step(rng.uniform(2, 16), "rate", rating=_satisfied(rng), actor="citizen")
    fate = rng.choices(
        ["satisfied", "redo", "silent", "late", "extension", "question", "returned", "rejected", "closed_by_sup"],
        weights=[42, 8, 10, 8, 7, 7, 4, 2, 5],
    )[0]
    if complaint.unit is None:
        # The triage desk finds unsure reports out of scope (the most recent still wait in triage).
        return [Step(rng.uniform(2, 10), "reject", note=rng.choice(REJECT_REASONS), actor=OFFICE_ACTOR)]
    if fate == "satisfied":
        return [sign, reply, rate]
    if fate == "redo":
        unhappy = Step(
            rng.uniform(2, 16), "rate", rating=rng.choice([("3", "C"), ("2", "C"), ("3", "B")]), actor="citizen"
        )
        again = Step(rng.uniform(10, 30), "reply", note="经重新核查：" + _answer(rng, cat))
        return [sign, reply, unhappy, Step(rng.uniform(1, 5), "sign"), again, rate]
    if fate == "silent":
        return [sign, reply]  # the rating sweep reminds, then closes it after 7 working days
    if fate == "late":
        # Nobody signs until the ladder has urged and escalated it (督办), then it is handled.
        return [Step(rng.uniform(70, 90), "sign"), reply, rate]
    if fate == "extension":
        days = rng.choice([3, 5, 10])
        return [
            sign,
            Step(rng.uniform(4, 20), "request_extension", note=rng.choice(EXTENSION_REASONS), days=days),
            Step(rng.uniform(1, 6), "approve_extension", days=days, actor=OFFICE_ACTOR),
            Step(rng.uniform(20, 50), "reply", note=_answer(rng, cat)),
            rate,
        ]
    if fate == "question":
        return [sign, Step(rng.uniform(1, 8), "ask", note=rng.choice(QUESTIONS)), reply, rate]
    if fate == "returned":
        return [sign, Step(rng.uniform(1, 6), "return", note=rng.choice(RETURN_REASONS)),
                Step(rng.uniform(2, 12), "reject", note=rng.choice(REJECT_REASONS), actor=OFFICE_ACTOR)]  # fmt: skip
    if fate == "rejected":
        return [Step(rng.uniform(1, 8), "reject", note=rng.choice(REJECT_REASONS), actor=OFFICE_ACTOR)]
    # The handler asks to close before the citizen rates; the office approves it (a direct 办结 is refused).
    return [sign, reply, Step(rng.uniform(20, 40), "request_close_early", note="已电话回访，市民表示认可"),
            Step(rng.uniform(1, 6), "approve_close_early", note="同意提前办结", actor=OFFICE_ACTOR)]  # fmt: skip


def _created_at(rng: random.Random, rt: Runtime, day: date) -> datetime:
    # Most reports come in office hours, some in the evening or at the weekend (the ladder waits for Monday).
    hour = rng.choice([9, 10, 10, 11, 14, 15, 16, 16, 17, 20, 21, 22]) if rng.random() < 0.9 else rng.randint(7, 23)
    local = datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=rt.tz)
    return local.astimezone(UTC)


def build_plans(rt: Runtime, end: datetime, weeks: int, rng: random.Random) -> list[Plan]:
    """Background cases spread over `weeks`, plus pinned cases that leave every resting state at `end`."""
    cal = rt.calendar
    plans: list[Plan] = []
    start_day = (end - timedelta(weeks=weeks)).astimezone(rt.tz).date()
    end_day = end.astimezone(rt.tz).date()
    day = start_day
    while day < end_day:
        workday = cal.is_working_day(day) if cal.is_known(day) else day.weekday() < 5
        for _ in range(rng.choice([1, 2, 2, 3]) if workday else rng.choice([0, 0, 1])):
            # One report in twenty names no unit: the triage desk's share.
            complaint = rng.choice(UNSURE) if rng.random() < 0.05 else rng.choice(COMPLAINTS)
            contact = rng.choice(REPORTERS) if rng.random() < 0.2 else None
            plans.append(Plan(_created_at(rng, rt, day), complaint, rng.choice(REPORTER_POOL), _fate(rng, complaint),
                              contact))  # fmt: skip
        day += timedelta(days=1)

    def back(working_hours: float) -> datetime:
        return cal.add_working_seconds(end, -working_hours * WORK_HOUR)

    def pick(unit: str, category: str | None = None) -> Complaint:
        return next(c for c in COMPLAINTS if c.unit == unit and (category is None or c.category == category))

    a = ANSWERS
    pinned = [
        # o_demo_1: one finished case (rated), nothing open, so the simulator's first report starts cleanly.
        Plan(back(120), pick("gjj", "obstruction"), "o_demo_1",
             [Step(2, "sign"), Step(12, "reply", note=a["obstruction"][0]), Step(3, "rate", rating=("1", "A"), actor="citizen")]),
        # o_demo_2: the supervisor asked a question the citizen has not answered yet (the next message answers).
        Plan(back(14), pick("gaj", "obstruction"), "o_demo_2", [Step(2, "sign"), Step(3, "ask", note=QUESTIONS[0])]),
        # o_demo_3: answered and waiting for the citizen's rating (reply 1A / 3C in the simulator).
        Plan(back(20), pick("swj", "attitude"), "o_demo_3", [Step(1, "sign"), Step(8, "reply", note=a["attitude"][1])]),
        Plan(back(2), pick("cgj", "access"), REPORTER_POOL[0]),  # assigned, within the sign deadline
        Plan(back(1.5), UNSURE[0], REPORTER_POOL[1]),  # triage: the classifier was unsure
        Plan(back(6), pick("rsj", "incompetence"), REPORTER_POOL[2], [Step(2, "sign")]),  # signed
        Plan(back(24), pick("ybj", "obstruction"), REPORTER_POOL[3],
             [Step(3, "sign"), Step(4, "request_extension", note=EXTENSION_REASONS[0], days=5)]),  # extension
        Plan(back(36), pick("zjj", "attitude"), REPORTER_POOL[4],
             [Step(2, "sign"), Step(10, "reply", note=a["attitude"][2]),
              Step(4, "rate", rating=("3", "C"), actor="citizen")]),  # reopened
        Plan(back(80), pick("jtj", "obstruction"), REPORTER_POOL[5]),  # nobody acted: escalated (督办), overdue
        Plan(back(10), pick("mzj", "attitude"), REPORTER_POOL[6], [Step(2, "return", note=RETURN_REASONS[1])]),  # back to triage
        Plan(back(30), pick("cgs", "corruption"), REPORTER_POOL[7],
             [Step(1, "sign"), Step(6, "ask", note=QUESTIONS[1])], contact=REPORTERS[0]),  # 纪委 too; real name
        Plan(back(60), pick("scj", "abuse"), REPORTER_POOL[8], [Step(3, "reject", note=REJECT_REASONS[1], actor=OFFICE_ACTOR)]),
    ]  # fmt: skip
    # The hot spot: four citizens about 不动产 window 3 within three days; the fourth is merged as a duplicate.
    first = len(plans) + len(pinned)
    for i, complaint in enumerate(HOT_SPOT):
        steps = [Step(3 + i, "sign")] if i < 3 else [Step(2, "merge", note="与同窗口反映合并办理", actor=OFFICE_ACTOR)]
        pinned.append(Plan(back(26 - 6 * i), complaint, REPORTER_POOL[10 + i], steps,
                           duplicate_of=first if i == 3 else None))  # fmt: skip
    return plans + pinned
