"""What a case found and who was held to account: the 查实 finding and its 整改, the 问责 entries, both confirmed or
sent back by the office (issue 15). Never a citizen's data: a 问责 names a post, not a person."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import Model
from storage.models.base import _BigId


class CaseFinding(Model):
    """The handler's finding on one case: 查实情况, 整改措施, and where the office's review stands."""

    __tablename__ = "case_findings"

    case_id: orm.Mapped[int] = orm.mapped_column(_BigId, sa.ForeignKey("cases.id"), primary_key=True)
    verdict: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # verified | partly | unfounded | unverifiable
    measures: orm.Mapped[str | None] = orm.mapped_column(sa.Text)  # 整改措施 (masked when shown)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)  # pending | confirmed | returned
    recorded_by: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    recorded_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    reviewed_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    reviewed_at: orm.Mapped[datetime | None]
    review_note: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))


class AccountabilityRecord(Model):
    """One 问责处理 on a case: the measure and the post of the person it applies to (never a name or a citizen)."""

    __tablename__ = "accountability_records"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    # none | criticism | self_review | admonition | circulated | reassignment | referral
    measure: orm.Mapped[str] = orm.mapped_column(sa.String(24))
    post: orm.Mapped[str | None] = orm.mapped_column(sa.String(40))
    unit: orm.Mapped[str | None] = orm.mapped_column(sa.String(16), index=True)  # the case's unit when recorded
    official_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))  # config.yaml official holding the post
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)  # pending | confirmed | returned
    recorded_by: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    recorded_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    reviewed_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    reviewed_at: orm.Mapped[datetime | None]
