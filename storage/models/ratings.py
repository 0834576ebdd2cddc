"""好差评: five-level ratings of a window's service, one per citizen per visit (a second within the hour replaces the
first), stored apart from the cases; a 差评's review case points back at its rating."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class WindowRating(Model):
    __tablename__ = "window_ratings"
    __table_args__ = (sa.Index("ix_window_ratings_unit_window_at", "unit", "window", "rated_at"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    window: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    level: orm.Mapped[int]  # 5 非常满意 … 1 非常不满意
    reason: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    rated_at: orm.Mapped[datetime]
    review_case_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("cases.id"))
