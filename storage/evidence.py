"""Repository for evidence downloads: claim due rows (oldest first), record stored / lost / refused / retry, and
list stored rows for `evidence verify`.

Never commits. A claim is a short lease on `next_attempt_at`, so two fetchers never download the same row at once
and a fetcher that dies simply lets the lease run out. A lease can still run out under a fetcher that is merely
slow, so recording a download compares hashes: a SHA-256 once recorded is never replaced (RELIABILITY 60).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Case
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


@dataclass(frozen=True)
class Recorded:
    """What the database holds for one evidence row: enough to compare a download with, and to name it."""

    evidence_id: int
    case_number: str
    status: str
    sha256: str | None
    path: str | None


def recorded(*, session: orm.Session, evidence_id: int) -> Recorded | None:
    """The row's current status, recorded hash and path (fresh from the database, not the session's copy)."""
    row = session.execute(
        sa.select(Evidence.id, Case.number, Evidence.status, Evidence.sha256, Evidence.path)
        .join(Case, Case.id == Evidence.case_id)
        .where(Evidence.id == evidence_id)
    ).one_or_none()
    return Recorded(*row) if row is not None else None


def mark_stored(
    *,
    session: orm.Session,
    evidence_id: int,
    now: datetime,
    path: str,
    sha256: str,
    content_type: str,
    size: int,
) -> str:
    """Record a downloaded file; a hash already recorded is never replaced. Returns what happened:

    - "stored": recorded now;
    - "same": this very hash was already recorded (a repeated download): the row is (still) stored, nothing else
      changes;
    - "mismatch": a different hash is recorded: the original stays as it is, and the caller raises the alert;
    - "gone": the row no longer exists, or is neither pending nor stored (purged by retention meanwhile).
    """
    ev = session.get(Evidence, evidence_id, populate_existing=True, with_for_update=True)
    if ev is None or ev.status not in ("pending", "stored"):
        return "gone"
    if ev.sha256:
        if ev.sha256 != sha256:
            return "mismatch"
        if ev.status != "stored":
            ev.attempts += 1
        ev.status = "stored"
        ev.last_error = None
        ev.next_attempt_at = None
        return "same"
    ev.status = "stored"
    ev.path = path[:256]
    ev.sha256 = sha256
    ev.content_type = content_type[:64]
    ev.size_bytes = size
    ev.stored_at = now
    ev.attempts += 1
    ev.last_error = None
    ev.next_attempt_at = None
    return "stored"


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


def stored_batch(*, session: orm.Session, after_id: int, limit: int) -> list[Recorded]:
    """Stored rows with an id above `after_id`, in id order (keyset pages, so a long check holds no transaction)."""
    rows = session.execute(
        sa.select(Evidence.id, Case.number, Evidence.status, Evidence.sha256, Evidence.path)
        .join(Case, Case.id == Evidence.case_id)
        .where(Evidence.status == "stored", Evidence.id > after_id)
        .order_by(Evidence.id)
        .limit(limit)
    ).all()
    return [Recorded(*r) for r in rows]


def count_stored(*, session: orm.Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(Evidence).where(Evidence.status == "stored")) or 0)


def rows_by_id(*, session: orm.Session, ids: list[int]) -> list[Evidence]:
    """The given rows, in id order (missing ids are simply absent)."""
    return list(session.scalars(sa.select(Evidence).where(Evidence.id.in_(ids)).order_by(Evidence.id)))
