"""Open311 API keys and which key filed which case."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class ApiKey(Model):
    """An Open311 client (a 12345 platform, another channel). Only the SHA-256 of the key is kept."""

    __tablename__ = "api_keys"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    key_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    prefix: orm.Mapped[str] = orm.mapped_column(sa.String(12))  # shown in listings so operators can tell keys apart
    created_at: orm.Mapped[datetime]
    revoked_at: orm.Mapped[datetime | None]
    last_used_at: orm.Mapped[datetime | None]


class Open311Request(Model):
    """Which API key filed a case: an Open311 client reads back only the requests it filed."""

    __tablename__ = "open311_requests"

    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), primary_key=True)
    api_key_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("api_keys.id"), index=True)
    created_at: orm.Mapped[datetime]
