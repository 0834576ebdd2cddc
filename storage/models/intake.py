"""What comes in: citizens (the one restricted pseudonym → openid table), the inbound ledger, dead letters, drafts."""

from __future__ import annotations

import typing as t
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import JSONType
from storage.models.base import Model


class Citizen(Model):
    """The one restricted table that maps a pseudonym back to a WeChat openid."""

    __tablename__ = "citizens"

    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    openid: orm.Mapped[str] = orm.mapped_column(sa.String(128), unique=True)
    subscribed: orm.Mapped[bool] = orm.mapped_column(default=True)
    first_seen_at: orm.Mapped[datetime]
    last_message_at: orm.Mapped[datetime | None]  # opens WeChat's 48-hour customer-service window
    unsubscribed_at: orm.Mapped[datetime | None]


class InboundRecord(Model):
    """Every accepted push, stored once under its dedupe key together with the reply it got."""

    __tablename__ = "inbound_messages"

    id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    msg_key: orm.Mapped[str] = orm.mapped_column(sa.String(160), unique=True)
    msg_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))  # 64-bit: kept as text, never a float
    msg_type: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    event: orm.Mapped[str | None] = orm.mapped_column(sa.String(48))
    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    created_at: orm.Mapped[datetime]  # WeChat's CreateTime
    received_at: orm.Mapped[datetime]
    outcome: orm.Mapped[str] = orm.mapped_column(sa.String(24))  # handled, ignored, unsupported
    reply_text: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    reply_created_at: orm.Mapped[datetime | None]


class DeadLetter(Model):
    """A push we authenticated but could not handle: the reason, never the body (except to replay a crash)."""

    __tablename__ = "dead_letters"

    id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    received_at: orm.Mapped[datetime]
    stage: orm.Mapped[str] = orm.mapped_column(sa.String(24))  # parse, handler
    reason: orm.Mapped[str] = orm.mapped_column(sa.String(300))
    msg_key: orm.Mapped[str | None] = orm.mapped_column(sa.String(160), index=True)
    # Only for handler crashes, so the report can be replayed instead of lost; restricted like `citizens`.
    payload: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    resolved_at: orm.Mapped[datetime | None]


class Dialog(Model):
    """A citizen's conversation draft, so any worker can continue it."""

    __tablename__ = "dialogs"

    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    data: orm.Mapped[dict[str, t.Any]] = orm.mapped_column(JSONType)
    updated_at: orm.Mapped[datetime]
