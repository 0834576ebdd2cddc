"""The scheduler's fixed jobs, each idempotent and driven by the database, plus `run_due` for `jobs run --at`.

Nothing here depends on APScheduler: `bot.scheduler` calls `run_job` on intervals, and operators or tests call
`run_due(rt, at)` with any moment. A run ledger (UNIQUE job, period) makes a second scheduler harmless; ladder
rungs are recorded once per (case, step, deadline) so they fire exactly once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo

import sqlalchemy as sa

from bot.runtime import Runtime
from bot.service import casework
from bot.service import dossier
from bot.service import notify
from handlers import ladder
from handlers.deadlines import rating_period_end
from handlers.lifecycle import AWAITING_ANSWER
from handlers.lifecycle import CaseState
from handlers.lifecycle import IllegalTransition
from handlers.overdue import is_overdue
from storage import cases as cases_repo
from storage import dialogs
from storage import jobs as ledger
from storage import outbox
from storage import rehearsal
from storage.models import Case
from storage.models import Dialog

log = logging.getLogger("zhiyong.jobs")


@dataclass(frozen=True, slots=True)
class JobResult:
    job: str
    period: str
    ran: bool
    summary: str


def _minute(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


# -- ladder ---------------------------------------------------------------------------------------------------


def _unit_heads(rt: Runtime, unit: str | None) -> list[str]:
    return [s.id for s in rt.settings.city.supervisors if s.role == "unit_head" and s.member_of == unit]


def _office(rt: Runtime) -> list[str]:
    return [s.id for s in rt.settings.city.office_desk()]


def sweep_reminders(rt: Runtime, now: datetime, *, batch: int = 500) -> str:
    """Fire every due rung once; outside working hours nothing fires (the next working-time sweep does it)."""
    if not rt.calendar.is_working_time(now):
        return "outside working hours"
    cfg = rt.settings.city.escalation
    fired = 0
    seen = 0
    while True:
        with rt.db.transaction() as session:
            stmt = (
                sa.select(Case)
                .where(Case.next_reminder_at <= now, Case.state.in_(list(AWAITING_ANSWER)))
                .order_by(Case.next_reminder_at, Case.id)
                .limit(batch)
            )
            if session.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True)
            rows = list(session.scalars(stmt))
            notices = notify.SupervisorNotices(session, rt, now)
            for case in rows:
                seen += 1
                for rung in ladder.due_rungs(casework.ladder_case(case), now, rt.calendar, cfg):
                    if ledger.fire_step(session=session, case_id=case.id, step=rung.step, deadline=rung.deadline,
                                        now=now):  # fmt: skip
                        fired += 1
                        _fire(session, rt, case, rung, now, notices)
                if is_overdue(case.state, case.answer_due, now):
                    case.overdue = True  # the ladder's record that the case went 超期 (handlers.overdue)
                casework.reschedule(session, rt, case)
            notices.flush()
        if len(rows) < batch:
            break
    return f"{seen} cases checked, {fired} rungs fired"


def _fire(session, rt: Runtime, case: Case, rung: ladder.Rung, now: datetime,  # type: ignore[no-untyped-def]
          notices: notify.SupervisorNotices) -> None:  # fmt: skip
    recipients: list[str] = []
    if "handlers" in rung.recipients:
        recipients += [a.supervisor_id for a in cases_repo.assignees(session=session, case_id=case.id)]
    if "unit_head" in rung.recipients:
        recipients += _unit_heads(rt, case.respondent_unit)
    if "office" in rung.recipients:
        recipients += _office(rt)
    cases_repo.append_event(session=session, case=case, at=now, actor="system", action=rung.step,
                            from_state=case.state, to_state=case.state, note=ladder.STEP_LABELS[rung.step])  # fmt: skip
    if rung.step == "answer_supervise":
        dossier.on_overdue(session, rt, case, now)  # 超期: on the unit's officials' 活档案
        try:
            casework.act(session, rt, case, "escalate", actor="system", now=now, note="超期督办")
        except IllegalTransition:
            pass  # already escalated: the notices still go out
    for sup in dict.fromkeys(recipients):
        notices.add(case, sup, rung.step)


# -- ratings and idle drafts ----------------------------------------------------------------------------------


def sweep_ratings(rt: Runtime, now: datetime) -> str:
    cfg = rt.settings.city.escalation
    reminded = closed = 0
    with rt.db.transaction() as session:
        rows = list(
            session.scalars(sa.select(Case).where(Case.state == CaseState.RATING, Case.answered_at.is_not(None)))
        )
        for case in rows:
            assert case.answered_at is not None
            if now >= rating_period_end(case.answered_at, cfg.rating_autoclose_days, rt.calendar):
                casework.act(session, rt, case, "close", actor="system", now=now, note="市民未评价，按期自动办结")
                closed += 1
            elif now >= rt.calendar.add_working_days(case.answered_at, cfg.rating_reminder_days) and (
                rt.calendar.is_working_time(now)
            ):
                if ledger.fire_step(session=session, case_id=case.id, step="rating_remind", deadline=case.answered_at,
                                    now=now):  # fmt: skip
                    notify.notify_citizen(session, rt, case, "request_rating", now, seq=10_000 + case.id)
                    reminded += 1
    return f"{reminded} rating reminders, {closed} closed without rating"


def sweep_dialogs(rt: Runtime, now: datetime) -> str:
    """Nudge a citizen once about a draft left for a day (while WeChat still lets us write); drop week-old drafts."""
    nudged = dropped = 0
    with rt.db.transaction() as session:
        for pseudonym in dialogs.idle_since(session=session, before=now - timedelta(days=7)):
            dialogs.clear(session=session, pseudonym=pseudonym)
            dropped += 1
        rows = session.scalars(
            sa.select(Dialog).where(
                Dialog.updated_at < now - timedelta(hours=24), Dialog.updated_at >= now - timedelta(hours=47)
            )  # fmt: skip
        )
        for row in rows:
            if isinstance(row.data, dict) and row.data.get("stage") == "survey":
                continue  # a survey left half-answered is not a report to finish: the citizen is not nagged
            added = outbox.enqueue(
                session=session,
                key=f"draft:{row.pseudonym}:{row.updated_at.isoformat()}",
                recipient_kind="citizen",
                recipient=row.pseudonym,
                purpose="draft_reminder",
                channel="customer",
                payload={
                    "text": "您有一条尚未提交的反映。回复“继续”接着填写，回复“重新开始”重新反映，回复“取消”放弃。"
                },
                now=now,
            )
            nudged += added
    return f"{nudged} drafts nudged, {dropped} stale drafts dropped"


# -- the registry ---------------------------------------------------------------------------------------------


def _drain(rt: Runtime, now: datetime) -> str:
    from bot.wechat.sender import drain

    return str(drain(rt, now=now).as_dict())


def _evidence(rt: Runtime, now: datetime) -> str:
    from bot.wechat.evidence_fetch import fetch_pending

    return str(fetch_pending(rt, now=now).as_dict())


def _retention(rt: Runtime, now: datetime) -> str:
    from bot.service.retention import run as retention_run

    return str(retention_run(rt, now=now))


def _day(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d")


def _audit_checkpoint(rt: Runtime, now: datetime) -> str:
    from bot.service.audit_anchor import write_checkpoint

    return write_checkpoint(rt, now)


def _surveys(rt: Runtime, now: datetime) -> str:
    from bot.service.surveys import sweep

    return sweep(rt, now)


def _digest(rt: Runtime, now: datetime) -> str:
    from bot.service.digest import send_weekly

    return send_weekly(rt, now)


# name -> (function, period of its ledger entry or None when the job's own claims make it idempotent)
JOBS: dict[str, tuple[Callable[[Runtime, datetime], str], Callable[[datetime, tzinfo], str] | None]] = {
    "outbox": (_drain, None),
    "reminders": (sweep_reminders, _minute),
    "ratings": (sweep_ratings, _minute),
    "dialogs": (sweep_dialogs, _minute),
    "evidence": (_evidence, None),
    "digest": (_digest, None),  # its weekly ledger entry is taken inside send_weekly
    "surveys": (_surveys, _minute),  # close at the closing time (民主测评 → 活档案), mix answers, old scans
    "retention": (_retention, _day),
    "audit_checkpoint": (_audit_checkpoint, _day),
}


# What a job that reaches outside the database (WeChat, files) does in a dry run instead: it only says what it
# would do. The other jobs run for real inside the dry run's rolled-back transaction (bot.service.dry_run).
def _dry_drain(rt: Runtime, now: datetime) -> str:
    with rt.db.transaction() as session:
        due = rehearsal.outbox_due(session=session, now=now)
    return f"would send {due} due message(s) to WeChat (dry run: nothing sent)"


def _dry_evidence(rt: Runtime, now: datetime) -> str:
    with rt.db.transaction() as session:
        due = rehearsal.evidence_due(session=session, now=now)
    return f"would download {due} evidence file(s) (dry run: nothing fetched or written)"


def _dry_retention(rt: Runtime, now: datetime) -> str:
    from bot.service.retention import run as retention_run

    report = retention_run(rt, now=now, dry_run=True)
    return f"would anonymise {report.cases} case(s), delete {report.evidence_files} file(s) (dry run: nothing changed)"


def _dry_checkpoint(rt: Runtime, now: datetime) -> str:
    from bot.service.audit_anchor import checkpoint_dir

    day = now.astimezone(rt.tz).strftime("%Y-%m-%d")
    if (checkpoint_dir(rt) / f"checkpoint-{day}.json").exists():
        return f"checkpoint {day} already written"
    return f"would write checkpoint-{day}.json (dry run: nothing written)"


DRY: dict[str, Callable[[Runtime, datetime], str]] = {
    "outbox": _dry_drain,
    "evidence": _dry_evidence,
    "retention": _dry_retention,
    "audit_checkpoint": _dry_checkpoint,
}


_NUMBER = re.compile(r"\d+")


def _idle(summary: str) -> bool:
    return summary == "outside working hours" or all(n == "0" for n in _NUMBER.findall(summary))


def run_job(rt: Runtime, name: str, now: datetime, *, dry_run: bool = False) -> JobResult:
    """Run one job as of `now`. `dry_run` swaps the jobs that reach outside for their `DRY` account; only
    `bot.service.dry_run.rehearse` may pass it (it rolls back whatever the others do)."""
    fn, period_of = JOBS[name]
    if dry_run:
        fn = DRY.get(name, fn)
    rt.refresh_calendar()  # a schedule imported by another process applies from the next minute on
    period = period_of(now, rt.tz) if period_of else ""
    if period_of is not None:
        with rt.db.transaction() as session:
            if not ledger.claim_run(session=session, job=name, period=period, now=now):
                return JobResult(name, period, False, "already run for this period")
    summary = fn(rt, now)
    if period_of is not None:
        with rt.db.transaction() as session:
            ledger.finish_run(session=session, job=name, period=period, now=rt.now(), result=summary)
    # A tick that found nothing to do (every count 0) is not news: the outbox alone ticks every few seconds.
    log.log(logging.DEBUG if _idle(summary) else logging.INFO, "job %s period=%s: %s", name, period or "-", summary)
    return JobResult(name, period, True, summary)


def run_due(rt: Runtime, at: datetime) -> list[JobResult]:
    """Run every job once as of `at`, for real (the tests' clock; `jobs run --at`). For a dry run that changes
    nothing, see `bot.service.dry_run.rehearse`."""
    return [run_job(rt, name, at) for name in JOBS]
