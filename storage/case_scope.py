"""Which case rows a member of staff may read, as a WHERE clause: the query side of `handlers.visibility`.

Every path that serves a case (page, action, file, export, search, dashboard list, ledger) filters through
`visible`, so a case outside a viewer's scope and a case that does not exist look the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Assignment
from storage.models import Case


def visible(
    *,
    nothing: bool = False,
    everything: bool = False,
    units: Sequence[str] = (),
    assigned_to: str | None = None,
    blocked: Sequence[str] = (),
) -> sa.ColumnElement[bool]:
    """The cases about `units` or assigned to `assigned_to` (or every case), never one about a `blocked` unit."""
    if nothing:
        return sa.false()
    if everything:
        mine: sa.ColumnElement[bool] = sa.true()
    else:
        parts: list[sa.ColumnElement[bool]] = [Case.respondent_unit.in_(list(units))] if units else []
        if assigned_to:
            parts.append(Case.id.in_(sa.select(Assignment.case_id).where(Assignment.supervisor_id == assigned_to)))
        if not parts:
            return sa.false()
        mine = sa.or_(*parts)
    if blocked:
        mine = sa.and_(mine, sa.or_(Case.respondent_unit.is_(None), Case.respondent_unit.not_in(sorted(blocked))))
    return mine


def find_visible(*, session: orm.Session, where: sa.ColumnElement[bool], public_id: str) -> Case | None:
    if not public_id or len(public_id) > 32:
        return None
    return session.scalars(sa.select(Case).where(where, Case.public_id == public_id)).one_or_none()


def visible_by_number(*, session: orm.Session, where: sa.ColumnElement[bool], number: str) -> Case | None:
    return session.scalars(sa.select(Case).where(where, Case.number == number.strip().upper())).one_or_none()


def public_ids(*, session: orm.Session, where: sa.ColumnElement[bool], numbers: Sequence[str]) -> dict[str, str]:
    """number → public id of the listed cases the viewer may open."""
    if not numbers:
        return {}
    rows = session.execute(sa.select(Case.number, Case.public_id).where(where, Case.number.in_(sorted(numbers))))
    return {n: pid for n, pid in rows}
