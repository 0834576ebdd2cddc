"""The demo city: a few weeks of plausible cases, bound demo supervisors and demo logins (`flask --app bot demo seed`).

The seed moves `rt.clock` through the past weeks and drives the code the webhook and the scheduler drive —
`casework.submit` / `casework.act` for every step, the scheduler's ladder and rating sweeps at office hours — so
deadlines, escalations (督办), hot-spot alerts, the audit hash chains and the outbox rows are the genuine article.
Only two things are written directly: a merged case's `duplicate_of` (which `act("merge")` leaves to its caller),
and the past weeks' notices, marked delivered when they were due (that history happened), so the first scheduler
run does not flood the simulator with old news.

Three states never rest under casework: `submitted` (submit routes at once), `answered` (a reply asks for the
rating at once) and `returned` (a return goes straight back to triage). They appear in the audit trails, not as
current states; every other state has current cases.

Idempotent: a ledger row (`job_runs`: demo_seed/v1) records a finished seed; a second run does nothing unless
`--force`, which removes the demo citizens' cases (openids `o_demo_…`, including cases filed through the
simulator) and seeds again. Refused in production.

Development only: the openids below are fixed, invented strings that the simulator plays.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from bot.dev.demo_texts import ANSWERS
from bot.dev.demo_texts import COMPLAINTS
from bot.dev.demo_texts import EXTENSION_REASONS
from bot.dev.demo_texts import HOT_SPOT
from bot.dev.demo_texts import OCCURRED_TEXTS
from bot.dev.demo_texts import QUESTIONS
from bot.dev.demo_texts import REJECT_REASONS
from bot.dev.demo_texts import REPORTERS
from bot.dev.demo_texts import RETURN_REASONS
from bot.dev.demo_texts import UNSURE
from bot.dev.demo_texts import Complaint
from bot.runtime import Runtime
from bot.service import casework
from bot.service import jobs
from handlers.dialog_types import CaseDraft
from handlers.followup import Rating
from handlers.lifecycle import STATES
from handlers.lifecycle import IllegalTransition
from storage import cases as cases_repo
from storage import citizens
from storage import jobs as ledger
from storage import supervisors as sup_repo
from storage.models import Assignment
from storage.models import Case
from storage.models import CaseEvent
from storage.models import CaseMessage
from storage.models import Citizen
from storage.models import Dialog
from storage.models import Evidence
from storage.models import JobRun
from storage.models import OutboxMessage
from storage.models import ReminderStep
from storage.models import ReporterContact

log = logging.getLogger("zhiyong.demo")

SEED_JOB = "demo_seed"
SEED_PERIOD = "v1"
DEMO_PREFIX = "o_demo_"
# The citizens the simulator offers; the seed gives o_demo_2 and o_demo_3 a case each to play with, and leaves
# o_demo_1 with only a finished case so a new report starts cleanly.
DEMO_CITIZENS: tuple[str, ...] = ("o_demo_1", "o_demo_2", "o_demo_3")
REPORTER_POOL = tuple(f"o_demo_c{i:02d}" for i in range(1, 41))
OFFICE_ACTOR = "sup_triage"  # the campaign office's desk: approves extensions, merges, rejects
WORK_HOUR = 3600.0  # step offsets are in working hours (config calendar.working_hours), as staff see time
CHECKPOINT_HOUR = 10  # when the seed lets the scheduler's ladder and rating sweeps run, Beijing time


def supervisor_openid(supervisor_id: str) -> str:
    """The demo openid a configured supervisor is bound to (sup_bdc → o_demo_sup_bdc)."""
    return DEMO_PREFIX + supervisor_id


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


@dataclass
class SeedReport:
    seeded: bool
    cases: int = 0
    states: Counter[str] = field(default_factory=Counter)
    skipped_steps: int = 0
    removed: int = 0
    seconds: float = 0.0
    supervisors: list[tuple[str, str, str]] = field(default_factory=list)  # (id, name, openid)
    logins: list[str] = field(default_factory=list)
    message: str = ""


# -- idempotency ------------------------------------------------------------------------------------------------


def seed_state(rt: Runtime) -> str:
    """'done', 'partial' (a seed started and did not finish) or 'none'."""
    with rt.db.transaction() as session:
        row = session.scalars(sa.select(JobRun).where(JobRun.job == SEED_JOB, JobRun.period == SEED_PERIOD)).first()
    if row is None:
        return "none"
    return "done" if row.finished_at is not None else "partial"


def _demo_pseudonyms(rt: Runtime, session: orm.Session) -> set[str]:
    known = {rt.pseudonymize(o) for o in (*DEMO_CITIZENS, *REPORTER_POOL)}
    stored = session.scalars(sa.select(Citizen.pseudonym).where(Citizen.openid.like(DEMO_PREFIX + "%")))
    return known | set(stored)


def remove_demo(rt: Runtime) -> int:
    """Delete the demo citizens' cases and everything hanging off them; returns how many cases went."""
    with rt.db.transaction() as session:
        pseudonyms = _demo_pseudonyms(rt, session)
        ids = list(session.scalars(sa.select(Case.id).where(Case.pseudonym.in_(pseudonyms))))
        if ids:
            session.execute(sa.update(Case).where(Case.duplicate_of.in_(ids)).values(duplicate_of=None))
            # The audit table is append-only; reseeding the demo is the one sanctioned exception.
            with cases_repo.audit_maintenance(session=session, reason=f"demo reseed: {len(ids)} cases", at=rt.now()):
                session.execute(sa.delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
            for model in (CaseMessage, Evidence, ReporterContact, Assignment, ReminderStep, OutboxMessage):
                session.execute(sa.delete(model).where(model.case_id.in_(ids)))  # type: ignore[attr-defined]
            session.execute(sa.delete(Case).where(Case.id.in_(ids)))
        session.execute(sa.delete(OutboxMessage).where(OutboxMessage.recipient.in_(pseudonyms)))
        session.execute(sa.delete(Dialog).where(Dialog.pseudonym.in_(pseudonyms)))
        session.execute(sa.delete(JobRun).where(JobRun.job == SEED_JOB))
    return len(ids)


# -- the plan ---------------------------------------------------------------------------------------------------


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
    return [sign, reply, Step(rng.uniform(20, 40), "close", note="已电话回访，市民表示认可")]


def _created_at(rng: random.Random, rt: Runtime, day: date) -> datetime:
    # Most reports come in office hours, some in the evening or at the weekend (the ladder waits for Monday).
    hour = rng.choice([9, 10, 10, 11, 14, 15, 16, 16, 17, 20, 21, 22]) if rng.random() < 0.9 else rng.randint(7, 23)
    local = datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=cases_repo.BEIJING)
    return local.astimezone(UTC)


