"""Repository for evidence downloads: claim due rows (oldest first), record stored / lost / refused / retry.

Never commits. A claim is a short lease on `next_attempt_at`, so two fetchers never download the same row at once
and a fetcher that dies simply lets the lease run out.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Evidence

STATUSES = ("pending", "stored", "lost", "refused")
LEASE = timedelta(minutes=5)
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)


def claim_due(*, session: orm.Session, now: datetime, limit: int, lease: timedelta = LEASE) -> list[Evidence]:
    """Pending rows whose next attempt is due, oldest intake first (WeChat deletes media after 3 days)."""
    due = sa.or_(Evidence.next_attempt_at.is_(None), Evidence.next_attempt_at <= now)
    ids = list(
        session.scalars(
            sa.select(Evidence.id)
            .where(Evidence.status == "pending", due)
            .order_by(Evidence.received_at, Evidence.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    claimed = [
        r[0]
        for r in session.execute(
            sa.update(Evidence)
            .where(Evidence.id.in_(ids), Evidence.status == "pending", due)
            .values(next_attempt_at=now + lease)
            .returning(Evidence.id),
            execution_options={"synchronize_session": False},
        )
    ]
    if not claimed:
        return []
    stmt = (
        sa.select(Evidence)
        .where(Evidence.id.in_(claimed))
        .order_by(Evidence.received_at, Evidence.id)
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(stmt))


def _row(session: orm.Session, evidence_id: int) -> Evidence | None:
    return session.get(Evidence, evidence_id, populate_existing=True)


def mark_stored(
    *,
    session: orm.Session,
    evidence_id: int,
    now: datetime,
    path: str,
    sha256: str,
    content_type: str,
    size: int,
) -> None:
    ev = _row(session, evidence_id)
    if ev is None:
        return
    ev.status = "stored"
    ev.path = path[:256]
    ev.sha256 = sha256
    ev.content_type = content_type[:64]
    ev.size_bytes = size
    ev.stored_at = now
    ev.attempts += 1
    ev.last_error = None
    ev.next_attempt_at = None


def mark_lost(*, session: orm.Session, evidence_id: int, now: datetime, reason: str, attempted: bool) -> None:
    """WeChat no longer has it (40007, or past 72 h): the case shows "evidence lost"."""
    ev = _row(session, evidence_id)
    if ev is None:
        return
    ev.status = "lost"
    ev.last_error = reason[:200]
    ev.next_attempt_at = None
    if attempted:
        ev.attempts += 1


def mark_refused(*, session: orm.Session, evidence_id: int, now: datetime, reason: str) -> None:
    """The content failed the check (not what it claims to be, too large): never stored, never served."""
    ev = _row(session, evidence_id)
    if ev is None:
        return
    ev.status = "refused"
    ev.last_error = reason[:200]
    ev.attempts += 1
    ev.next_attempt_at = None


def mark_retry(
    *, session: orm.Session, evidence_id: int, now: datetime, error: str, counted: bool = True
) -> datetime | None:
    """Stay pending; try again after a back-off (1 min, 2 min, … capped at 1 h). Returns the next attempt time."""
    ev = _row(session, evidence_id)
    if ev is None:
        return None
    if counted:
        ev.attempts += 1
    ev.last_error = error[:200]
    delay = min(RETRY_BASE * (2 ** max(ev.attempts - 1, 0)), RETRY_MAX)
    ev.next_attempt_at = now + delay
    return ev.next_attempt_at
