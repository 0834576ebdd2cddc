"""好差评's second half and 明查暗访 (issue 16): a unit's appeal of a 误评 and the office's decision, and the
inspectors' undercover visits with their checklist, findings and photos (EXIF stripped, stored like evidence)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class RatingAppeal(Model):
    """A unit's appeal that a 差评 was a 误评 (one per rating). Upheld, the rating leaves the unit's 好差评 figures;
    rejected, it stands. Never holds who rated: the rating row keeps the pseudonym, nothing here copies it."""

    __tablename__ = "rating_appeals"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    rating_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("window_ratings.id"), unique=True)
    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)
    reason: orm.Mapped[str] = orm.mapped_column(sa.Text)
    appealed_by: orm.Mapped[str] = orm.mapped_column(sa.String(64))  # the audit actor: sup_bdc, staff:head1
    appealed_at: orm.Mapped[datetime]
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)  # pending | upheld | rejected
    decided_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    decided_at: orm.Mapped[datetime | None]
    decision_note: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))


class Inspection(Model):
    """One 明查暗访 visit. Each checklist item is True (passed), False (failed) or None (not assessed); 用时 is the
    minutes the inspector waited to be served (passed within `inspections.wait_limit_minutes`)."""

    __tablename__ = "inspections"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    inspector_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"), index=True)
    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)
    window: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    visited_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    on_duty: orm.Mapped[bool | None]  # 在岗
    badge: orm.Mapped[bool | None]  # 着装/工牌
    first_responsibility: orm.Mapped[bool | None]  # 首问负责
    one_time_notice: orm.Mapped[bool | None]  # 一次性告知
    attitude: orm.Mapped[bool | None]  # 态度
    wait_minutes: orm.Mapped[int | None]  # 用时
    findings: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    case_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("cases.id"))  # the 暗访 case it opened
    created_at: orm.Mapped[datetime]


class InspectionPhoto(Model):
    """A photo of an inspection, stored after EXIF/GPS were stripped (`instance/evidence/inspections/…`)."""

    __tablename__ = "inspection_photos"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    inspection_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("inspections.id"), index=True)
    sha256: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    path: orm.Mapped[str] = orm.mapped_column(sa.String(256))
    content_type: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    size_bytes: orm.Mapped[int]
    stored_at: orm.Mapped[datetime]