def build_plans(rt: Runtime, end: datetime, weeks: int, rng: random.Random) -> list[Plan]:
    """Background cases spread over `weeks`, plus pinned cases that leave every resting state at `end`."""
    cal = rt.calendar
    plans: list[Plan] = []
    start_day = (end - timedelta(weeks=weeks)).astimezone(cases_repo.BEIJING).date()
    end_day = end.astimezone(cases_repo.BEIJING).date()
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


# -- running it -------------------------------------------------------------------------------------------------


class _Seeder:
    """Replays the plans in time order. Case steps between two sweeps share one transaction (SQLite commits are
    what a seed spends its time on); the scheduler's sweeps run in their own, as they do in production."""

    def __init__(self, rt: Runtime, plans: list[Plan], end: datetime, rng: random.Random) -> None:
        self.rt = rt
        self.plans = plans
        self.end = end
        self.rng = rng
        self.case_ids: dict[int, int] = {}
        self.skipped = 0
        self.seq = itertools.count()
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self._tx: contextlib.ExitStack | None = None
        self._session: orm.Session | None = None

    def push(self, at: datetime, fn: Callable[[datetime], None]) -> None:
        # UTC, as the webhook's clock gives it: the audit hash covers the timestamp's text, and the database hands
        # timestamps back in UTC, so a Beijing-time `at` (the calendar's) would not verify later.
        at = at.astimezone(UTC)
        if at <= self.end:  # what would happen after "now" has not happened yet: the case stays where it is
            heapq.heappush(self.queue, (at, next(self.seq), fn))

    def checkpoints(self) -> list[datetime]:
        """The scheduler's moments: every day at CHECKPOINT_HOUR (its sweeps skip days off by themselves)."""
        start = min(p.at for p in self.plans)
        out: list[datetime] = []
        day = start.astimezone(cases_repo.BEIJING).date()
        while True:
            at = datetime(day.year, day.month, day.day, CHECKPOINT_HOUR, tzinfo=cases_repo.BEIJING)
            if at > self.end:
                return out
            if at > start:
                out.append(at)
            day += timedelta(days=1)

    # one shared transaction between sweeps ------------------------------------------------------------------

    def session(self) -> orm.Session:
        if self._session is None:
            self._tx = contextlib.ExitStack()
            self._session = self._tx.enter_context(self.rt.db.transaction())
        return self._session

    def commit(self) -> None:
        if self._tx is not None:
            tx, self._tx, self._session = self._tx, None, None
            tx.close()

    def run(self) -> None:
        for index, plan in enumerate(self.plans):
            self.push(plan.at, lambda at, i=index: self.submit(i, at))
        for at in self.checkpoints():
            self.push(at, self.sweep)
        original = self.rt.clock
        try:
            while self.queue:
                at, _, fn = heapq.heappop(self.queue)
                self.rt.clock = lambda at=at: at  # everything this step writes happens "at" that moment
                fn(at)
            self.commit()
        except BaseException:
            if self._tx is not None:
                tx, self._tx, self._session = self._tx, None, None
                tx.__exit__(*sys.exc_info())  # roll back the open batch
            raise
        finally:
            self.rt.clock = original
        self.deliver()

    def submit(self, index: int, at: datetime) -> None:
        rt, plan = self.rt, self.plans[index]
        c = plan.complaint
        offset, occurred_text = self.rng.choice(OCCURRED_TEXTS)
        draft = CaseDraft(
            text=c.text,
            category=c.category,
            unit=c.unit,
            classification=rt.classifier.classify(c.text),
            triage=c.unit is None,
            # The dialog's own values: named (a name or alias in the text), qr (a window code), classifier.
            unit_source="classifier" if c.unit is None else ("qr" if c.window and self.rng.random() < 0.5 else "named"),
            window=c.window,
            occurred_on=(at.astimezone(cases_repo.BEIJING) - timedelta(days=offset)).date(),
            occurred_text=occurred_text,
            anonymous=plan.contact is None,
            real_name=plan.contact[0] if plan.contact else None,
            phone=plan.contact[1] if plan.contact else None,
        )
        session = self.session()
        pseudonym = rt.pseudonymize(plan.openid)
        citizens.touch(session=session, pseudonym=pseudonym, openid=plan.openid, at=at, message=True)
        case = casework.submit(session, rt, draft, pseudonym, at)
        self.case_ids[index] = case.id
        self.next_step(index, 0, at)

    def next_step(self, index: int, position: int, after: datetime) -> None:
        steps = self.plans[index].steps
        if position >= len(steps):
            return
        at = self.rt.calendar.add_working_seconds(after, steps[position].after * WORK_HOUR)
        self.push(at, lambda when: self.step(index, position, when))

    def step(self, index: int, position: int, at: datetime) -> None:
        plan = self.plans[index]
        session = self.session()
        case = session.get(Case, self.case_ids[index])
        assert case is not None
        try:
            # act() checks the transition before it writes anything, so a refused step leaves no trace.
            self._apply(session, case, plan.steps[position], plan, at)
        except IllegalTransition:
            # The ladder got there first (e.g. escalated meanwhile): a real supervisor would do otherwise.
            self.skipped += 1
            return
        self.next_step(index, position + 1, at)

    def _apply(self, session: orm.Session, case: Case, step: Step, plan: Plan, at: datetime) -> None:
        rt = self.rt
        if step.action == "rate":
            assert step.rating is not None
            rating = Rating(*step.rating)
            action = "rate_satisfied" if rating.satisfied else "rate_unsatisfied"
            casework.act(session, rt, case, action, actor="citizen", now=at, note=rating.label, rating=step.rating)
            return
        actor = step.actor or self._handler(session, case)
        casework.act(session, rt, case, step.action, actor=actor, now=at, note=step.note, days=step.days)
        if step.action == "merge" and plan.duplicate_of is not None:
            case.duplicate_of = self.case_ids.get(plan.duplicate_of)

    def _handler(self, session: orm.Session, case: Case) -> str:
        assignees = cases_repo.assignees(session=session, case_id=case.id)
        for role in ("handler", "triage", "discipline"):
            for a in assignees:
                if a.role == role:
                    return a.supervisor_id
        return OFFICE_ACTOR

    def sweep(self, at: datetime) -> None:
        self.commit()
        jobs.sweep_reminders(self.rt, at)
        jobs.sweep_ratings(self.rt, at)

    def deliver(self) -> None:
        """Mark the notices of the demo's past as sent when they were due: they were delivered back then.

        One UPDATE instead of the sender's claim-and-settle per row: nothing is really sent (no WeChat to send
        to while seeding), and the rows must not reach the simulator's chats as a flood of old news.
        """
        with self.rt.db.transaction() as session:
            session.execute(
                sa.update(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= self.end)
                .values(
                    status="sent",
                    sent_at=OutboxMessage.next_attempt_at,
                    attempts=1,
                    sent_channel=sa.case((OutboxMessage.recipient_kind == "supervisor", "template"), else_="customer"),
                )
            )


