"""公开通报: a typical case (good or bad) told to the public, drafted by one office account and approved by another."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class Bulletin(Model):
    """A 通报. Public only while `status` is approved; the text was scrubbed (staff names → posts, no reporter data,
    numbers masked) when it was drafted, and again when it was edited."""

    __tablename__ = "bulletins"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    public_id: orm.Mapped[str] = orm.mapped_column(sa.String(24), unique=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    tone: orm.Mapped[str] = orm.mapped_column(sa.String(8))  # good | bad
    title: orm.Mapped[str] = orm.mapped_column(sa.String(100))
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    unit: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)  # draft | approved | withdrawn
    drafted_by: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"))
    drafted_at: orm.Mapped[datetime]
    approved_by: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"))
    approved_at: orm.Mapped[datetime | None] = orm.mapped_column(index=True)
    withdrawn_by: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"))
    withdrawn_at: orm.Mapped[datetime | None]
    withdraw_reason: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))
