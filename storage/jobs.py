"""Repository for the scheduler's run ledger and the once-only reminder rungs. Never commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage._upsert import insert_ignore
from storage.models import JobRun
from storage.models import ReminderStep


def claim_run(*, session: orm.Session, job: str, period: str, now: datetime) -> bool:
    """True for the one caller that gets to run `job` for `period`; everyone else (a second scheduler) gets False."""
    return insert_ignore(
        session,
        JobRun.__table__,  # type: ignore[arg-type]
        {"job": job, "period": period, "started_at": now},
        ["job", "period"],
    )


def finish_run(*, session: orm.Session, job: str, period: str, now: datetime, result: str) -> None:
    session.execute(
        sa.update(JobRun).where(JobRun.job == job, JobRun.period == period).values(finished_at=now, result=result[:300])
    )


def last_run(*, session: orm.Session, job: str) -> JobRun | None:
    stmt = sa.select(JobRun).where(JobRun.job == job).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)
    return session.scalars(stmt).first()


def runs(*, session: orm.Session, job: str) -> list[JobRun]:
    return list(session.scalars(sa.select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def fire_step(*, session: orm.Session, case_id: int, step: str, deadline: datetime, now: datetime) -> bool:
    """Record a rung as fired; False when it already was (it must never fire twice)."""
    return insert_ignore(
        session,
        ReminderStep.__table__,  # type: ignore[arg-type]
        {"case_id": case_id, "step": step, "deadline": deadline, "fired_at": now},
        ["case_id", "step", "deadline"],
    )


def fired(*, session: orm.Session, case_id: int) -> set[tuple[str, datetime]]:
    rows = session.execute(
        sa.select(ReminderStep.step, ReminderStep.deadline).where(ReminderStep.case_id == case_id)
    ).all()
    return {(step, deadline) for step, deadline in rows}