def bind_demo_supervisors(rt: Runtime, now: datetime) -> list[tuple[str, str, str]]:
    """Bind every configured supervisor to its demo openid, through the same one-time code path as `绑定`."""
    bound: list[tuple[str, str, str]] = []
    with rt.db.transaction() as session:
        for sup in rt.settings.city.supervisors:
            openid = supervisor_openid(sup.id)
            code = f"{random.SystemRandom().randrange(10**6):06d}"
            sup_repo.issue_code(session=session, supervisor_id=sup.id, code=code, expires_at=now + timedelta(hours=1))
            target = sup_repo.supervisor_for_code(session=session, code=code, now=now)
            assert target == sup.id
            sup_repo.bind(session=session, supervisor_id=sup.id, openid=openid, pseudonym=rt.pseudonymize(openid),
                          now=now)  # fmt: skip
            bound.append((sup.id, sup.name, openid))
    return bound


DEMO_PASSWORD = "zhiyong-demo-1"  # printed by `demo seed`; development only
ADMIN_USERNAME = "admin"


def seed_staff(rt: Runtime, now: datetime) -> list[str]:
    """Demo console logins, one per configured supervisor (username = supervisor id) plus `admin`, all with
    DEMO_PASSWORD, made by the console's own rules (`bot.console.accounts.resolve`, `storage.staff.add`).

    Returns the lines `demo seed` prints. Existing usernames are left alone, so a re-run changes nothing.
    """
    try:
        from bot.console.accounts import AccountError
        from bot.console.accounts import resolve
        from bot.console.auth import hash_password
        from storage import staff as staff_repo
    except ImportError:
        return ["督办台账号：控制台尚未提供 storage.staff，暂无演示账号"]
    city = rt.settings.city
    wanted: list[tuple[str, str, str | None]] = []  # (username, role, supervisor id)
    for sup in city.supervisors:
        role = "unit_head" if sup.role == "unit_head" else ("office" if "zyb" in sup.units else "supervisor")
        wanted.append((sup.id, role, sup.id))
    wanted.append((ADMIN_USERNAME, "admin", None))
    created: list[str] = []
    password_hash = ""
    try:
        with rt.db.transaction() as session:
            for username, role, supervisor_id in wanted:
                if staff_repo.by_username(session=session, username=username) is not None:
                    continue
                spec = resolve(city, username=username, role=role, units=(), supervisor_id=supervisor_id,
                               member_of=None, display_name="系统管理员" if role == "admin" else None)  # fmt: skip
                # One scrypt hash shared by every demo account: each costs ~0.2 s, and the password is the same.
                password_hash = password_hash or hash_password(DEMO_PASSWORD)
                staff_repo.add(session=session, username=username, display_name=spec.display_name,
                               password_hash=password_hash, role=spec.role, units=spec.units,
                               member_of=spec.member_of, supervisor_id=spec.supervisor_id, now=now)  # fmt: skip
                created.append(username)
    except (AccountError, TypeError, sa.exc.SQLAlchemyError) as exc:
        # The console is young: a changed rule or a missing migration must not stop the demo from starting.
        reason = f"{type(exc).__name__}: {exc}"[:160]
        return [f"督办台演示账号未创建（{reason}）；可用 flask --app bot staff create 创建"]
    names = ", ".join(username for username, _, _ in wanted)
    fresh = f"（本次新建 {len(created)} 个）" if created else ""
    return [f"督办台 {rt.settings.env.public_base_url}/console/ 登录（密码均为 {DEMO_PASSWORD}）：{names}{fresh}"]


