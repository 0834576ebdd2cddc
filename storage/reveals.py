"""Repository for two-person 查看身份 requests (`reveal_requests`). Never commits; decides nothing but what the
database itself must guarantee: a request is decided once, and never by the account that made it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Case
from storage.models import RevealRequest
from storage.models import StaffAccount

PENDING, APPROVED, DECLINED = "pending", "approved", "declined"


@dataclass(frozen=True, slots=True)
class RevealRow:
    """A request as lists show it: never the identity, only who asked, who decided and why."""

    id: int
    case_number: str
    case_public_id: str
    requested_by: int
    requester: str  # display name (username)
    reason: str
    requested_at: datetime
    status: str
    decider: str | None
    decided_at: datetime | None
    expires_at: datetime | None


def add(*, session: orm.Session, case_id: int, requested_by: int, reason: str, now: datetime) -> RevealRequest:
    row = RevealRequest(case_id=case_id, requested_by=requested_by, reason=reason, requested_at=now, status=PENDING)
    session.add(row)
    session.flush()
    return row


def get(*, session: orm.Session, request_id: int) -> RevealRequest | None:
    return session.get(RevealRequest, request_id)


def open_for(*, session: orm.Session, case_id: int, staff_id: int, now: datetime) -> RevealRequest | None:
    """The account's latest request for the case that still counts: pending, or approved and not yet expired."""
    return session.scalars(
        sa.select(RevealRequest)
        .where(
            RevealRequest.case_id == case_id,
            RevealRequest.requested_by == staff_id,
            sa.or_(
                RevealRequest.status == PENDING,
                sa.and_(RevealRequest.status == APPROVED, RevealRequest.expires_at > now),
            ),
        )  # fmt: skip
        .order_by(RevealRequest.id.desc())
        .limit(1)
    ).one_or_none()


def decide(*, session: orm.Session, request_id: int, status: str, decided_by: int, now: datetime,
           expires_at: datetime | None) -> bool:  # fmt: skip
    """Approve or decline a pending request, in one conditional UPDATE: False when it was no longer pending or
    `decided_by` is its requester (so two approvers racing, or a self-approval, change nothing)."""
    if status not in (APPROVED, DECLINED):
        raise ValueError(f"unknown decision {status!r}")
    result = session.execute(
        sa.update(RevealRequest)
        .where(
            RevealRequest.id == request_id, RevealRequest.status == PENDING, RevealRequest.requested_by != decided_by
        )  # fmt: skip
        .values(status=status, decided_by=decided_by, decided_at=now, expires_at=expires_at)
        .execution_options(synchronize_session="fetch")
    )
    return bool(getattr(result, "rowcount", 0))


def _who(display_name: str | None, username: str | None) -> str | None:
    return None if username is None else f"{display_name}（{username}）"


def _rows(session: orm.Session, where: Sequence[sa.ColumnElement[bool]], limit: int,
          newest_first: bool = True) -> list[RevealRow]:  # fmt: skip
    requester = orm.aliased(StaffAccount)
    decider = orm.aliased(StaffAccount)
    order = RevealRequest.id.desc() if newest_first else RevealRequest.id.asc()
    stmt = (
        sa.select(
            RevealRequest,
            Case.number,
            Case.public_id,
            requester.display_name,
            requester.username,
            decider.display_name,
            decider.username,
        )  # fmt: skip
        .join(Case, Case.id == RevealRequest.case_id)
        .join(requester, requester.id == RevealRequest.requested_by)
        .outerjoin(decider, decider.id == RevealRequest.decided_by)
        .where(*where)
        .order_by(order)
        .limit(limit)
    )
    return [
        RevealRow(
            id=r.id,
            case_number=number,
            case_public_id=public_id,
            requested_by=r.requested_by,
            requester=_who(asked, asked_user) or "",
            reason=r.reason,
            requested_at=r.requested_at,
            status=r.status,
            decider=_who(decided, decided_user),
            decided_at=r.decided_at,
            expires_at=r.expires_at,
        )  # fmt: skip
        for r, number, public_id, asked, asked_user, decided, decided_user in session.execute(stmt)
    ]


def listing(*, session: orm.Session, where: sa.ColumnElement[bool], status: str | None = PENDING,
            limit: int = 100) -> list[RevealRow]:  # fmt: skip
    """Requests about the cases `where` selects (the viewer's scope), newest first; one status or all."""
    conditions = [where] if status is None else [where, RevealRequest.status == status]
    return _rows(session, conditions, limit)


def approved_between(*, session: orm.Session, start: datetime, end: datetime, limit: int = 500) -> list[RevealRow]:
    """The requests approved in [start, end), oldest first: the week's reveals for the office's digest."""
    return _rows(session, [RevealRequest.status == APPROVED, RevealRequest.decided_at >= start,
                           RevealRequest.decided_at < end], limit, newest_first=False)  # fmt: skip
