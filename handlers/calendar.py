"""The Chinese working-day calendar: which days and hours count, and arithmetic in working time.

Owns the answer to "is this a working day / working moment?" and "when is N working days (or seconds) from
here?" for deadlines and reminders. Pure: time is always passed in, nothing here reads the clock or the database.

Sources, in order of precedence:

1. `config.yaml` overrides (`calendar.extra_holidays`, `calendar.extra_working_days`) — for local closures, and
   for the next year's schedule if it is not imported.
2. The official schedule imported from the State Council's notice (`handlers.schedule`, stored in the database
   by `flask --app bot calendar import FILE`): for the years it covers it replaces the package's data entirely.
3. The `holidays` package's China calendar: statutory holidays, in-lieu days (补假) and, for the years whose
   official notice it carries, the 调休 swaps (a weekday off, paid for by a weekend working day).
4. Otherwise Monday–Friday work, Saturday and Sunday rest.

For a year without an official schedule (see `is_known`) the package still computes the statutory holidays
(lunar ones included) and estimates in-lieu days, but cannot know the 调休 swaps; the result is a best guess that
callers should flag, never an error.

Times: aware datetimes in, converted to the calendar's zone (Asia/Shanghai); aware datetimes out, in that zone.
Working hours are wall-clock hours, the same every working day. A working period is half-open [start, end).

The deadline rule (`add_working_days`) follows 民法典 第二百零一条/第二百零三条 and 行政许可法 第八十二条: the day
of submission is not counted, whatever the hour; the deadline is the end of working hours on the n-th working
day after the submission day. So a case submitted at any time on Thursday 2026-12-31 with 1 working day is due
at 17:30 on Monday 2027-01-04 (New Year's Day, then the weekend).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from bisect import bisect_right
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING
from typing import Literal
from zoneinfo import ZoneInfo

from handlers.config import DEFAULT_TIMEZONE
from handlers.holiday_package import package_schedule_years
from handlers.holiday_package import package_year
from handlers.schedule import OfficialSchedule

if TYPE_CHECKING:
    from handlers.config import CalendarOverrides


DayKind = Literal["workday", "weekend", "holiday", "makeup"]


_US = 1_000_000  # microseconds per second: arithmetic is done in integer microseconds so inverses are exact


_EXTRA_HOLIDAY_NAME = "放假（本地配置）"


_EXTRA_WORKING_NAME = "上班（本地配置）"


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One date as the calendar sees it.

    kind: ``workday`` an ordinary Monday–Friday; ``weekend`` an ordinary Saturday/Sunday off; ``holiday`` a day
    off that would otherwise be worked or a named holiday falling on a weekend (marked 休); ``makeup`` a day worked
    that would otherwise be off — a 调休 Saturday/Sunday or a configured working day (marked 班).
    """

    day: date
    working: bool
    kind: DayKind
    name: str | None = None


@dataclass(frozen=True, slots=True)
class MonthGrid:
    """A month laid out Monday-first for display; `weeks` holds None for days of the adjacent months."""

    year: int
    month: int
    known: bool
    weeks: tuple[tuple[DayInfo | None, ...], ...]

    @property
    def days(self) -> tuple[DayInfo, ...]:
        return tuple(cell for week in self.weeks for cell in week if cell is not None)

    @property
    def special_days(self) -> tuple[DayInfo, ...]:
        """The month's holidays and make-up working days, in date order."""
        return tuple(d for d in self.days if d.kind in ("holiday", "makeup"))

    @property
    def working_day_count(self) -> int:
        return sum(1 for d in self.days if d.working)


@dataclass(frozen=True, slots=True)
class _Year:
    ordinals: tuple[int, ...]  # the year's working days as date ordinals, sorted (for bisect)
    working: frozenset[int]  # the same, for O(1) membership
    holidays: Mapping[date, str]  # days off that are not ordinary weekends, plus named holidays on weekends
    makeup: Mapping[date, str]  # days worked that would otherwise be off
    known: bool


