"""The case lifecycle table, routing with 回避, supervisor command parsing and rating parsing."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from bot.settings import load_city_config
from handlers import lifecycle
from handlers.followup import parse_rating
from handlers.lifecycle import IllegalTransition
from handlers.lifecycle import transition
from handlers.routing import candidates
from handlers.routing import may_handle
from handlers.routing import route
from handlers.supervisor import parse
from storage import audit

CITY = load_city_config()


def test_the_closed_loop() -> None:
    state = "submitted"
    for action in ("route", "sign", "ask", "reply", "request_rating", "rate_satisfied"):
        state = transition(state, action)
    assert state == "closed"


def test_unsatisfied_rating_reopens_and_the_loop_runs_again() -> None:
    state = transition(transition("answered", "request_rating"), "rate_unsatisfied")
    assert state == "reopened"
    assert transition(transition(state, "sign"), "reply") == "answered"


@pytest.mark.parametrize(
    ("state", "action"),
    [("closed", "sign"), ("submitted", "reply"), ("assigned", "close"), ("merged", "route"), ("rating", "sign")],
)
def test_illegal_transitions_are_refused_with_a_reason(state: str, action: str) -> None:
    with pytest.raises(IllegalTransition) as exc:
        transition(state, action)
    assert lifecycle.STATES[state] in exc.value.reason


def test_every_state_is_reachable_and_labelled() -> None:
    reachable = {"submitted"} | {to for _, to in lifecycle.TRANSITIONS.values()}
    assert reachable == set(lifecycle.STATES)


def test_audit_hash_changes_with_any_field() -> None:
    at = datetime(2026, 11, 27, tzinfo=UTC)
    f = audit.AuditFields("ZY2611270001", 1, at, "citizen", "submit", None, "submitted", None)
    h = audit.audit_hash(audit.GENESIS, f)
    g = audit.AuditFields("ZY2611270001", 1, at, "citizen", "submit", None, "submitted", "x")
    assert h != audit.audit_hash(audit.GENESIS, g)
    assert h != audit.audit_hash("1" * 64, f)


def test_a_bdc_case_goes_to_a_bdc_supervisor_balanced_by_load() -> None:
    d1 = route(category="attitude", unit="bdc", triage=False, city=CITY, load={})
    assert d1.action == "route" and d1.assignees == (("sup_bdc", "handler"),)
    d2 = route(category="attitude", unit="bdc", triage=False, city=CITY, load={"sup_bdc": 3, "sup_bdc2": 1})
    assert d2.assignees == (("sup_bdc2", "handler"),)


def test_the_accused_units_own_staff_are_never_assigned() -> None:
    for load in ({}, {"sup_bdc": 99, "sup_bdc2": 99}):
        d = route(category="attitude", unit="bdc", triage=False, city=CITY, load=load)
        assert "head_bdc" not in {sid for sid, _ in d.assignees}
    assert not may_handle("head_bdc", "bdc", CITY)
    assert may_handle("sup_bdc", "bdc", CITY)


def test_a_bribe_is_led_by_the_discipline_commission_and_the_office_is_informed() -> None:
    d = route(category="corruption", unit="cgs", triage=False, city=CITY, load={})
    assert d.assignees == (("sup_jw", "handler"),) and d.inform == ("sup_triage",)
    # A possible bribe the classifier is unsure of goes to the triage desk, not to 纪委监委 on a guess.
    unsure = route(category="corruption", unit="cgs", triage=True, city=CITY, load={})
    assert unsure.action == "to_triage" and unsure.assignees == (("sup_triage", "triage"),)


def test_unsure_or_unknown_unit_goes_to_triage() -> None:
    assert route(category="other", unit=None, triage=False, city=CITY, load={}).action == "to_triage"
    assert route(category="other", unit="bdc", triage=True, city=CITY, load={}).assignees == (("sup_triage", "triage"),)


def test_only_the_candidates_load_matters_to_routing() -> None:
    """dispatch counts the open load of `candidates` only; every pick must come from that set, and loading
    everyone else to the brim must not change a decision."""
    units = [None, "nowhere", *(u.code for u in CITY.units)]
    everyone = {s.id for s in CITY.supervisors}
    for unit in units:
        for category in ("attitude", "corruption", "other"):
            for triage in (False, True):
                pool = candidates(category=category, unit=unit, city=CITY)
                for load in ({}, {sid: i for i, sid in enumerate(sorted(everyone))}):
                    d = route(category=category, unit=unit, triage=triage, city=CITY, load=load)
                    assert {sid for sid, _ in d.assignees} <= pool, (unit, category, triage)
                    others_full = {**load, **{sid: 10_000 for sid in everyone - pool}}
                    assert route(category=category, unit=unit, triage=triage, city=CITY, load=others_full) == d


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("签收 ZY2611270001", ("action", "sign", "ZY2611270001", None, None)),
        ("签收zy2611270001", ("action", "sign", "ZY2611270001", None, None)),
        (
            "回复 ZY2611270001 已责令窗口整改并向您致歉",
            ("action", "reply", "ZY2611270001", "已责令窗口整改并向您致歉", None),
        ),
        ("询问 ZY2611270001：具体是几号窗口？", ("action", "ask", "ZY2611270001", "具体是几号窗口？", None)),
        ("延期 ZY2611270001 5 需要现场核查", ("action", "request_extension", "ZY2611270001", "需要现场核查", 5)),
        ("退单 ZY2611270001 不属于本单位职责", ("action", "return", "ZY2611270001", "不属于本单位职责", None)),
        ("办结 ZY2611270001", ("action", "close", "ZY2611270001", None, None)),
        ("待办", ("todo", None, None, None, None)),
        ("绑定 123456", ("bind", None, None, "123456", None)),
        ("今天天气不错", ("help", None, None, None, None)),
    ],
)
def test_supervisor_commands_parse(text: str, expected: tuple) -> None:  # type: ignore[type-arg]
    c = parse(text)
    assert (c.name, c.action, c.number, c.text, c.days) == expected
    assert c.error is None


@pytest.mark.parametrize(
    "text", ["回复 ZY2611270001", "签收", "延期 ZY2611270001 需要核查", "延期 ZY2611270001 99 理由"]
)
def test_incomplete_commands_explain_what_is_missing(text: str) -> None:
    assert parse(text).error


@pytest.mark.parametrize(
    ("text", "outcome", "conduct", "satisfied"),
    [("1A", "1", "A", True), ("3 c", "3", "C", False), ("已解决，基本满意", "1", "B", True), ("未解决 不满意", "3", "C", False),
     ("2B", "2", "B", True), ("1C", "1", "C", False)],
)  # fmt: skip
def test_ratings_parse(text: str, outcome: str, conduct: str, satisfied: bool) -> None:
    r = parse_rating(text)
    assert r is not None and (r.outcome, r.conduct, r.satisfied) == (outcome, conduct, satisfied)


@pytest.mark.parametrize("text", ["好的", "4A", "1", "嗯", "满意度调查是什么"])
def test_non_ratings_are_not_taken_as_ratings(text: str) -> None:
    assert parse_rating(text) is None


@pytest.mark.parametrize(("text", "outcome", "conduct"), [("满意", "1", "A"), ("基本满意！", "2", "B"),
                                                          ("不满意", "3", "C"), ("差评", "3", "C")])  # fmt: skip
def test_a_rating_in_one_word_is_understood(text: str, outcome: str, conduct: str) -> None:
    r = parse_rating(text)
    assert r is not None and (r.outcome, r.conduct) == (outcome, conduct)
