"""Repository for 公开通报 (`bulletins`). Never commits. Public readers get approved rows only (`published`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Bulletin
from storage.models import Case
from storage.models import StaffAccount

DRAFT, APPROVED, WITHDRAWN = "draft", "approved", "withdrawn"


def add(*, session: orm.Session, case_id: int, tone: str, title: str, body: str, unit: str | None, staff_id: int,
        now: datetime) -> Bulletin:  # fmt: skip
    row = Bulletin(public_id=secrets.token_hex(8), case_id=case_id, tone=tone, title=title, body=body, unit=unit,
                   status=DRAFT, drafted_by=staff_id, drafted_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def get(*, session: orm.Session, bulletin_id: int, where: sa.ColumnElement[bool]) -> tuple[Bulletin, Case] | None:
    """The 通报 and its case, when the case is within `where` (the viewer's scope)."""
    row = session.execute(
        sa.select(Bulletin, Case).join(Case, Case.id == Bulletin.case_id).where(Bulletin.id == bulletin_id, where)
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


@dataclass(frozen=True)
class Listed:
    bulletin: Bulletin
    number: str
    public_case_id: str
    drafter: str
    approver: str | None


def listing(*, session: orm.Session, where: sa.ColumnElement[bool], limit: int = 200) -> list[Listed]:
    drafter = orm.aliased(StaffAccount)
    approver = orm.aliased(StaffAccount)
    stmt = (
        sa.select(Bulletin, Case.number, Case.public_id, drafter.username, approver.username)
        .join(Case, Case.id == Bulletin.case_id)
        .join(drafter, drafter.id == Bulletin.drafted_by)
        .outerjoin(approver, approver.id == Bulletin.approved_by)
        .where(where)
        .order_by(Bulletin.id.desc())
        .limit(limit)
    )
    return [Listed(b, n, pid, d, a) for b, n, pid, d, a in session.execute(stmt)]


def published(*, session: orm.Session, limit: int = 50) -> list[Bulletin]:
    """What the public may read: approved, newest first."""
    stmt = sa.select(Bulletin).where(Bulletin.status == APPROVED).order_by(Bulletin.approved_at.desc()).limit(limit)
    return list(session.scalars(stmt))


def published_one(*, session: orm.Session, public_id: str) -> Bulletin | None:
    if not public_id or len(public_id) > 24:
        return None
    stmt = sa.select(Bulletin).where(Bulletin.public_id == public_id, Bulletin.status == APPROVED)
    return session.scalars(stmt).one_or_none()
