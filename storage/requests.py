"""Repository for the requests a handler makes and the office decides (`case_requests`): 延期 and 提前办结.
Never commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import CaseRequest

PENDING = "pending"


def add(*, session: orm.Session, case_id: int, kind: str, days: int | None, reason: str, requested_by: str,
        at: datetime) -> CaseRequest:  # fmt: skip
    """A new pending request; an older pending one of the same kind on the case is voided (superseded)."""
    for old in pending(session=session, case_id=case_id, kinds=(kind,)):
        old.status, old.decided_at, old.decision_note = "void", at, "被新的申请取代"
    row = CaseRequest(case_id=case_id, kind=kind, days=days, reason=reason, requested_by=requested_by,
                      requested_at=at, status=PENDING)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def pending(*, session: orm.Session, case_id: int, kinds: Iterable[str] | None = None) -> list[CaseRequest]:
    """The case's requests still waiting for a decision, oldest first."""
    stmt = sa.select(CaseRequest).where(CaseRequest.case_id == case_id, CaseRequest.status == PENDING)
    if kinds is not None:
        stmt = stmt.where(CaseRequest.kind.in_(sorted(set(kinds))))
    return list(session.scalars(stmt.order_by(CaseRequest.id)))


def latest_pending(*, session: orm.Session, case_id: int, kind: str) -> CaseRequest | None:
    rows = pending(session=session, case_id=case_id, kinds=(kind,))
    return rows[-1] if rows else None


def decide(*, request: CaseRequest, status: str, by: str, at: datetime, note: str | None,
           granted_days: int | None = None) -> None:  # fmt: skip
    request.status, request.decided_by, request.decided_at = status, by, at
    request.decision_note, request.granted_days = note, granted_days
