"""Repository for citizens' conversation drafts (plain JSON written by handlers.dialog). Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Dialog


def load(*, session: orm.Session, pseudonym: str) -> dict[str, Any] | None:
    row = session.get(Dialog, pseudonym)
    return dict(row.data) if row is not None else None


def save(*, session: orm.Session, pseudonym: str, data: dict[str, Any], at: datetime) -> None:
    row = session.get(Dialog, pseudonym)
    if row is None:
        session.add(Dialog(pseudonym=pseudonym, data=data, updated_at=at))
    else:
        row.data = data
        row.updated_at = at


def clear(*, session: orm.Session, pseudonym: str) -> None:
    session.execute(sa.delete(Dialog).where(Dialog.pseudonym == pseudonym))


def idle_since(*, session: orm.Session, before: datetime, limit: int = 500) -> list[str]:
    stmt = sa.select(Dialog.pseudonym).where(Dialog.updated_at < before).order_by(Dialog.updated_at).limit(limit)
    return list(session.scalars(stmt))
