"""Requests that wait for the office: a 延期 with the days asked for, and an early 办结 while the citizen's rating
is still awaited. One row per request, decided once (approved or rejected) by someone other than the requester."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class CaseRequest(Model):
    """A handler's request on a case that the campaign office decides.

    kind ``extension``: `days` working days asked for (kept, and used when the office approves without changing
    them; `granted_days` is what was approved). kind ``close_early``: 办结 before the citizen has rated, with the
    reason; only an office approval closes the case. `requested_by` / `decided_by` are audit actors
    ("sup_bdc", "staff:wang").
    """

    __tablename__ = "case_requests"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # extension | close_early
    days: orm.Mapped[int | None]
    reason: orm.Mapped[str] = orm.mapped_column(sa.Text)
    requested_by: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    requested_at: orm.Mapped[datetime]
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)  # pending | approved | rejected | void
    decided_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    decided_at: orm.Mapped[datetime | None]
    decision_note: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    granted_days: orm.Mapped[int | None]