def seed(rt: Runtime, *, weeks: int = 6, force: bool = False, rng_seed: int = 8) -> SeedReport:
    """Seed the demo city unless it is already there; `force` removes the demo cases first and seeds again."""
    if rt.settings.env.environment == "production":
        raise RuntimeError("demo seed is for development and tests; ZHIYONG_ENV is production")
    if weeks < 1 or weeks > 26:
        raise ValueError("weeks must be between 1 and 26")
    started = time.perf_counter()
    state = seed_state(rt)
    if state == "done" and not force:
        report = SeedReport(seeded=False, message="演示数据已存在，跳过（--force 重新生成）")
        report.supervisors = _bound_demo(rt)
        report.logins = seed_staff(rt, rt.now())
        return report
    removed = remove_demo(rt) if state != "none" or force else 0
    end = rt.now().astimezone(UTC)
    with rt.db.transaction() as session:
        ledger.claim_run(session=session, job=SEED_JOB, period=SEED_PERIOD, now=end)
    rng = random.Random(rng_seed)
    plans = build_plans(rt, end, weeks, rng)
    first = min(p.at for p in plans)
    supervisors = bind_demo_supervisors(rt, first - timedelta(days=1))
    seeder = _Seeder(rt, plans, end, rng)
    # casework logs every step at INFO; hundreds of historical steps would bury what `make run` prints.
    cases_log = logging.getLogger("zhiyong.cases")
    level = cases_log.level
    cases_log.setLevel(logging.WARNING)
    try:
        seeder.run()
        _balance_bdc(rt, end, seeder)
    finally:
        cases_log.setLevel(level)
    with rt.db.transaction() as session:
        states = Counter(dict(session.execute(sa.select(Case.state, sa.func.count()).where(
            Case.id.in_(list(seeder.case_ids.values()))).group_by(Case.state)).all()))  # fmt: skip
        ledger.finish_run(session=session, job=SEED_JOB, period=SEED_PERIOD, now=end,
                          result=f"{len(seeder.case_ids)} cases over {weeks} weeks")  # fmt: skip
    report = SeedReport(
        seeded=True,
        cases=len(seeder.case_ids),
        states=states,
        skipped_steps=seeder.skipped,
        removed=removed,
        seconds=time.perf_counter() - started,
        supervisors=supervisors,
        logins=seed_staff(rt, end),
    )
    log.info("demo seeded cases=%s skipped_steps=%s removed=%s seconds=%.1f", report.cases, report.skipped_steps,
             removed, report.seconds)  # fmt: skip
    return report


