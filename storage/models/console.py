"""The console's access tables: server-side sign-in sessions and two-person 查看身份 requests.

Kept apart from `storage.models` (which stays the home of every other table) and registered on the same
metadata by `storage/__init__.py`, so importing any part of `storage` knows every table.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class StaffSession(Model):
    """One console sign-in. The cookie carries only a random id; this row keeps its SHA-256, so a copied cookie
    dies with the row (sign-out, password change, disabled account) and the database never holds a usable id."""

    __tablename__ = "staff_sessions"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    token_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    staff_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"), index=True)
    created_at: orm.Mapped[datetime]
    last_seen_at: orm.Mapped[datetime]
    revoked_at: orm.Mapped[datetime | None]
    user_agent_hash: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))  # which browser, never its string


class RevealRequest(Model):
    """查看身份 by two people: an office account asks with a reason, a different one approves or declines; the
    requester sees the reporter only after approval and until `expires_at`. Never holds the identity itself."""

    __tablename__ = "reveal_requests"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    requested_by: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"), index=True)
    reason: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    requested_at: orm.Mapped[datetime]
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)  # pending | approved | declined
    decided_by: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"))
    decided_at: orm.Mapped[datetime | None] = orm.mapped_column(index=True)
    expires_at: orm.Mapped[datetime | None]  # approved: the identity may be shown until then
