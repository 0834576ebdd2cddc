"""The visibility rule: 回避 for every role, parents included."""

from __future__ import annotations

from bot.settings import load_city_config
from handlers.visibility import StaffMember
from handlers.visibility import conflicted_units
from handlers.visibility import may_touch
from handlers.visibility import visibility

CITY = load_city_config()
# The same city, with the 车管所 placed under the 公安局.
NESTED = CITY.model_copy(update={"units": tuple(u.model_copy(update={"parent": "gaj"}) if u.code == "cgs" else u
                                                for u in CITY.units)})  # fmt: skip


def test_an_office_account_of_the_office_sees_everything() -> None:
    v = visibility(StaffMember(role="office", member_of="zyb"), CITY)
    assert v.everything and v.blocked == () and not v.nothing
    assert visibility(StaffMember(role="office"), CITY).blocked == ()


def test_an_office_account_of_a_unit_is_blocked_from_it_and_from_the_units_below_it() -> None:
    flat = visibility(StaffMember(role="office", member_of="bdc"), CITY)
    assert flat.everything and flat.blocked == ("bdc",)
    nested = visibility(StaffMember(role="office", member_of="gaj"), NESTED)
    assert nested.everything and nested.blocked == ("cgs", "gaj")
    # A person of the child unit is conflicted for it, not for its parent.
    assert conflicted_units(StaffMember(role="office", member_of="cgs"), NESTED) == ("cgs",)


def test_may_touch_applies_to_every_role() -> None:
    for role in ("office", "supervisor", "unit_head", "admin"):
        member = StaffMember(role=role, units=("cgs",), member_of="gaj")
        assert not may_touch(member, "cgs", NESTED) and not may_touch(member, "gaj", NESTED)
        assert may_touch(member, "bdc", NESTED) and may_touch(member, None, NESTED)


def test_supervisors_keep_their_rule() -> None:
    v = visibility(StaffMember(role="supervisor", units=("bdc", "gaj"), member_of="bdc"), CITY)
    assert v.units == ("bdc", "gaj") and v.blocked == ("bdc",)
    assert visibility(StaffMember(role="unit_head", units=("bdc",), member_of="bdc"), CITY).nothing


def test_an_inspector_sees_no_case_and_never_inspects_their_own_unit_or_one_below_it() -> None:
    from handlers.inspection import may_inspect

    inspector = StaffMember(role="inspector", member_of="gaj")
    assert visibility(inspector, NESTED).nothing
    assert not may_inspect(inspector, "gaj", NESTED) and not may_inspect(inspector, "cgs", NESTED)
    assert may_inspect(inspector, "bdc", NESTED) and not may_inspect(inspector, "nowhere", NESTED)
    child = StaffMember(role="inspector", member_of="cgs")  # as for cases: conflicted for cgs, not for its parent
    assert not may_inspect(child, "cgs", NESTED) and may_inspect(child, "gaj", NESTED)
    assert not may_inspect(StaffMember(role="supervisor", units=("bdc",)), "bdc", NESTED)  # not an inspector
