"""Repository for the outbox: rows written in the caller's transaction, claimed and settled by the sender.

Never commits. The UNIQUE idempotency key makes a second enqueue of the same message a no-op. Life of a row:
`pending` → (claim) `sending` → `sent` | `pending` again with back-off | `parked` (quota: until a time; otherwise
until staff act) | `failed` (permanent error, or out of attempts). Settling functions only touch a row still
claimed by the same worker, so a drain that lost its claim (taken over as stale) cannot overwrite the new owner.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage._upsert import insert_ignore
from storage.models import OutboxMessage

STATUSES = ("pending", "sending", "sent", "parked", "failed")
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
STALE_CLAIM = timedelta(minutes=5)


def enqueue(
    *,
    session: orm.Session,
    key: str,
    recipient_kind: str,
    recipient: str,
    purpose: str,
    payload: dict[str, Any],
    now: datetime,
    channel: str = "auto",
    case_id: int | None = None,
    not_before: datetime | None = None,
) -> bool:
    """Add a message unless one with the same key exists; True when added.

    `recipient` is a pseudonym (citizen) or a supervisor id, never an openid: the sender resolves it.
    `channel` is `auto` (customer-service message inside the 48-hour window, else template), `customer` or
    `template`.
    """
    if recipient_kind not in ("citizen", "supervisor", "staff_wechat"):
        raise ValueError(f"unknown recipient kind {recipient_kind!r}")
    return insert_ignore(
        session,
        OutboxMessage.__table__,  # type: ignore[arg-type]
        {
            "idempotency_key": key[:160],
            "recipient_kind": recipient_kind,
            "recipient": recipient,
            "channel": channel,
            "purpose": purpose,
            "payload": payload,
            "case_id": case_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": not_before or now,
            "created_at": now,
        },
        ["idempotency_key"],
    )


def pending(*, session: orm.Session, recipient: str | None = None) -> list[OutboxMessage]:
    stmt = sa.select(OutboxMessage).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id)
    if recipient is not None:
        stmt = stmt.where(OutboxMessage.recipient == recipient)
    return list(session.scalars(stmt))


def listing(*, session: orm.Session, status: str | None = None, limit: int = 100) -> list[OutboxMessage]:
    """Newest first, for operators; callers must not print payloads (they may hold complaint text)."""
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    return list(session.scalars(stmt))


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after `attempts` failed tries: 30 s, 1 min, 2 min, … capped at 1 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _update(session: orm.Session, stmt: Any) -> list[int]:
    # RETURNING rather than rowcount: psycopg reports -1 for some statements run through the ORM session.
    rows = session.execute(stmt.returning(OutboxMessage.id), execution_options={"synchronize_session": False})
    return [r[0] for r in rows]


def release_stale(*, session: orm.Session, now: datetime, older_than: timedelta = STALE_CLAIM) -> list[int]:
    """Return rows claimed by a worker that died (claim older than `older_than`) to `pending`.

    The dead worker may have sent the message before dying; WeChat has no idempotency key, so this can duplicate
    one message, which beats losing it. The lost try counts as an attempt so a crash loop still ends.
    """
    stale = sa.and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - older_than)
    failed = _update(
        session,
        sa.update(OutboxMessage)
        .where(stale, OutboxMessage.attempts + 1 >= MAX_ATTEMPTS)
        .values(
            status="failed",
            attempts=OutboxMessage.attempts + 1,
            claimed_by=None,
            claimed_at=None,
            last_error="claim expired (worker died?); out of attempts",
        ),
    )
    back = _update(
        session,
        sa.update(OutboxMessage)
        .where(stale)
        .values(
            status="pending",
            attempts=OutboxMessage.attempts + 1,
            claimed_by=None,
            claimed_at=None,
            next_attempt_at=now,
            last_error="claim expired (worker died?)",
        ),
    )
    return failed + back


def unpark_due(*, session: orm.Session, now: datetime) -> list[int]:
    """Parked rows whose park has a time limit (quota) that has passed go back to `pending`."""
    return _update(
        session,
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.status == "parked",
            OutboxMessage.parked_until.is_not(None),
            OutboxMessage.parked_until <= now,
        )
        .values(status="pending", parked_until=None, next_attempt_at=now),
    )


def unpark(
    *,
    session: orm.Session,
    now: datetime,
    ids: list[int] | None = None,
    recipient: str | None = None,
) -> list[int]:
    """Staff (or a supervisor binding) release parked rows: by id, by recipient, or all. Attempts restart."""
    stmt = sa.update(OutboxMessage).where(OutboxMessage.status == "parked")
    if ids is not None:
        stmt = stmt.where(OutboxMessage.id.in_(ids))
    if recipient is not None:
        stmt = stmt.where(OutboxMessage.recipient == recipient)
    return _update(session, stmt.values(status="pending", parked_until=None, next_attempt_at=now, attempts=0))


def claim_due(*, session: orm.Session, now: datetime, limit: int, worker: str) -> list[OutboxMessage]:
    """Mark up to `limit` due rows as `sending` by `worker` and return them, oldest due first.

    PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent drains take disjoint rows without waiting. SQLite ignores
    the clause; there the caller's transaction holds the write lock (`BEGIN IMMEDIATE`), which serialises claims.
    The caller commits right after, so the sends happen outside any transaction.
    """
    ids = list(
        session.scalars(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    claimed = _update(
        session,
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.status == "pending")
        .values(status="sending", claimed_by=worker[:64], claimed_at=now),
    )
    if not claimed:
        return []
    rows = session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


def _settle(session: orm.Session, message_id: int, worker: str, **values: Any) -> bool:
    stmt = (
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "sending",
            OutboxMessage.claimed_by == worker[:64],
        )
        .values(claimed_by=None, claimed_at=None, **values)
    )
    return bool(_update(session, stmt))


def mark_sent(
    *,
    session: orm.Session,
    message_id: int,
    worker: str,
    now: datetime,
    channel: str,
    msgid: str | None = None,
) -> bool:
    return _settle(
        session,
        message_id,
        worker,
        status="sent",
        sent_at=now,
        sent_channel=channel,
        wechat_msgid=msgid,
        attempts=OutboxMessage.attempts + 1,
        last_error=None,
    )


def mark_retry(*, session: orm.Session, message_id: int, worker: str, now: datetime, error: str) -> str | None:
    """Count a failed try and schedule the next with back-off; out of attempts → `failed`. Returns the status."""
    attempts = session.scalar(sa.select(OutboxMessage.attempts).where(OutboxMessage.id == message_id))
    if attempts is None:
        return None
    attempts += 1
    if attempts >= MAX_ATTEMPTS:
        ok = _settle(
            session,
            message_id,
            worker,
            status="failed",
            attempts=attempts,
            last_error=f"out of attempts: {error}"[:300],
        )
        return "failed" if ok else None
    ok = _settle(
        session,
        message_id,
        worker,
        status="pending",
        attempts=attempts,
        last_error=error[:300],
        next_attempt_at=now + backoff(attempts),
    )
    return "pending" if ok else None


def mark_parked(
    *,
    session: orm.Session,
    message_id: int,
    worker: str,
    now: datetime,
    reason: str,
    until: datetime | None = None,
) -> bool:
    """Park: `until` set → resumes by itself then (quota); None → waits for staff (`unpark`)."""
    values: dict[str, Any] = {"status": "parked", "parked_until": until, "last_error": reason[:300]}
    if until is not None:
        values["next_attempt_at"] = until
    return _settle(session, message_id, worker, **values)


def mark_failed(*, session: orm.Session, message_id: int, worker: str, now: datetime, reason: str) -> bool:
    return _settle(
        session, message_id, worker, status="failed", attempts=OutboxMessage.attempts + 1, last_error=reason[:300]
    )


def release(*, session: orm.Session, message_id: int, worker: str, reason: str | None = None) -> bool:
    """Give a claimed row back untouched (the drain stopped before or without trying it): no attempt counted."""
    values: dict[str, Any] = {"status": "pending"}
    if reason is not None:
        values["last_error"] = reason[:300]
    return _settle(session, message_id, worker, **values)


def record_template_status(*, session: orm.Session, msgid: str, status: str) -> bool:
    """Store a TEMPLATESENDJOBFINISH `Status` (`success`, `failed:user block`, …) on the row that sent `msgid`."""
    stmt = (
        sa.update(OutboxMessage)
        .where(OutboxMessage.wechat_msgid == str(msgid)[:32])
        .values(delivery_status=str(status)[:48])
    )
    return bool(_update(session, stmt))
