"""Repository for the outbox: rows written in the caller's transaction, claimed and settled by the sender.

Never commits. The UNIQUE idempotency key makes a second enqueue of the same message a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage._upsert import insert_ignore
from storage.models import OutboxMessage


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
    if recipient_kind not in ("citizen", "supervisor"):
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
