"""Repository for what cases found (`case_findings`) and who was held to account (`accountability_records`).

Never commits. The vocabulary and the checks are `handlers.accountability`'s; this module only reads and writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import AccountabilityRecord
from storage.models import Case
from storage.models import CaseFinding

PENDING, CONFIRMED, RETURNED = "pending", "confirmed", "returned"


def finding(*, session: orm.Session, case_id: int) -> CaseFinding | None:
    return session.get(CaseFinding, case_id)


def save_finding(*, session: orm.Session, case_id: int, verdict: str, measures: str | None, actor: str,
                 now: datetime) -> CaseFinding:  # fmt: skip
    """Record (or record again, after it was sent back) the finding; it waits for the office's review."""
    row = session.get(CaseFinding, case_id)
    if row is None:
        row = CaseFinding(case_id=case_id, verdict=verdict, measures=measures, status=PENDING, recorded_by=actor,
                          recorded_at=now)  # fmt: skip
        session.add(row)
    else:
        row.verdict, row.measures, row.status = verdict, measures, PENDING
        row.recorded_by, row.recorded_at = actor, now
        row.reviewed_by = row.reviewed_at = row.review_note = None
    session.flush()
    return row


def records(*, session: orm.Session, case_id: int, current_only: bool = False) -> list[AccountabilityRecord]:
    stmt = sa.select(AccountabilityRecord).where(AccountabilityRecord.case_id == case_id)
    if current_only:
        stmt = stmt.where(AccountabilityRecord.status != RETURNED)
    return list(session.scalars(stmt.order_by(AccountabilityRecord.id)))


def add_records(*, session: orm.Session, case_id: int, unit: str | None, items: Iterable[tuple[str, str | None,
                str | None]], actor: str, now: datetime) -> list[AccountabilityRecord]:  # fmt: skip
    """(measure, post, official id) each. Records add up, except that 无 and a real measure contradict each other:
    the newer statement stands and the older one is retired (status returned)."""
    rows = [AccountabilityRecord(case_id=case_id, measure=measure, post=post, unit=unit, official_id=official,
                                 status=PENDING, recorded_by=actor, recorded_at=now)
            for measure, post, official in items]  # fmt: skip
    new_measures = {r.measure for r in rows}
    for old in records(session=session, case_id=case_id, current_only=True):
        if old.measure == "none" or "none" in new_measures:
            old.status, old.reviewed_at = RETURNED, now
    session.add_all(rows)
    session.flush()
    return rows


def review(*, session: orm.Session, case_id: int, confirm: bool, actor: str, now: datetime,
           note: str | None) -> tuple[CaseFinding | None, list[AccountabilityRecord]]:  # fmt: skip
    """Confirm or send back what waits for the office on this case; returns what was decided."""
    status = CONFIRMED if confirm else RETURNED
    row = session.get(CaseFinding, case_id)
    decided_finding = None
    if row is not None and row.status == PENDING:
        row.status, row.reviewed_by, row.reviewed_at, row.review_note = status, actor, now, note
        decided_finding = row
    decided = [r for r in records(session=session, case_id=case_id) if r.status == PENDING]
    for r in decided:
        r.status, r.reviewed_by, r.reviewed_at = status, actor, now
    session.flush()
    return decided_finding, decided


def pending_recorders(*, session: orm.Session, case_id: int) -> set[str]:
    """Who recorded what waits for review on this case."""
    found = {r.recorded_by for r in records(session=session, case_id=case_id) if r.status == PENDING}
    row = session.get(CaseFinding, case_id)
    if row is not None and row.status == PENDING:
        found.add(row.recorded_by)
    return found


@dataclass(frozen=True)
class PendingReview:
    case_id: int
    number: str
    public_id: str
    unit: str | None
    verdict: str | None
    since: datetime


def pending_reviews(*, session: orm.Session, where: sa.ColumnElement[bool], limit: int = 200) -> list[PendingReview]:
    """Cases within `where` with a finding or a 问责 waiting for the office, oldest first."""
    waiting = sa.union_all(
        sa.select(CaseFinding.case_id.label("case_id"), CaseFinding.recorded_at.label("at")).where(
            CaseFinding.status == PENDING
        ),
        sa.select(AccountabilityRecord.case_id, AccountabilityRecord.recorded_at).where(
            AccountabilityRecord.status == PENDING
        ),
    ).subquery()
    since = sa.func.min(waiting.c.at)
    stmt = (
        sa.select(Case.id, Case.number, Case.public_id, Case.respondent_unit, since)
        .join(waiting, waiting.c.case_id == Case.id)
        .where(where)
        .group_by(Case.id, Case.number, Case.public_id, Case.respondent_unit)
        .order_by(since)
        .limit(limit)
    )
    out = []
    for case_id, number, public_id, unit, at in session.execute(stmt):
        row = session.get(CaseFinding, case_id)
        out.append(PendingReview(case_id, number, public_id, unit, row.verdict if row else None, at))
    return out


# -- figures for the digest, the ledger and a unit's record --------------------------------------------------------


def findings_between(*, session: orm.Session, start: datetime, end: datetime,
                     units: Sequence[str] | None = None) -> list[sa.Row[Any]]:  # fmt: skip
    """(unit, verdict, status) of the findings recorded in [start, end) and not sent back."""
    stmt = (
        sa.select(Case.respondent_unit, CaseFinding.verdict, CaseFinding.status)
        .join(Case, Case.id == CaseFinding.case_id)
        .where(CaseFinding.recorded_at >= start, CaseFinding.recorded_at < end, CaseFinding.status != RETURNED)
    )
    if units is not None:
        stmt = stmt.where(Case.respondent_unit.in_(list(units)))
    return list(session.execute(stmt))


def records_between(*, session: orm.Session, start: datetime, end: datetime,
                    units: Sequence[str] | None = None) -> list[sa.Row[Any]]:  # fmt: skip
    """(number, unit, measure, post, status, recorded_at) of the 问责 recorded in [start, end), not sent back."""
    stmt = (
        sa.select(Case.number, AccountabilityRecord.unit, AccountabilityRecord.measure, AccountabilityRecord.post,
                  AccountabilityRecord.status, AccountabilityRecord.recorded_at)
        .join(Case, Case.id == AccountabilityRecord.case_id)
        .where(AccountabilityRecord.recorded_at >= start, AccountabilityRecord.recorded_at < end,
               AccountabilityRecord.status != RETURNED)
        .order_by(AccountabilityRecord.recorded_at, AccountabilityRecord.id)
    )  # fmt: skip
    if units is not None:
        stmt = stmt.where(AccountabilityRecord.unit.in_(list(units)))
    return list(session.execute(stmt))


def for_cases(*, session: orm.Session, case_ids: Sequence[int]) -> tuple[dict[int, CaseFinding],
                                                                          dict[int, list[AccountabilityRecord]]]:  # fmt: skip
    """The current finding and 问责 of each case (the ledger's columns), in two queries."""
    if not case_ids:
        return {}, {}
    ids = list(case_ids)
    found = {f.case_id: f for f in session.scalars(sa.select(CaseFinding).where(CaseFinding.case_id.in_(ids)))}
    recs: dict[int, list[AccountabilityRecord]] = {}
    stmt = (
        sa.select(AccountabilityRecord)
        .where(AccountabilityRecord.case_id.in_(ids), AccountabilityRecord.status != RETURNED)
        .order_by(AccountabilityRecord.id)
    )
    for r in session.scalars(stmt):
        recs.setdefault(r.case_id, []).append(r)
    return found, recs
