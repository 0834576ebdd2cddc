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
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from bot.dev import demo_accountability
from bot.dev import demo_reviews
from bot.dev import demo_surveys
from bot.dev.demo_accounts import DEMO_CITIZENS
from bot.dev.demo_accounts import DEMO_PREFIX
from bot.dev.demo_accounts import bind_demo_supervisors
from bot.dev.demo_accounts import bound_demo
from bot.dev.demo_accounts import seed_staff
from bot.dev.demo_plan import OFFICE_ACTOR
from bot.dev.demo_plan import REPORTER_POOL
from bot.dev.demo_plan import WORK_HOUR
from bot.dev.demo_plan import Plan
from bot.dev.demo_plan import Step
from bot.dev.demo_plan import build_plans
from bot.dev.demo_texts import COMPLAINTS
from bot.dev.demo_texts import OCCURRED_TEXTS
from bot.runtime import Runtime
from bot.service import casework
from bot.service import jobs
from handlers.dialog.types import CaseDraft
from handlers.followup import Rating
from handlers.lifecycle import STATES
from handlers.lifecycle import IllegalTransition
from storage import cases as cases_repo
from storage import citizens
from storage import jobs as ledger
from storage.models import Assignment
from storage.models import Case
from storage.models import CaseEvent
from storage.models import CaseMessage
from storage.models import CaseRequest
from storage.models import Citizen
from storage.models import Dialog
from storage.models import Evidence
from storage.models import JobRun
from storage.models import OutboxMessage
from storage.models import ReminderStep
from storage.models import ReporterContact
from storage.models import RevealRequest

log = logging.getLogger("zhiyong.demo")


SEED_JOB = "demo_seed"


SEED_PERIOD = "v1"


CHECKPOINT_HOUR = 10  # when the seed lets the scheduler's ladder and rating sweeps run, Beijing time


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
        ids = list(session.scalars(sa.select(Case.id).where(Case.pseudonym.in_(pseudonyms | demo_reviews.case_pseudonyms(
            session)))))  # fmt: skip
        demo_reviews.remove(session, pseudonyms)
        if ids:
            demo_accountability.remove(session, ids)
            session.execute(sa.update(Case).where(Case.duplicate_of.in_(ids)).values(duplicate_of=None))
            # The audit table is append-only; reseeding the demo is the one sanctioned exception.
            with cases_repo.audit_maintenance(session=session, reason=f"demo reseed: {len(ids)} cases", at=rt.now()):
                session.execute(sa.delete(CaseEvent).where(CaseEvent.case_id.in_(ids)))
            for model in (CaseMessage, Evidence, ReporterContact, Assignment, ReminderStep, OutboxMessage,
                          RevealRequest, CaseRequest):  # fmt: skip
                session.execute(sa.delete(model).where(model.case_id.in_(ids)))  # type: ignore[attr-defined]
            session.execute(sa.delete(Case).where(Case.id.in_(ids)))
        session.execute(sa.delete(OutboxMessage).where(OutboxMessage.recipient.in_(pseudonyms)))
        session.execute(sa.delete(Dialog).where(Dialog.pseudonym.in_(pseudonyms)))
        demo_surveys.remove(session, pseudonyms)
        session.execute(sa.delete(JobRun).where(JobRun.job == SEED_JOB))
    return len(ids)


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
        day = start.astimezone(self.rt.tz).date()
        while True:
            at = datetime(day.year, day.month, day.day, CHECKPOINT_HOUR, tzinfo=self.rt.tz)
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
            occurred_on=(at.astimezone(self.rt.tz) - timedelta(days=offset)).date(),
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
        for role in ("handler", "triage"):
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
        report.supervisors = bound_demo(rt)
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
    logins = seed_staff(rt, end)
    logins.append(demo_accountability.seed(rt, set(seeder.case_ids.values()), end))
    logins.append(demo_surveys.seed(rt, end))
    line, reviews = demo_reviews.seed(rt, end)
    logins.append(line)
    seeder.deliver()  # the review case's and the appeal's notices happened back then too
    report = SeedReport(
        seeded=True,
        cases=len(seeder.case_ids) + reviews,
        states=states,
        skipped_steps=seeder.skipped,
        removed=removed,
        seconds=time.perf_counter() - started,
        supervisors=supervisors,
        logins=logins,
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
