"""Which cases a member of staff may see: one rule, used by every path that serves a case (page, action, file,
export, search, dashboard, ledger).

- office (治庸办): every case;
- supervisor: the cases of the units on their account, plus any case assigned to their configured supervisor id
  (triage, discipline);
- unit_head, admin, organisation (组织部), inspector (暗访员): no case at all (a unit head's unit may be the accused; they get aggregate
  figures only; the organisation department keeps the officials' 活档案 and reads the units' records as figures; an
  inspector sees only their own 明查暗访 records, `handlers.inspection`).
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
    if member.role == "organisation":
        return Visibility(nothing=True)  # never a case: not even one about a unit none of them belongs to
    if member.role == "office":
        return Visibility(everything=True, blocked=conflicted_units(member, city))
    if member.role != "supervisor" or not (member.units or member.supervisor_id):
        return Visibility(nothing=True)
    return Visibility(units=member.units, assigned_to=member.supervisor_id, blocked=conflicted_units(member, city))


def may_touch(member: StaffMember, unit: str | None, city: CityConfig) -> bool:
    """False when a case about `unit` is one this person must stay away from (回避), whatever their role."""
    return unit is None or unit not in conflicted_units(member, city)


def unit_record_access(member: StaffMember, unit: str, city: CityConfig) -> str | None:
    """What a person may see of a unit's record (`/console/units/<code>`): "cases" (figures and the cases, each
    within their case scope), "figures" (figures, 问责 by post, no case number), or None (not at all).

    - office: cases, unless they must stay away from the unit (回避);
    - organisation (组织部): figures of every unit;
    - supervisor: cases, for the units on their account they are not conflicted with;
    - unit head: figures, for their own unit only (their unit may be the accused: never a case number).
    """
    if city.unit(unit) is None:
        return None
    if member.role == "organisation":
        return "figures"
    if not may_touch(member, unit, city) and member.role != "unit_head":
        return None
    if member.role == "office":
        return "cases"
    if member.role == "supervisor":
        return "cases" if unit in member.units else None
    if member.role == "unit_head":
        return "figures" if unit in member.units or unit == member.member_of else None
    return None


def reads_dossier(member: StaffMember) -> bool:
    """The officials' 活档案 is the organisation department's alone."""
    return member.role == "organisation"
