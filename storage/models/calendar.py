"""The State Council's published holiday schedule as imported (`flask --app bot calendar import FILE`): every
process builds its working-day calendar from these rows, so a schedule loaded once is seen by all of them."""

from __future__ import annotations

from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class CalendarDay(Model):
    """One day of an imported official schedule: a day off (``holiday``) or a 调休 working day (``workday``).

    A year with rows here counts as known (its 调休 are in); an import replaces every row of the years it lists.
    """

    __tablename__ = "calendar_days"

    day: orm.Mapped[date] = orm.mapped_column(sa.Date, primary_key=True)
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(8))  # holiday | workday
    name: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    import_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("calendar_imports.id"), index=True)


class CalendarImport(Model):
    """One import: which file (its name and SHA-256), the years it replaced, what changed, and when."""

    __tablename__ = "calendar_imports"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    at: orm.Mapped[datetime]
    source: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    sha256: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    years: orm.Mapped[str] = orm.mapped_column(sa.String(64))  # "2027" or "2027,2028"
    days: orm.Mapped[int]
    days_changed: orm.Mapped[int]
    cases_changed: orm.Mapped[int]
