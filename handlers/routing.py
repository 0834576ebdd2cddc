"""Routing with 回避: who handles a case about a unit, never someone who belongs to that unit.

Pure: the open load per supervisor is passed in, so the choice is reproducible and testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from handlers.config import CityConfig
from handlers.config import Supervisor


@dataclass(frozen=True, slots=True)
class RouteDecision:
    action: str  # "route" or "to_triage"
    assignees: tuple[tuple[str, str], ...]  # (supervisor id, role: handler | triage)
    reason: str
    inform: tuple[str, ...] = ()  # told, not assigned: the office's desk for a case 纪委监委 leads


# The category 纪委监委 leads (吃拿卡要: bribes, gifts, favours), whenever a discipline body is configured.
DISCIPLINE_LED = "corruption"


def conflicted(supervisor: Supervisor, unit: str | None, city: CityConfig) -> bool:
    """True when the supervisor belongs to the unit (or to its parent chain) the case is about."""
    if unit is None:
        return False
    chain = {unit}
    seen = set()
    current = city.unit(unit)
    while current is not None and current.parent and current.parent not in seen:
        seen.add(current.parent)
        chain.add(current.parent)
        current = city.unit(current.parent)
    return supervisor.member_of in chain


def eligible(city: CityConfig, oversees: str, respondent: str | None) -> list[Supervisor]:
    return [
        s
        for s in city.supervisors
        if oversees in s.units and s.role == "supervisor" and not conflicted(s, respondent, city)
    ]


def _least_loaded(candidates: list[Supervisor], load: Mapping[str, int]) -> Supervisor:
    return min(candidates, key=lambda s: (load.get(s.id, 0), s.id))


def route(*, category: str, unit: str | None, triage: bool, city: CityConfig, load: Mapping[str, int]) -> RouteDecision:
    triagers = eligible(city, city.office_code, unit)
    if triage or unit is None or city.unit(unit) is None:
        if not triagers:
            raise LookupError(f"no triage supervisor configured for {city.office_code}")
        return RouteDecision("to_triage", ((_least_loaded(triagers, load).id, "triage"),), "classifier unsure")
    if category == DISCIPLINE_LED and city.discipline_code:
        # 吃拿卡要: the discipline commission leads, the supervising office is informed; the unit's own
        # supervisors are not in it (a bribe case is a matter for 纪委监委, and the fewer who know the better).
        discipline = eligible(city, city.discipline_code, unit)
        if discipline:
            inform = tuple(s.id for s in eligible(city, city.office_code, unit))
            return RouteDecision("route", ((_least_loaded(discipline, load).id, "handler"),), "discipline led", inform)
    handlers_ = eligible(city, unit, unit)
    if not handlers_:
        if not triagers:
            raise LookupError(f"no supervisor for {unit} and no triage supervisor")
        return RouteDecision(
            "to_triage", ((_least_loaded(triagers, load).id, "triage"),), f"no eligible supervisor for {unit}"
        )
    return RouteDecision("route", ((_least_loaded(handlers_, load).id, "handler"),), "respondent unit supervisors")


def candidates(*, category: str, unit: str | None, city: CityConfig) -> set[str]:
    """Every supervisor `route` could pick for such a case: only their open load needs counting."""
    pool = eligible(city, city.office_code, unit)
    if unit is not None and city.unit(unit) is not None:
        pool += eligible(city, unit, unit)
        if category == "corruption":
            pool += eligible(city, city.discipline_code, unit) if city.discipline_code else []
    return {s.id for s in pool}


def may_handle(supervisor_id: str, unit: str | None, city: CityConfig) -> bool:
    """The server-side check behind every reassignment: refuse anyone from the accused unit."""
    sup = next((s for s in city.supervisors if s.id == supervisor_id), None)
    return sup is not None and not conflicted(sup, unit, city)
