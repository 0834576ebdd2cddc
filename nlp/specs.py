"""What the classifier needs to know about the city: its units and behaviour categories, as plain frozen data.

`nlp/` does not import `handlers/`; callers build these from `CityConfig` with `specs_from_config`, which reads
attributes by name (duck typing), so any object with the same shape works, including test doubles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class UnitSpec:
    """A unit citizens complain about: its formal name, informal names and the services it provides."""

    code: str
    name: str
    aliases: tuple[str, ...] = ()
    services: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CategorySpec:
    """A behaviour category and the cue words that signal it."""

    code: str
    name: str
    cues: tuple[str, ...] = ()


def specs_from_config(city: Any) -> tuple[tuple[UnitSpec, ...], tuple[CategorySpec, ...]]:
    """Units and categories from a `CityConfig` (or anything with `.units` and `.categories` of that shape)."""
    units = tuple(
        UnitSpec(
            code=str(u.code),
            name=str(u.name),
            aliases=tuple(str(a) for a in getattr(u, "aliases", ()) or ()),
            services=tuple(str(s) for s in getattr(u, "services", ()) or ()),
        )
        for u in city.units
    )
    categories = tuple(
        CategorySpec(
            code=str(c.code),
            name=str(c.name),
            cues=tuple(str(q) for q in getattr(c, "cues", ()) or ()),
        )
        for c in city.categories
    )
    return units, categories


def thresholds_from_config(city: Any) -> tuple[float, float]:
    """(category_threshold, unit_threshold) from `city.nlp`."""
    nlp = city.nlp
    return float(nlp.category_threshold), float(nlp.unit_threshold)


def options_from_config(city: Any) -> dict[str, float]:
    """Every threshold of `city.nlp` as keyword arguments of `Classifier`; the corruption thresholds may be
    absent (an older configuration object), and then the classifier's defaults apply."""
    nlp = city.nlp
    category_threshold, unit_threshold = thresholds_from_config(city)
    options = {"category_threshold": category_threshold, "unit_threshold": unit_threshold}
    for name in ("corruption_threshold", "possible_corruption_threshold"):
        value = getattr(nlp, name, None)
        if value is not None:
            options[name] = float(value)
    return options
