"""The reminder and escalation ladder: which rungs are due for a case at a moment, on the working calendar.

Pure. Each rung is identified by (step, deadline) so storage can record it once and never fire it again; a new
deadline (延期, 重办) starts a fresh set of rungs. Nothing fires outside working hours: the sweep that runs at
the next working moment picks it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from handlers.calendar import WorkCalendar
from handlers.config import Escalation
from handlers.deadlines import share_used_at
from handlers.lifecycle import AWAITING_ANSWER

# step -> who hears about it
RECIPIENTS: dict[str, tuple[str, ...]] = {
    "sign_urge": ("handlers",),
    "answer_remind": ("handlers",),
    "answer_urge": ("handlers", "unit_head"),
    "answer_supervise": ("handlers", "office"),
}
STEP_LABELS = {
    "sign_urge": "签收超时催办",
    "answer_remind": "即将到期提醒",
    "answer_urge": "到期催办",
    "answer_supervise": "超期督办",
}


@dataclass(frozen=True, slots=True)
class LadderCase:
    """What the ladder reads of a case: its state and deadlines (not a clock: time is passed in as `now`)."""

    case_id: int
    state: str
    signed: bool
    sign_due: datetime | None
    answer_started: datetime
    answer_due: datetime | None


@dataclass(frozen=True, slots=True)
class Rung:
    step: str
    deadline: datetime  # the deadline this rung belongs to (part of its once-only key)
    fires_at: datetime

    @property
    def recipients(self) -> tuple[str, ...]:
        return RECIPIENTS[self.step]


def rungs(case: LadderCase, cal: WorkCalendar, cfg: Escalation) -> list[Rung]:
    """Every rung of the ladder for this case's current deadlines, due or not."""
    out: list[Rung] = []
    if case.state not in AWAITING_ANSWER:
        return out
    if not case.signed and case.sign_due is not None and case.state in ("assigned", "escalated"):
        out.append(Rung("sign_urge", case.sign_due, case.sign_due))
    if case.answer_due is not None:
        due = case.answer_due
        if case.answer_started < due:
            remind = share_used_at(case.answer_started, due, cfg.remind_share, cal)
            out.append(Rung("answer_remind", due, remind))
        out.append(Rung("answer_urge", due, due))
        supervise = cal.add_working_days(due, cfg.supervise_after_days) if cfg.supervise_after_days else due
        out.append(Rung("answer_supervise", due, supervise))
    return out


def due_rungs(case: LadderCase, now: datetime, cal: WorkCalendar, cfg: Escalation) -> list[Rung]:
    """Rungs whose time has come, provided it is working time now (reminders wait for office hours)."""
    if not cal.is_working_time(now):
        return []
    return [r for r in rungs(case, cal, cfg) if r.fires_at <= now]
