"""Which cases a member of staff may see: one rule, used by every path that serves a case (page, action, file,
export, search, dashboard, ledger).

- office (治庸办): every case;
- supervisor: the cases of the units on their account, plus any case assigned to their configured supervisor id
  (triage, discipline);
- unit_head, admin: no case at all (a unit head's unit may be the accused; they get aggregate figures only).
回避 applies to every role: never a case about the unit a person belongs to, nor about a unit below it (a person of
a parent unit is conflicted for its children). Account rules keep office accounts out of the units, and this rule
holds even for a row that slipped past them.
Pure: the caller turns the answer into a query (`storage.case_scope`).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.config import CityConfig
from handlers.config import Supervisor
from handlers.routing import conflicted


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A signed-in account as the rule needs it."""

    role: str
    units: tuple[str, ...] = ()
    member_of: str | None = None
    supervisor_id: str | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Visibility:
    """The cases a person may see: every case (`everything`), or those about `units` plus those assigned to
    `assigned_to`; in both, never a case about a unit in `blocked`. `nothing` overrides all."""

    nothing: bool = False
    everything: bool = False
    units: tuple[str, ...] = ()
    assigned_to: str | None = None
    blocked: tuple[str, ...] = ()


def as_supervisor(member: StaffMember, city: CityConfig) -> Supervisor:
    """The account in the shape `handlers.routing.conflicted` understands."""
    return Supervisor(id=member.supervisor_id or "staff_account", name=member.name or "staff", member_of=member.member_of or city.office_code,
                      units=member.units or (city.office_code,), role="supervisor")  # fmt: skip


def conflicted_units(member: StaffMember, city: CityConfig) -> tuple[str, ...]:
    """The units whose cases this person must never handle or see (回避)."""
    me = as_supervisor(member, city)
    return tuple(sorted(u.code for u in city.units if conflicted(me, u.code, city)))


def visibility(member: StaffMember, city: CityConfig) -> Visibility:
    if member.role == "office":
        return Visibility(everything=True, blocked=conflicted_units(member, city))
    if member.role != "supervisor" or not (member.units or member.supervisor_id):
        return Visibility(nothing=True)
    return Visibility(units=member.units, assigned_to=member.supervisor_id, blocked=conflicted_units(member, city))


def may_touch(member: StaffMember, unit: str | None, city: CityConfig) -> bool:
    """False when a case about `unit` is one this person must stay away from (回避), whatever their role."""
    return unit is None or unit not in conflicted_units(member, city)
