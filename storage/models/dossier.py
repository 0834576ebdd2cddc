"""活档案: the organisation department's 日常管理台帐 of each 市管干部 (officials in config.yaml), entry by entry."""

from __future__ import annotations

from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class DossierEntry(Model):
    """One entry on an official's record, with its date, kind, source and who entered it.

    Automatic entries carry a `ref` (what caused them, e.g. an escalation of a case), unique per official, so a
    retried job or a repeated confirmation never enters the same fact twice. The text never holds a case number
    or anything about a reporter: the organisation department sees no cases.
    """

    __tablename__ = "dossier_entries"
    __table_args__ = (sa.UniqueConstraint("official_id", "ref"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    official_id: orm.Mapped[str] = orm.mapped_column(sa.String(32), index=True)
    on_date: orm.Mapped[date] = orm.mapped_column(sa.Date)  # the day of the fact
    # escalation | overdue | accountability | supervision | assessment | poll | evaluation | reward | urgent | other
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(24))
    summary: orm.Mapped[str] = orm.mapped_column(sa.Text)
    source: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    origin: orm.Mapped[str] = orm.mapped_column(sa.String(8))  # auto | manual
    ref: orm.Mapped[str | None] = orm.mapped_column(sa.String(80))
    recorded_by: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    recorded_at: orm.Mapped[datetime]
