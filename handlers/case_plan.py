"""What becomes of a finished report before any row exists: its category and unit, whether it goes to triage, its
deadlines, and who handles it (派单 with 回避). `bot.service.casework` writes exactly this plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from handlers.calendar import WorkCalendar
from handlers.config import CityConfig
from handlers.deadlines import Deadlines
from handlers.deadlines import compute_deadlines
from handlers.routing import RouteDecision
from handlers.routing import route

FALLBACK_CATEGORY = "other"


@dataclass(frozen=True, slots=True)
class CasePlan:
    category: str
    unit: str | None  # None: nothing points at a known unit (the triage desk decides)
    triage: bool
    deadlines: Deadlines
    route: RouteDecision


def known_category(city: CityConfig, code: str | None) -> str:
    return code if code and city.category(code) else FALLBACK_CATEGORY


def known_unit(city: CityConfig, code: str | None) -> str | None:
    return code if code and city.unit(code) else None


def plan_case(
    *,
    category: str | None,
    unit: str | None,
    triage: bool,
    city: CityConfig,
    calendar: WorkCalendar,
    now: datetime,
    load: Mapping[str, int],
) -> CasePlan:
    """The plan for a report filed at `now`; `load` is the open caseload of the supervisors routing may choose
    (`handlers.routing.candidates`)."""
    code = known_category(city, category)
    unit = known_unit(city, unit)
    triage = bool(triage or unit is None)
    found = city.category(code)
    assert found is not None  # config validation guarantees the fallback category exists
    decision = route(category=code, unit=unit, triage=triage, city=city, load=load)
    return CasePlan(code, unit, triage, compute_deadlines(found, now, calendar), decision)
