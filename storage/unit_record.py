"""A unit's record over time: its escalations, findings, 问责, ratings and latest cases, for `/console/units/<code>`.
Plain rows; the page buckets them into weeks. Never commits; read-only."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import AccountabilityRecord
from storage.models import Case
from storage.models import CaseEvent
from storage.models import CaseFinding

RETURNED = "returned"


def escalations_since(*, session: orm.Session, unit: str, since: datetime) -> list[datetime]:
    """When each 督办 of a case about `unit` happened (manual or the ladder's), since `since`."""
    stmt = (
        sa.select(CaseEvent.at)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(Case.respondent_unit == unit, CaseEvent.action == "escalate", CaseEvent.at >= since)
        .order_by(CaseEvent.at)
    )
    return list(session.scalars(stmt))


def findings_since(*, session: orm.Session, unit: str, since: datetime) -> list[tuple[datetime, str]]:
    """(recorded_at, verdict) of the findings on the unit's cases since `since`, not sent back."""
    stmt = (
        sa.select(CaseFinding.recorded_at, CaseFinding.verdict)
        .join(Case, Case.id == CaseFinding.case_id)
        .where(Case.respondent_unit == unit, CaseFinding.recorded_at >= since, CaseFinding.status != RETURNED)
    )
    return [(at, v) for at, v in session.execute(stmt)]


def records_since(*, session: orm.Session, unit: str, since: datetime, limit: int = 100) -> list[sa.Row[Any]]:
    """The 问责 of the unit since `since`, newest first: recorded_at, number, public_id, measure, post, status."""
    stmt = (
        sa.select(AccountabilityRecord.recorded_at, Case.number, Case.public_id, AccountabilityRecord.measure,
                  AccountabilityRecord.post, AccountabilityRecord.status)
        .join(Case, Case.id == AccountabilityRecord.case_id)
        .where(AccountabilityRecord.unit == unit, AccountabilityRecord.recorded_at >= since,
               AccountabilityRecord.status != RETURNED)
        .order_by(AccountabilityRecord.recorded_at.desc(), AccountabilityRecord.id.desc())
        .limit(limit)
    )  # fmt: skip
    return list(session.execute(stmt))


def rating_counts(*, session: orm.Session, unit: str, since: datetime) -> tuple[Counter[str], Counter[str]]:
    """How the unit's cases were rated since `since`: outcome (1/2/3) and conduct (A/B/C) counts."""
    stmt = sa.select(Case.rating_outcome, Case.rating_conduct).where(
        Case.respondent_unit == unit, Case.rated_at >= since, Case.rating_outcome.is_not(None)
    )
    outcome: Counter[str] = Counter()
    conduct: Counter[str] = Counter()
    for o, c in session.execute(stmt):
        outcome[o] += 1
        if c:
            conduct[c] += 1
    return outcome, conduct


def recent_cases(*, session: orm.Session, where: sa.ColumnElement[bool], unit: str, limit: int = 30) -> list[Case]:
    stmt = (
        sa.select(Case)
        .where(where, Case.respondent_unit == unit)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def finding_verdicts(*, session: orm.Session, case_ids: list[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    stmt = sa.select(CaseFinding.case_id, CaseFinding.verdict).where(
        CaseFinding.case_id.in_(case_ids), CaseFinding.status != RETURNED
    )
    return {cid: v for cid, v in session.execute(stmt)}
