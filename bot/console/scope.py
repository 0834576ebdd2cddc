"""Which cases a viewer may see: one rule, used by every path that serves a case (page, action, file, export).

- office (治庸办): every case;
- supervisor: the cases of the units on their account, plus any case assigned to their configured supervisor id
  (triage, discipline) — never a case about the unit they belong to or its parents (回避);
- unit_head, admin: no case at all (a unit head's unit may be the accused; they get aggregate figures only).
Anything outside the scope is answered exactly like a case that does not exist: 404.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask import g
from sqlalchemy import orm

from bot.console.base import Viewer
from handlers.config import CityConfig
from handlers.config import Supervisor
from handlers.routing import conflicted
from storage.models import Assignment
from storage.models import Case


def as_supervisor(v: Viewer) -> Supervisor:
    """The viewer in the shape `handlers.routing.conflicted` understands."""
    return Supervisor(id=v.supervisor_id or "staff_account", name=v.display_name, member_of=v.member_of or "zyb",
                      units=v.units or ("zyb",), role="supervisor")  # fmt: skip


def conflicted_units(v: Viewer, city: CityConfig) -> set[str]:
    me = as_supervisor(v)
    return {u.code for u in city.units if conflicted(me, u.code, city)}


def case_filter(v: Viewer, city: CityConfig) -> sa.ColumnElement[bool]:
    """A WHERE clause selecting exactly the cases `v` may see."""
    if v.role == "office":
        return sa.true()
    if v.role != "supervisor":
        return sa.false()
    mine = [Case.respondent_unit.in_(list(v.units))] if v.units else []
    if v.supervisor_id:
        assigned = sa.select(Assignment.case_id).where(Assignment.supervisor_id == v.supervisor_id)
        mine.append(Case.id.in_(assigned))
    if not mine:
        return sa.false()
    blocked = conflicted_units(v, city)
    clause = sa.or_(*mine)
    if blocked:
        clause = sa.and_(clause, sa.or_(Case.respondent_unit.is_(None), Case.respondent_unit.not_in(sorted(blocked))))
    return clause


def scoped_select(v: Viewer, city: CityConfig) -> sa.Select[tuple[Case]]:
    return sa.select(Case).where(case_filter(v, city))


def find_case(session: orm.Session, v: Viewer, city: CityConfig, public_id: str) -> Case | None:
    if not public_id or len(public_id) > 32:
        return None
    return session.scalars(scoped_select(v, city).where(Case.public_id == public_id)).one_or_none()


def case_or_404(session: orm.Session, v: Viewer, city: CityConfig, public_id: str) -> Case:
    """The case, or the same 404 whether it does not exist or is not the viewer's to see."""
    case = find_case(session, v, city, public_id)
    if case is None:
        # Logged after the transaction (see bot.console.log_refusals): the refusal itself is worth keeping.
        g.console_denied = public_id[:64]
        abort(404)
    return case


def by_number_in_scope(session: orm.Session, v: Viewer, city: CityConfig, number: str) -> Case | None:
    return session.scalars(scoped_select(v, city).where(Case.number == number.strip().upper())).one_or_none()
