"""The signed-in viewer's scope: `handlers.visibility` decides which cases, `storage.case_scope` finds them.

Anything outside the scope is answered exactly like a case that does not exist: 404.
"""

from __future__ import annotations

from dataclasses import asdict

import sqlalchemy as sa
from flask import abort
from flask import g
from sqlalchemy import orm

from bot.console.base import Viewer
from handlers.config import CityConfig
from handlers.visibility import StaffMember
from handlers.visibility import conflicted_units as _conflicted
from handlers.visibility import may_touch as _may_touch
from handlers.visibility import visibility
from storage import case_scope
from storage.models import Case


def member(v: Viewer) -> StaffMember:
    return StaffMember(role=v.role, units=v.units, member_of=v.member_of, supervisor_id=v.supervisor_id,
                       name=v.display_name)  # fmt: skip


def conflicted_units(v: Viewer, city: CityConfig) -> set[str]:
    return set(_conflicted(member(v), city))


def may_touch(v: Viewer, unit: str | None, city: CityConfig) -> bool:
    """False for a case about a unit the viewer belongs to (回避): the check behind every step that changes a case."""
    return _may_touch(member(v), unit, city)


def case_filter(v: Viewer, city: CityConfig) -> sa.ColumnElement[bool]:
    """A WHERE clause selecting exactly the cases `v` may see."""
    return case_scope.visible(**asdict(visibility(member(v), city)))


def find_case(session: orm.Session, v: Viewer, city: CityConfig, public_id: str) -> Case | None:
    return case_scope.find_visible(session=session, where=case_filter(v, city), public_id=public_id)


def case_or_404(session: orm.Session, v: Viewer, city: CityConfig, public_id: str) -> Case:
    """The case, or the same 404 whether it does not exist or is not the viewer's to see."""
    case = find_case(session, v, city, public_id)
    if case is None:
        # Logged after the transaction (see bot.console.log_refusals): the refusal itself is worth keeping.
        g.console_denied = public_id[:64]
        abort(404)
    return case


def by_number_in_scope(session: orm.Session, v: Viewer, city: CityConfig, number: str) -> Case | None:
    return case_scope.visible_by_number(session=session, where=case_filter(v, city), number=number)
