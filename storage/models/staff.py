"""People on the staff side: supervisors' WeChat bindings and bind limits, console accounts, sign-in failures, staff events, reclassifications."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import JSONType
from storage.models.base import Model
from storage.models.base import _BigId


class SupervisorBinding(Model):
    """A supervisor's WeChat openid, linked by a one-time code."""

    __tablename__ = "supervisor_bindings"

    supervisor_id: orm.Mapped[str] = orm.mapped_column(sa.String(32), primary_key=True)
    openid: orm.Mapped[str | None] = orm.mapped_column(sa.String(128), unique=True)
    pseudonym: orm.Mapped[str | None] = orm.mapped_column(sa.String(64), unique=True)
    code_hash: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    code_expires_at: orm.Mapped[datetime | None]
    # Wrong codes counted against this code while it waits; voided at handlers.binding.CODE_LIMIT.
    code_failures: orm.Mapped[int] = orm.mapped_column(default=0, server_default="0")
    bound_at: orm.Mapped[datetime | None]
    # A valid code sent from another WeChat while this supervisor is bound: waits for the office's confirmation.
    pending_openid: orm.Mapped[str | None] = orm.mapped_column(sa.String(128))
    pending_pseudonym: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    pending_at: orm.Mapped[datetime | None]


class BindFailure(Model):
    """Wrong bind codes per sender (by pseudonym): locked for a while after a few."""

    __tablename__ = "bind_failures"

    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    failures: orm.Mapped[int] = orm.mapped_column(default=0)
    first_at: orm.Mapped[datetime]
    locked_until: orm.Mapped[datetime | None]


class StaffAccount(Model):
    """A console account (督办员, unit head, 治庸办, admin, 组织部, 暗访员). Passwords are stored only as salted slow hashes; its
    sign-ins are rows of `staff_sessions` (storage.models.console)."""

    __tablename__ = "staff_accounts"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    username: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    display_name: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    password_hash: orm.Mapped[str] = orm.mapped_column(sa.String(256))
    role: orm.Mapped[str] = orm.mapped_column(
        sa.String(16)
    )  # supervisor | unit_head | office | admin | organisation | inspector
    units: orm.Mapped[list[str]] = orm.mapped_column(JSONType)  # unit / body codes the account covers
    member_of: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))  # for 回避: the unit the person belongs to
    supervisor_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32), unique=True)  # config.yaml supervisor
    active: orm.Mapped[bool] = orm.mapped_column(default=True)
    created_at: orm.Mapped[datetime]
    last_login_at: orm.Mapped[datetime | None]


class LoginFailure(Model):
    """One failed console sign-in, keyed by a keyed hash of username + address (throttling, not identification)."""

    __tablename__ = "login_failures"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    key: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    address_key: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    at: orm.Mapped[datetime] = orm.mapped_column(index=True)


class StaffEvent(Model):
    """The console's access log: sign-ins, failed sign-ins, case views, exports, reveals, refusals (UTC)."""

    __tablename__ = "staff_events"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    staff_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"), index=True)
    action: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    target: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    detail: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))


class Correction(Model):
    """A staff reclassification (or a triage choice that differs from the classifier): training data."""

    __tablename__ = "corrections"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    at: orm.Mapped[datetime]
    actor: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    from_category: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    to_category: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    from_unit: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    to_unit: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
