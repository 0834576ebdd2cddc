"""Loading the State Council's holiday schedule (`flask --app bot calendar import FILE`): store it for every
process, switch this process's calendar, and recompute the deadlines of the open cases — each change an audit
event on the case.

A deadline keeps its number of working days from its start (submission for the sign-for deadline; submission or
重办 for the answer deadline, approved 延期 included): counted on the calendar before the import, laid out again
on the new one (`handlers.deadlines.carry_over`). A deadline already met (signed, answered) is history and stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import casework
from handlers.calendar import WorkCalendar
from handlers.deadlines import carry_over
from handlers.lifecycle import OPEN_STATES
from handlers.schedule import OfficialDay
from handlers.schedule import OfficialSchedule
from storage import calendar as calendar_repo
from storage import case_lists
from storage import cases as cases_repo
from storage.models import Case


@dataclass
class ImportReport:
    years: list[int]
    days: int
    days_changed: int
    changes: list[tuple[str, str]] = field(default_factory=list)  # (case number, what moved)


def import_schedule(
    rt: Runtime, schedule: OfficialSchedule, *, source: str, sha256: str, now: datetime
) -> ImportReport:
    """Replace the imported schedule of the file's years and recompute open cases, in one transaction."""
    old_official, old = rt.official_schedule, rt.calendar
    rows = [(d.day, d.kind, d.name) for d in schedule.days]
    try:
        with rt.db.transaction() as session:
            record = calendar_repo.replace_years(session=session, years=schedule.years, rows=rows, at=now,
                                                 source=source, sha256=sha256)  # fmt: skip
            stored = calendar_repo.official_days(session=session)
            new = rt.use_official(OfficialSchedule(tuple(OfficialDay(d, k, n) for d, k, n in stored)))  # type: ignore[arg-type]
            report = ImportReport(sorted(schedule.years), record.days, record.days_changed)
            report.changes = recompute(session, rt, old, new, now, why=f"日历变更（导入 {source}）")
            record.cases_changed = len(report.changes)
    except BaseException:
        rt.use_official(old_official)  # nothing was stored: this process keeps the calendar it had
        raise
    return report


def _when(rt: Runtime, at: datetime) -> str:
    return at.astimezone(rt.tz).strftime("%Y-%m-%d %H:%M")


def recompute(session: orm.Session, rt: Runtime, old: WorkCalendar, new: WorkCalendar, now: datetime, *,
              why: str) -> list[tuple[str, str]]:  # fmt: skip
    """Move the deadlines of open cases from calendar `old` to `new`; one audit event per case that changed."""
    changes: list[tuple[str, str]] = []
    for case in case_lists.with_deadlines(session=session, states=OPEN_STATES):
        moved = _moved(rt, case, old, new)
        if not moved:
            continue
        note = f"{why}：" + "；".join(moved)
        cases_repo.append_event(session=session, case=case, at=now, actor="system", action="deadline_change",
                                from_state=case.state, to_state=case.state, note=note)  # fmt: skip
        case.updated_at = now
        casework.reschedule(session, rt, case)
        changes.append((case.number, "；".join(moved)))
    return changes


def _moved(rt: Runtime, case: Case, old: WorkCalendar, new: WorkCalendar) -> list[str]:
    moved: list[str] = []
    if case.sign_due is not None and case.signed_at is None:
        sign_due = carry_over(case.created_at, case.sign_due, old, new)
        if sign_due != case.sign_due:
            moved.append(f"签收时限 {_when(rt, case.sign_due)} → {_when(rt, sign_due)}")
            case.sign_due = sign_due
    if case.answer_due is not None and case.answered_at is None:
        answer_due = carry_over(case.answer_started_at or case.created_at, case.answer_due, old, new)
        if answer_due != case.answer_due:
            moved.append(f"答复时限 {_when(rt, case.answer_due)} → {_when(rt, answer_due)}")
            case.answer_due = answer_due
    return moved
