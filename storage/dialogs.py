"""Repository for citizens' conversation drafts (plain JSON written by handlers.dialog). Never commits.

A webhook turn reads the draft together with the sender's supervisor binding: `storage.turn.sender_view`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage import driver
from storage.models import Dialog

_SAVE = sa.text(
    "INSERT INTO dialogs (pseudonym, data, updated_at) VALUES (:pseudonym, :data, :at) "
    "ON CONFLICT (pseudonym) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at"
).bindparams(
    sa.bindparam("data", type_=Dialog.__table__.c.data.type),
    sa.bindparam("at", type_=Dialog.__table__.c.updated_at.type),
)


def save(*, session: orm.Session, pseudonym: str, data: dict[str, Any], at: datetime) -> None:
    """Insert or replace the draft in one statement (it is written on almost every push)."""
    # Only ever written by this statement: no ORM object of this table can be pending, so no autoflush.
    driver.execute(session, _SAVE, {"pseudonym": pseudonym, "data": data, "at": at})


def clear(*, session: orm.Session, pseudonym: str) -> None:
    session.execute(sa.delete(Dialog).where(Dialog.pseudonym == pseudonym))


def idle_since(*, session: orm.Session, before: datetime, limit: int = 500) -> list[str]:
    stmt = sa.select(Dialog.pseudonym).where(Dialog.updated_at < before).order_by(Dialog.updated_at).limit(limit)
    return list(session.scalars(stmt))
