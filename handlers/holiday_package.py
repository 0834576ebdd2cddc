"""What the `holidays` package knows of China's calendar: statutory holidays, in-lieu days and, for the years whose
State Council notice it carries, the 调休 swaps, with Chinese names for each day. Cached per process; pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING

import holidays

if TYPE_CHECKING:
    pass


_SUBSTITUTED_PREFIX = "休息日"


@lru_cache(maxsize=1)
def package_schedule_years() -> frozenset[int]:
    """Years for which the installed `holidays` package carries the State Council's 调休 schedule."""
    try:
        table = getattr(holidays.China(), "special_public_holidays", None) or {}
        return frozenset(int(y) for y in table)
    except Exception:  # a package change must degrade to "nothing known", not stop the bot
        return frozenset()


def _festivals_around(day: date, named: Mapping[date, str], worked: frozenset[date]) -> str | None:
    """The statutory festival(s) of the run of days off around `day`, e.g. "国庆节、中秋节" for 2025-10-01..08."""

    def off(d: date) -> bool:
        return d in named or (d.weekday() >= 5 and d not in worked)

    lo = hi = day
    while off(lo - timedelta(days=1)) and (day - lo).days < 15:
        lo -= timedelta(days=1)
    while off(hi + timedelta(days=1)) and (hi - day).days < 15:
        hi += timedelta(days=1)
    found: list[str] = []
    d = lo
    while d <= hi:
        for name in named.get(d, "").split(";"):
            # "国庆节（补假）" / "春节（推定）" -> "国庆节"; New Year's Eve belongs to the Spring Festival
            name = name.split("（")[0].strip()
            name = "春节" if name == "农历除夕" else name
            if name and not name.startswith(_SUBSTITUTED_PREFIX) and name not in found:
                found.append(name)
        d += timedelta(days=1)
    return "、".join(found) or None


@lru_cache(maxsize=256)
def package_year(year: int) -> tuple[Mapping[date, str], Mapping[date, str]]:
    """(days off, weekend make-up working days) for one year from the `holidays` package, names in Chinese.

    Shared by every WorkCalendar in the process: building a year costs milliseconds, lookups must not.
    """
    try:
        cn = holidays.China(years=year, language="zh_CN", categories=(holidays.PUBLIC,))
        days_off = {d: str(n) for d, n in cn.items() if d.year == year}
        makeup_dates = sorted(d for d in cn.weekend_workdays if d.year == year)
    except Exception:
        # Outside what the package can compute: a plain Monday–Friday calendar, reported as unknown.
        return MappingProxyType({}), MappingProxyType({})
    makeup = dict.fromkeys(makeup_dates, "调休上班")
    if makeup_dates:
        try:
            _name_makeup_days(cn, year, days_off, makeup)
        except Exception:  # names are for people; a package change must not cost the dates themselves
            pass
    return MappingProxyType(days_off), MappingProxyType(makeup)


def _name_makeup_days(cn: holidays.HolidayBase, year: int, days_off: dict[date, str], makeup: dict[date, str]) -> None:
    """Name each make-up day after the festival its swapped day off belongs to ("春节调休上班")."""
    # The swap may be listed in the next year's table (2001-12-29 worked for 2002-01-02 off), hence both years.
    swapped_to: dict[date, date] = {}
    table = getattr(cn, "special_public_holidays", None) or {}
    for table_year in (year, year + 1):
        rows = table.get(table_year, ())
        rows = (rows,) if rows and isinstance(rows[0], int) else rows
        for row in rows:
            if len(row) >= 4:
                to_month, to_day, from_month, from_day, *rest = row
                from_year = rest[0] if rest else table_year
                swapped_to[date(from_year, from_month, from_day)] = date(table_year, to_month, to_day)
    following = holidays.China(years=year + 1, language="zh_CN", categories=(holidays.PUBLIC,))
    context = {**days_off, **{d: str(n) for d, n in following.items()}}
    worked = frozenset(cn.weekend_workdays) | frozenset(following.weekend_workdays)
    for d in makeup:
        festival = _festivals_around(swapped_to[d], context, worked) if d in swapped_to else None
        if festival:
            makeup[d] = f"{festival}调休上班"
