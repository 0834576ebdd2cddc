"""Repository for the units' monthly standing: the figures per unit for a month, service volumes, and the months
the office approved (kept as approved). Never commits.

Every figure leaves out the review cases opened by a 差评 the office upheld as 误评 (`storage.ratings`).
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage import ratings as ratings_repo
from storage.models import Case
from storage.models import CaseFinding
from storage.models import RankingMonth
from storage.models import ServiceVolume
from storage.models.cases import LOOP_KINDS

NOT_COUNTED_STATES = ("rejected", "merged")  # out of scope, or a copy of another case


def _counted_cases() -> list[sa.ColumnElement[bool]]:
    return [Case.kind.in_(LOOP_KINDS), Case.respondent_unit.is_not(None),
            Case.id.not_in(ratings_repo.misjudged_cases())]  # fmt: skip


def complaints(*, session: orm.Session, start: datetime, end: datetime) -> dict[str, int]:
    """unit → complaints and 差评 cases received in [start, end) (not rejected or merged)."""
    stmt = (
        sa.select(Case.respondent_unit, sa.func.count())
        .where(*_counted_cases(), Case.created_at >= start, Case.created_at < end,
               Case.state.not_in(NOT_COUNTED_STATES))
        .group_by(Case.respondent_unit)
    )  # fmt: skip
    return {u: int(n) for u, n in session.execute(stmt)}


def findings(*, session: orm.Session, start: datetime, end: datetime,
             substantiated: Sequence[str]) -> dict[str, tuple[int, int]]:  # fmt: skip
    """unit → (findings recorded in [start, end) and not sent back, of which substantiated)."""
    stmt = (
        sa.select(Case.respondent_unit, sa.func.count(),
                  sa.func.count(sa.case((CaseFinding.verdict.in_(list(substantiated)), 1))))
        .join(Case, Case.id == CaseFinding.case_id)
        .where(*_counted_cases(), CaseFinding.recorded_at >= start, CaseFinding.recorded_at < end,
               CaseFinding.status != "returned")
        .group_by(Case.respondent_unit)
    )  # fmt: skip
    return {u: (int(n), int(k)) for u, n, k in session.execute(stmt)}


def satisfaction(*, session: orm.Session, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """unit → (cases closed in [start, end) with a citizen's rating, of which satisfied: outcome not 未解决 and
    conduct not 不满意)."""
    satisfied = sa.and_(Case.rating_outcome != "3", Case.rating_conduct != "C")
    stmt = (
        sa.select(Case.respondent_unit, sa.func.count(), sa.func.count(sa.case((satisfied, 1))))
        .where(*_counted_cases(), Case.closed_at >= start, Case.closed_at < end, Case.rating_outcome.is_not(None))
        .group_by(Case.respondent_unit)
    )
    return {u: (int(n), int(k)) for u, n, k in session.execute(stmt)}


def volumes(*, session: orm.Session, month: str) -> dict[str, int]:
    """unit → services delivered in `month`, as imported."""
    stmt = sa.select(ServiceVolume.unit, ServiceVolume.volume).where(ServiceVolume.month == month)
    return {u: int(v) for u, v in session.execute(stmt)}


def import_volumes(*, session: orm.Session, rows: Iterable[tuple[str, str, int]], now: datetime) -> int:
    """Insert or replace (unit, month, volume) rows; returns how many."""
    n = 0
    for unit, month, volume in rows:
        row = session.get(ServiceVolume, (unit, month))
        if row is None:
            session.add(ServiceVolume(unit=unit, month=month, volume=volume, imported_at=now))
        else:
            row.volume, row.imported_at = volume, now
        n += 1
    session.flush()
    return n


def approved(*, session: orm.Session, month: str) -> RankingMonth | None:
    return session.get(RankingMonth, month)


def latest_approved(*, session: orm.Session) -> RankingMonth | None:
    stmt = sa.select(RankingMonth).order_by(RankingMonth.month.desc()).limit(1)
    return session.scalars(stmt).first()


def save_approved(*, session: orm.Session, month: str, content: dict[str, Any], computed_at: datetime,
                  approved_by: str, approved_at: datetime) -> RankingMonth:  # fmt: skip
    row = RankingMonth(month=month, content=content, computed_at=computed_at, approved_by=approved_by,
                       approved_at=approved_at)  # fmt: skip
    session.add(row)
    session.flush()
    return row
