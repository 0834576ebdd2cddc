"""SQLAlchemy 2.0 typed models: every table the system owns.

Timestamps are timezone-aware UTC. The openid lives only in `citizens` (restricted); everything else carries the
pseudonym. Constraint names follow one naming convention so Alembic migrations stay stable.
"""

from __future__ import annotations

import typing as t
from datetime import UTC
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite forgets the zone, so it is put back on the way out."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


class Model(orm.DeclarativeBase):
    metadata: t.ClassVar[sa.MetaData] = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: t.ClassVar[dict[t.Any, t.Any]] = {datetime: UTCDateTime()}


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
