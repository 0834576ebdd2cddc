"""Repository for 明查暗访 inspections and their photos. Never commits."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Case
from storage.models import Inspection
from storage.models import InspectionPhoto
from storage.models import StaffAccount


def add(*, session: orm.Session, inspector_id: int, unit: str, window: str | None, visited_at: datetime,
        checks: Mapping[str, bool | None], wait_minutes: int | None, findings: str | None,
        now: datetime) -> Inspection:  # fmt: skip
    row = Inspection(inspector_id=inspector_id, unit=unit, window=window, visited_at=visited_at,
                     wait_minutes=wait_minutes, findings=findings, created_at=now, **dict(checks))  # fmt: skip
    session.add(row)
    session.flush()
    return row


def add_photo(*, session: orm.Session, inspection_id: int, sha256: str, path: str, content_type: str,
              size_bytes: int, now: datetime) -> InspectionPhoto:  # fmt: skip
    row = InspectionPhoto(inspection_id=inspection_id, sha256=sha256, path=path, content_type=content_type,
                          size_bytes=size_bytes, stored_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def get(*, session: orm.Session, inspection_id: int) -> Inspection | None:
    return session.get(Inspection, inspection_id)


def inspector_and_case(*, session: orm.Session, row: Inspection) -> tuple[str, str | None, str | None]:
    """The inspector's username, and the number and public id of the case the visit opened (if any)."""
    who = session.scalar(sa.select(StaffAccount.username).where(StaffAccount.id == row.inspector_id)) or ""
    case = session.get(Case, row.case_id) if row.case_id else None
    return who, case.number if case else None, case.public_id if case else None


def photos(*, session: orm.Session, inspection_id: int) -> list[InspectionPhoto]:
    stmt = sa.select(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection_id)
    return list(session.scalars(stmt.order_by(InspectionPhoto.id)))


def photo_counts(*, session: orm.Session, inspection_ids: Sequence[int]) -> dict[int, int]:
    if not inspection_ids:
        return {}
    stmt = (
        sa.select(InspectionPhoto.inspection_id, sa.func.count())
        .where(InspectionPhoto.inspection_id.in_(list(inspection_ids)))
        .group_by(InspectionPhoto.inspection_id)
    )
    return {i: int(n) for i, n in session.execute(stmt)}


def listing(*, session: orm.Session, inspector_id: int | None, start: datetime | None = None,
            end: datetime | None = None, units_blocked: Sequence[str] = (),
            limit: int = 1000) -> list[tuple[Inspection, str, str | None]]:  # fmt: skip
    """(inspection, inspector's username, number of the case it opened) — one inspector's (or, None, everyone's),
    visited in [start, end), newest first; never about a unit in `units_blocked`."""
    stmt = (
        sa.select(Inspection, StaffAccount.username, Case.number)
        .join(StaffAccount, StaffAccount.id == Inspection.inspector_id)
        .outerjoin(Case, Case.id == Inspection.case_id)
    )
    if inspector_id is not None:
        stmt = stmt.where(Inspection.inspector_id == inspector_id)
    if start is not None:
        stmt = stmt.where(Inspection.visited_at >= start)
    if end is not None:
        stmt = stmt.where(Inspection.visited_at < end)
    if units_blocked:
        stmt = stmt.where(Inspection.unit.not_in(list(units_blocked)))
    stmt = stmt.order_by(Inspection.visited_at.desc(), Inspection.id.desc()).limit(limit)
    return [(i, u, n) for i, u, n in session.execute(stmt).tuples()]


def between(*, session: orm.Session, start: datetime, end: datetime) -> list[Inspection]:
    """Every inspection visited in [start, end): the 暗访 component of the monthly standing."""
    stmt = sa.select(Inspection).where(Inspection.visited_at >= start, Inspection.visited_at < end)
    return list(session.scalars(stmt.order_by(Inspection.id)))
