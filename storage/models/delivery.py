"""What goes out and when: the outbox, the shared access token, the job run ledger, once-only ladder rungs."""

from __future__ import annotations

import typing as t
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import JSONType
from storage.models.base import Model
from storage.models.base import _BigId


class OutboxMessage(Model):
    """Everything that leaves the system later is a row first, written in the transaction that caused it."""

    __tablename__ = "outbox"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    idempotency_key: orm.Mapped[str] = orm.mapped_column(sa.String(160), unique=True)
    recipient_kind: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # citizen | supervisor | staff_wechat
    recipient: orm.Mapped[str] = orm.mapped_column(sa.String(64))  # pseudonym or supervisor id, never an openid
    channel: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # auto | customer | template
    purpose: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    payload: orm.Mapped[dict[str, t.Any]] = orm.mapped_column(JSONType)
    case_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), default="pending", index=True)
    attempts: orm.Mapped[int] = orm.mapped_column(default=0)
    next_attempt_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))
    created_at: orm.Mapped[datetime]
    sent_at: orm.Mapped[datetime | None]
    sent_channel: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    wechat_msgid: orm.Mapped[str | None] = orm.mapped_column(sa.String(32), index=True)
    delivery_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(48))  # TEMPLATESENDJOBFINISH Status
    # Who is sending it right now ('sending'), and since when: a claim older than a few minutes is a dead worker's.
    claimed_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    claimed_at: orm.Mapped[datetime | None]
    # 'parked' rows: resumed automatically at this time (quota); NULL means they wait for staff.
    parked_until: orm.Mapped[datetime | None]


class AccessToken(Model):
    """The one shared access token (WeChat invalidates the previous one on every fetch)."""

    __tablename__ = "access_tokens"

    app_id: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    token: orm.Mapped[str | None] = orm.mapped_column(sa.String(600))
    expires_at: orm.Mapped[datetime | None]
    refreshed_at: orm.Mapped[datetime | None]
    lease_until: orm.Mapped[datetime | None]  # one refresher at a time across processes
    forced_at: orm.Mapped[datetime | None]  # last force_refresh: WeChat allows one per 30 s, 20 a day


class JobRun(Model):
    """The scheduler's run ledger: a UNIQUE (job, period) makes every periodic job run once."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "period"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    job: orm.Mapped[str] = orm.mapped_column(sa.String(48))
    period: orm.Mapped[str] = orm.mapped_column(sa.String(48))
    started_at: orm.Mapped[datetime]
    finished_at: orm.Mapped[datetime | None]
    result: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))


class ReminderStep(Model):
    """One rung of the reminder/escalation ladder fired for one case and deadline: fires exactly once."""

    __tablename__ = "reminder_steps"
    __table_args__ = (sa.UniqueConstraint("case_id", "step", "deadline"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    step: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    deadline: orm.Mapped[datetime]
    fired_at: orm.Mapped[datetime]
