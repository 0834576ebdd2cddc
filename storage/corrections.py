"""Repository for reclassifications kept as training data (`nlp train --include-corrections`). Never commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Case
from storage.models import Correction


def add(*, session: orm.Session, case: Case, at: datetime, actor: str, from_category: str | None, to_category: str,
        from_unit: str | None, to_unit: str | None) -> Correction:  # fmt: skip
    row = Correction(case_id=case.id, at=at, actor=actor, from_category=from_category, to_category=to_category,
                     from_unit=from_unit, to_unit=to_unit)  # fmt: skip
    session.add(row)
    return row


def latest_per_case(*, session: orm.Session) -> list[tuple[Case, Correction]]:
    """Each corrected case with its most recent correction: the label staff settled on."""
    newest = sa.select(sa.func.max(Correction.id)).group_by(Correction.case_id).scalar_subquery()
    stmt = (
        sa.select(Case, Correction)
        .join(Correction, Correction.case_id == Case.id)
        .where(Correction.id.in_(newest))
        .order_by(Correction.id)
    )
    return [(case, correction) for case, correction in session.execute(stmt)]


def for_case(*, session: orm.Session, case_id: int) -> list[Correction]:
    return list(session.scalars(sa.select(Correction).where(Correction.case_id == case_id).order_by(Correction.id)))
