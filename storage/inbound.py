"""Repository for accepted pushes (exactly-once ledger) and dead letters. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from typing import TypedDict
from typing import Unpack

import sqlalchemy as sa
from sqlalchemy import orm

from storage import driver
from storage._upsert import insert_ignore_returning
from storage.models import DeadLetter
from storage.models import InboundRecord


class ClaimFields(TypedDict):
    """What a push's ledger row is made of (`claim`, `storage.turn.claim_with_view`)."""

    msg_key: str
    msg_id: str | None
    msg_type: str
    event: str | None
    pseudonym: str
    created_at: datetime
    received_at: datetime


def claim(*, session: orm.Session, **fields: Unpack[ClaimFields]) -> int | None:
    """Record a push under its key. Returns the new row's id, or None when the key was already recorded.

    The UNIQUE constraint decides, so concurrent identical pushes cannot both win: on PostgreSQL the loser
    waits for the winner's commit; on SQLite writers are serialised by BEGIN IMMEDIATE.
    """
    return insert_ignore_returning(  # type: ignore[no-any-return]
        session.connection(),  # the first statement of a turn: nothing to flush
        InboundRecord.__table__,  # type: ignore[arg-type]
        claim_values(**fields),
        ["msg_key"],
        "id",
    )


def claim_values(**fields: Unpack[ClaimFields]) -> dict[str, Any]:
    """The columns of a new ledger row (shared with `storage.turn.claim_with_view`)."""
    event = fields["event"]
    return {
        "msg_key": fields["msg_key"],
        "msg_id": fields["msg_id"],
        "msg_type": fields["msg_type"][:32],
        "event": event[:48] if event else None,
        "pseudonym": fields["pseudonym"],
        "created_at": fields["created_at"],
        "received_at": fields["received_at"],
        "outcome": "pending",
    }


def get(*, session: orm.Session, msg_key: str) -> InboundRecord | None:
    return session.scalars(sa.select(InboundRecord).where(InboundRecord.msg_key == msg_key)).one_or_none()


_FINISH = (
    sa.update(InboundRecord.__table__)  # type: ignore[arg-type]
    .where(InboundRecord.__table__.c.id == sa.bindparam("record_id"))
    .values(outcome=sa.bindparam("outcome"), reply_text=sa.bindparam("reply_text"), reply_created_at=sa.bindparam("at"))
)


def finish(*, session: orm.Session, record_id: int, outcome: str, reply_text: str | None, at: datetime) -> None:
    """Store how a claimed push ended and the reply it got (what its retries will be answered with)."""
    driver.execute(session, _FINISH, {"record_id": record_id, "outcome": outcome, "reply_text": reply_text, "at": at})


def add_dead_letter(
    *,
    session: orm.Session,
    stage: str,
    reason: str,
    received_at: datetime,
    msg_key: str | None = None,
    payload: str | None = None,
) -> DeadLetter:
    row = DeadLetter(stage=stage, reason=reason[:300], received_at=received_at, msg_key=msg_key, payload=payload)
    session.add(row)
    return row


def dead_letters(*, session: orm.Session, unresolved_only: bool = True) -> list[DeadLetter]:
    stmt = sa.select(DeadLetter).order_by(DeadLetter.id)
    if unresolved_only:
        stmt = stmt.where(DeadLetter.resolved_at.is_(None))
    return list(session.scalars(stmt))


def count(*, session: orm.Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(InboundRecord)) or 0


def scrub_before(*, session: orm.Session, pseudonym: str, before: datetime, anonymous: str) -> int:
    """Older ledger rows of a sender lose what points at them: the reply (it may echo a name or a phone), the
    pseudonym, and a key that contains the pseudonym (event keys). Returns the rows changed."""
    rows = list(
        session.scalars(
            sa.select(InboundRecord).where(InboundRecord.pseudonym == pseudonym, InboundRecord.received_at < before)
        )
    )
    for row in rows:
        row.reply_text = None
        row.pseudonym = anonymous
        if row.msg_key.startswith("e:"):
            row.msg_key = f"x:{row.id}"
    return len(rows)


def expire_dead_letters(*, session: orm.Session, before: datetime) -> int:
    """Dead letters older than `before` keep their reason and key, not their body."""
    result = session.execute(
        sa.update(DeadLetter)
        .where(DeadLetter.received_at < before, DeadLetter.payload.is_not(None))
        .values(payload=None)
    )
    return int(result.rowcount or 0)