class WorkCalendar:
    """Working days and working hours for one city, with arithmetic in working time.

    Cheap to query: each year is computed once (lazily) into a frozenset and a sorted tuple of working days.
    Thread-safe for concurrent readers.
    """

    def __init__(
        self,
        *,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        work_start: time = time(8, 30),
        work_end: time = time(17, 30),
        tz: str | ZoneInfo = DEFAULT_TIMEZONE,
        official: OfficialSchedule | None = None,
    ) -> None:
        if work_start.tzinfo is not None or work_end.tzinfo is not None:
            raise ValueError("working hours are wall-clock times in the calendar's zone; pass naive times")
        self._start_us = _time_us(work_start)
        self._end_us = _time_us(work_end)
        if self._end_us <= self._start_us:
            raise ValueError("working hours: end must be later than start")
        self._day_us = self._end_us - self._start_us
        self.work_start = work_start
        self.work_end = work_end
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self._extra_holidays = frozenset(extra_holidays)
        self._extra_working = frozenset(extra_working_days)
        clash = self._extra_holidays & self._extra_working
        if clash:
            raise ValueError(f"dates both extra holiday and extra working day: {sorted(map(str, clash))}")
        self._override_years = frozenset(d.year for d in self._extra_holidays | self._extra_working)
        self.official = official or OfficialSchedule()
        self._known_years = package_schedule_years() | self._override_years | self.official.years
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()

    # ---- construction -------------------------------------------------------------------------------------

    @classmethod
    def from_config(
        cls, overrides: CalendarOverrides, tz: str = DEFAULT_TIMEZONE, official: OfficialSchedule | None = None
    ) -> WorkCalendar:
        return cls(
            extra_holidays=overrides.extra_holidays,
            extra_working_days=overrides.extra_working_days,
            work_start=overrides.working_hours.start,
            work_end=overrides.working_hours.end,
            tz=tz,
            official=official,
        )

    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is not None:
            return found
        with self._lock:
            found = self._years.get(year)
            if found is None:
                found = self._build_year(year)
                self._years[year] = found
        return found

    def _build_year(self, year: int) -> _Year:
        if year in self.official.years:
            package_off, package_makeup = self.official.of_year(year)
        else:
            package_off, package_makeup = package_year(year)
        off = dict(package_off)
        makeup = dict(package_makeup)
        for d in self._extra_holidays:
            if d.year == year:
                makeup.pop(d, None)
                off.setdefault(d, _EXTRA_HOLIDAY_NAME)
        for d in self._extra_working:
            if d.year == year:
                # Only a day that would otherwise be off is a make-up day; an ordinary weekday stays ordinary.
                if d in off or d.weekday() >= 5:
                    makeup.setdefault(d, _EXTRA_WORKING_NAME)
                off.pop(d, None)
        working: list[int] = []
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        for ordinal in range(first, last + 1):
            d = date.fromordinal(ordinal)
            if d in makeup or (d not in off and d.weekday() < 5):
                working.append(ordinal)
        return _Year(
            ordinals=tuple(working),
            working=frozenset(working),
            holidays=MappingProxyType(off),
            makeup=MappingProxyType(makeup),
            known=year in self._known_years,
        )

    # ---- what the calendar knows ----------------------------------------------------------------------------

    def known_range(self) -> tuple[int, int] | None:
        """First and last year with an official schedule (from the package or the config), or None."""
        if not self._known_years:
            return None
        return min(self._known_years), max(self._known_years)

    def is_known(self, d: date) -> bool:
        """Whether `d`'s year has an official schedule; if not, 调休 swaps are missing and callers should warn."""
        return d.year in self._known_years

    def is_known_between(self, a: date, b: date) -> bool:
        """Whether every year from `a` to `b` (either order) has an official schedule."""
        lo, hi = sorted((a.year, b.year))
        return all(y in self._known_years for y in range(lo, hi + 1))

    # ---- days ---------------------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """Weekends are off unless a make-up working day; holidays are off unless overridden as working."""
        if isinstance(d, datetime):
            d = self._local(d).date()
        return d.toordinal() in self._year(d.year).working

    def day_info(self, d: date) -> DayInfo:
        year = self._year(d.year)
        working = d.toordinal() in year.working
        if d in year.makeup:
            return DayInfo(d, working, "makeup", year.makeup[d])
        if d in year.holidays:
            return DayInfo(d, working, "holiday", year.holidays[d])
        return DayInfo(d, working, "workday" if working else "weekend")

    def month_grid(self, year: int, month: int) -> MonthGrid:
        first = date(year, month, 1)
        following = date(year + (month == 12), month % 12 + 1, 1)
        start = first - timedelta(days=first.weekday())
        weeks: list[tuple[DayInfo | None, ...]] = []
        day = start
        while day < following:
            week = []
            for _ in range(7):
                week.append(self.day_info(day) if day.month == month and day.year == year else None)
                day += timedelta(days=1)
            weeks.append(tuple(week))
        return MonthGrid(year=year, month=month, known=self.is_known(first), weeks=tuple(weeks))

    def nth_working_day(self, d: date, n: int) -> date:
        """The n-th working day after `d` (n > 0), before it (n < 0), or `d` itself if working (n == 0; else the
        next working day)."""
        if n == 0:
            return d if self.is_working_day(d) else date.fromordinal(self._shift(d.toordinal(), 1))
        return date.fromordinal(self._shift(d.toordinal(), n))

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days in [a, b) (negative if b < a)."""
        if b < a:
            return -self._count(b.toordinal(), a.toordinal())
        return self._count(a.toordinal(), b.toordinal())

    def _shift(self, ordinal: int, n: int) -> int:
        year = date.fromordinal(ordinal).year
        days = self._year(year).ordinals
        if n > 0:
            i = bisect_right(days, ordinal)  # first working day strictly after
            while i + n - 1 >= len(days):
                n -= len(days) - i
                year += 1
                days = self._year(year).ordinals
                i = 0
            return days[i + n - 1]
        m = -n
        i = bisect_left(days, ordinal)  # days[:i] are strictly before
        while i - m < 0:
            m -= i
            year -= 1
            days = self._year(year).ordinals
            i = len(days)
        return days[i - m]

    def _count(self, lo: int, hi: int) -> int:
        """Working days with lo <= ordinal < hi (lo <= hi)."""
        if lo >= hi:
            return 0
        y_lo = date.fromordinal(lo).year
        y_hi = date.fromordinal(hi - 1).year
        total = 0
        for y in range(y_lo, y_hi + 1):
            days = self._year(y).ordinals
            total += bisect_left(days, hi) - bisect_left(days, lo)
        return total

    # ---- moments ------------------------------------------------------------------------------------------

    @property
    def working_day_seconds(self) -> float:
        """Length of one working day in seconds (9 h for 08:30–17:30)."""
        return self._day_us / _US

    def _local(self, dt: datetime) -> datetime:
        # A naive datetime would silently be read as the host's local time (UTC on servers): refuse it.
        if dt.tzinfo is None:
            raise ValueError(f"datetime must be timezone-aware, got naive {dt.isoformat()}")
        return dt.astimezone(self.tz)

    def _at(self, d: date, us_of_day: int) -> datetime:
        return datetime.combine(d, time(), tzinfo=self.tz) + timedelta(microseconds=us_of_day)

    def _part_us(self, local: datetime) -> int:
        """Working time already elapsed on `local`'s own day."""
        if local.toordinal() not in self._year(local.year).working:
            return 0
        us = _time_us(local.time())
        return min(max(us, self._start_us), self._end_us) - self._start_us

    def is_working_time(self, dt: datetime) -> bool:
        """Whether `dt` falls within working hours [start, end) of a working day."""
        local = self._local(dt)
        if local.toordinal() not in self._year(local.year).working:
            return False
        return self._start_us <= _time_us(local.time()) < self._end_us

    def next_working_moment(self, dt: datetime) -> datetime:
        """`dt` itself (in the calendar's zone) if within working time, else the start of the next working period.

        Reminders are scheduled through this so none goes out at night, at a weekend or on a holiday.
        """
        local = self._local(dt)
        us = _time_us(local.time())
        if local.toordinal() in self._year(local.year).working and us < self._end_us:
            return local if us >= self._start_us else self._at(local.date(), self._start_us)
        return self._at(date.fromordinal(self._shift(local.toordinal(), 1)), self._start_us)

    def _previous_working_moment(self, local: datetime) -> datetime:
        """Mirror of next_working_moment for going backwards: periods taken as (start, end]."""
        us = _time_us(local.time())
        if local.toordinal() in self._year(local.year).working and us > self._start_us:
            return local if us <= self._end_us else self._at(local.date(), self._end_us)
        return self._at(date.fromordinal(self._shift(local.toordinal(), -1)), self._end_us)

    def working_seconds_between(self, a: datetime, b: datetime) -> float:
        """Working time elapsed from `a` to `b`, in seconds; negative if `b` is before `a`."""
        la, lb = self._local(a), self._local(b)
        if lb < la:
            return -self.working_seconds_between(b, a)
        full_days = self._count(la.toordinal(), lb.toordinal())
        return (full_days * self._day_us + self._part_us(lb) - self._part_us(la)) / _US

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start` (before it, if negative).

        Inverse of `working_seconds_between`: ``working_seconds_between(s, add_working_seconds(s, x)) == x``, and
        ``add_working_seconds(a, working_seconds_between(a, b)) == b`` whenever `b` lies within working hours
        (end of hours included). A result exactly at a period boundary is reported as the end of the earlier
        period going forwards (17:30, not the next 08:30) and the start of the later one going backwards.
        """
        us = round(seconds * _US)
        if us == 0:
            return self._local(start)
        if us > 0:
            moment = self.next_working_moment(start)
            total = (_time_us(moment.time()) - self._start_us) + us
            k, rest = divmod(total, self._day_us)
            if rest == 0:
                return self._at(self._day_from(moment.date(), k - 1), self._end_us)
            return self._at(self._day_from(moment.date(), k), self._start_us + rest)
        moment = self._previous_working_moment(self._local(start))
        total = (self._end_us - _time_us(moment.time())) - us
        k, rest = divmod(total, self._day_us)
        if rest == 0:
            return self._at(self._day_from(moment.date(), -(k - 1)), self._start_us)
        return self._at(self._day_from(moment.date(), -k), self._end_us - rest)

    def _day_from(self, working_day: date, offset: int) -> date:
        return working_day if offset == 0 else date.fromordinal(self._shift(working_day.toordinal(), offset))

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The deadline `n` working days after `start`: the end of working hours on the n-th working day after
        the (local) calendar day of `start`.

        The submission day itself never counts, whatever the hour or kind of day (民法典 第二百零一条); a deadline
        thus always gives at least n full working days. n == 0 means the end of the submission day if it is a
        working day, otherwise of the next working day (第二百零三条: a last day off moves to the next working day).
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        day = self._local(start).date()
        return self._at(self.nth_working_day(day, n), self._end_us)


def from_config(
    overrides: CalendarOverrides, tz: str = DEFAULT_TIMEZONE, official: OfficialSchedule | None = None
) -> WorkCalendar:
    """The city's calendar from `config.yaml`'s `calendar:` section (`CityConfig.calendar`) and the imported
    official schedule."""
    return WorkCalendar.from_config(overrides, tz=tz, official=official)


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond
