"""Who may read a unit's record and the officials' 活档案: the organisation department sees figures and the 活档案
but never a case; supervisors only their units and never one they are conflicted with; unit heads their own."""

from __future__ import annotations

from bot.settings import load_city_config
from handlers.visibility import StaffMember
from handlers.visibility import reads_dossier
from handlers.visibility import unit_record_access
from handlers.visibility import visibility

CITY = load_city_config()
NESTED = CITY.model_copy(update={"units": tuple(u.model_copy(update={"parent": "gaj"}) if u.code == "cgs" else u
                                                for u in CITY.units)})  # fmt: skip


def test_the_organisation_department_sees_no_case_but_every_units_figures() -> None:
    org = StaffMember(role="organisation")
    assert visibility(org, CITY).nothing
    assert {unit_record_access(org, u.code, CITY) for u in CITY.units} == {"figures"}
    assert reads_dossier(org)
    for role in ("office", "supervisor", "unit_head", "admin"):
        assert not reads_dossier(StaffMember(role=role, units=("bdc",)))


def test_the_office_sees_cases_except_where_it_must_stay_away() -> None:
    assert unit_record_access(StaffMember(role="office", member_of="zyb"), "bdc", CITY) == "cases"
    assert unit_record_access(StaffMember(role="office", member_of="gaj"), "cgs", NESTED) is None
    assert unit_record_access(StaffMember(role="office"), "nonesuch", CITY) is None


def test_supervisors_see_the_units_they_oversee_and_are_not_conflicted_with() -> None:
    sup = StaffMember(role="supervisor", units=("bdc", "zrj"), member_of="zyb")
    assert unit_record_access(sup, "bdc", CITY) == "cases" and unit_record_access(sup, "gaj", CITY) is None
    # An account that slipped past the account rules: it oversees the unit it belongs to (or one below it).
    assert unit_record_access(StaffMember(role="supervisor", units=("bdc",), member_of="bdc"), "bdc", CITY) is None
    assert unit_record_access(StaffMember(role="supervisor", units=("cgs",), member_of="gaj"), "cgs", NESTED) is None


def test_a_unit_head_sees_their_own_units_figures_only() -> None:
    head = StaffMember(role="unit_head", units=("bdc",), member_of="bdc")
    assert unit_record_access(head, "bdc", CITY) == "figures"
    assert unit_record_access(head, "gaj", CITY) is None
    assert unit_record_access(StaffMember(role="admin"), "bdc", CITY) is None