def _open_load(rt: Runtime, supervisor_id: str) -> int:
    from handlers.lifecycle import OPEN_STATES

    with rt.db.transaction() as session:
        return cases_repo.open_load(session=session, open_states=OPEN_STATES).get(supervisor_id, 0)


def _balance_bdc(rt: Runtime, end: datetime, seeder: _Seeder) -> None:
    """Leave sup_bdc (李督办) no busier than sup_bdc2, so the tour's first 不动产 report is routed to sup_bdc.

    Routing gives a report to the less busy eligible supervisor (ties by id). A few more 不动产 reports in the
    last hour, each routed the ordinary way to the less busy one, level the two.
    """
    city = rt.settings.city
    if not {"sup_bdc", "sup_bdc2"} <= {s.id for s in city.supervisors}:
        return
    extra = [c for c in COMPLAINTS if c.unit == "bdc"]
    original = rt.clock
    try:
        for i in range(20):
            if _open_load(rt, "sup_bdc") <= _open_load(rt, "sup_bdc2"):
                break
            at = end - timedelta(minutes=40 - i)
            seeder.plans.append(Plan(at, extra[i % len(extra)], REPORTER_POOL[20 + i % 20]))
            rt.clock = lambda at=at: at
            seeder.submit(len(seeder.plans) - 1, at)
            seeder.commit()
        seeder.deliver()
    finally:
        rt.clock = original


def _bound_demo(rt: Runtime) -> list[tuple[str, str, str]]:
    names = {s.id: s.name for s in rt.settings.city.supervisors}
    with rt.db.transaction() as session:
        rows = sup_repo.bindings(session=session)
    return [
        (sid, names.get(sid, sid), b.openid) for sid, b in rows.items() if b.openid and b.openid.startswith(DEMO_PREFIX)
    ]


def describe(report: SeedReport, base_url: str) -> list[str]:
    """What `demo seed` prints: what happened, where to go, and who to be."""
    lines: list[str] = []
    if report.seeded:
        lines.append(f"演示城市已生成：{report.cases} 件工单（{report.seconds:.1f} 秒）")
        lines.append("  " + "  ".join(f"{STATES.get(s, s)}{n}" for s, n in sorted(report.states.items())))
        if report.removed:
            lines.append(f"  （已先删除旧的演示工单 {report.removed} 件）")
    else:
        lines.append(report.message)
    lines.append(f"  模拟器：{base_url}/simulator/   市民：{', '.join(DEMO_CITIZENS)}")
    if report.supervisors:
        sups = ", ".join(f"{name}({sid})={openid}" for sid, name, openid in report.supervisors[:4])
        lines.append(f"  已绑定的演示督办员：{sups} 等 {len(report.supervisors)} 人")
    lines.extend("  " + line for line in report.logins)
    return lines
