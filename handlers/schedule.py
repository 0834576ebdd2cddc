"""The State Council's published holiday schedule (国务院办公厅关于××年部分节假日安排的通知) as data: the file an
operator imports (`flask --app bot calendar import FILE`), its validation, and the warning shown while the
calendar ahead rests on an estimate. Pure: text in, values out.

The file is UTF-8 CSV, one day a line, with the header ``date,kind,name``::

    # 国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕×号）
    date,kind,name
    2027-02-05,holiday,春节
    2027-02-14,workday,春节调休上班

``kind`` is ``holiday`` (a day off: a statutory holiday, an in-lieu day, a 调休 day off; weekend days inside a
break may be listed too) or ``workday`` (a Saturday or Sunday worked in exchange, 调休上班); ``休`` and ``班`` are
accepted too. Blank lines and lines starting with ``#`` are ignored. The file gives the whole schedule of every
year it lists: importing it replaces what was imported for those years before.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Literal

if TYPE_CHECKING:
    from handlers.calendar import WorkCalendar

Kind = Literal["holiday", "workday"]
KINDS: Mapping[str, Kind] = {"holiday": "holiday", "休": "holiday", "workday": "workday", "班": "workday"}
HEADER = ("date", "kind", "name")
MAX_NAME = 40
AHEAD_DAYS = 90


@dataclass(frozen=True, slots=True)
class OfficialDay:
    day: date
    kind: Kind
    name: str


@dataclass(frozen=True, slots=True)
class OfficialSchedule:
    """Official days off and 调休 working days; the years they cover count as known (调休 included)."""

    days: tuple[OfficialDay, ...] = ()

    @property
    def years(self) -> frozenset[int]:
        return frozenset(d.day.year for d in self.days)

    def of_year(self, year: int) -> tuple[dict[date, str], dict[date, str]]:
        """(days off, working days) of `year`, with their names."""
        off = {d.day: d.name for d in self.days if d.day.year == year and d.kind == "holiday"}
        worked = {d.day: d.name for d in self.days if d.day.year == year and d.kind == "workday"}
        return off, worked


class ScheduleError(ValueError):
    """A file that cannot be imported; `line` is 1-based (0: the file as a whole). The message is Chinese."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"第 {line} 行：{message}" if line else message)
        self.line = line


def parse_schedule(text: str) -> OfficialSchedule:
    """The schedule in `text`, or ScheduleError naming the first bad line."""
    days: dict[date, tuple[int, OfficialDay]] = {}
    header_seen = False
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in next(csv.reader(io.StringIO(line)))]
        if not header_seen:
            if tuple(f.lower() for f in fields) != HEADER:
                raise ScheduleError(number, f"第一行应为表头 {','.join(HEADER)}，实际为“{line}”")
            header_seen = True
            continue
        day = _row(number, fields)
        if day.day in days:
            raise ScheduleError(number, f"{day.day} 与第 {days[day.day][0]} 行重复")
        days[day.day] = (number, day)
    if not header_seen:
        raise ScheduleError(0, f"文件是空的：应有表头 {','.join(HEADER)} 和每天一行")
    if not days:
        raise ScheduleError(0, "文件里没有任何日期")
    return OfficialSchedule(tuple(d for _, d in sorted(days.values(), key=lambda item: item[1].day)))


def _row(number: int, fields: list[str]) -> OfficialDay:
    if len(fields) != 3:
        raise ScheduleError(number, f"应有 3 列（date,kind,name），实际 {len(fields)} 列")
    raw_day, raw_kind, name = fields
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        raise ScheduleError(number, f"日期“{raw_day}”无效，应为 YYYY-MM-DD，例如 2027-02-05") from None
    if not 2000 <= day.year <= 2100:
        raise ScheduleError(number, f"日期 {day} 不在 2000–2100 年之间")
    kind = KINDS.get(raw_kind.lower())
    if kind is None:
        raise ScheduleError(number, f"类型“{raw_kind}”无效，应为 holiday（放假）或 workday（调休上班）")
    if kind == "workday" and day.weekday() < 5:
        raise ScheduleError(
            number, f"{day} 是星期{'一二三四五'[day.weekday()]}，本来就上班；workday 只用于调休上班的周末"
        )
    if not name:
        raise ScheduleError(number, "请写上名称，例如“春节”或“春节调休上班”")
    if len(name) > MAX_NAME:
        raise ScheduleError(number, f"名称过长（最多 {MAX_NAME} 个字）")
    return OfficialDay(day, kind, name)


def estimated_years(calendar: WorkCalendar, today: date, days: int = AHEAD_DAYS) -> list[int]:
    """The years within the next `days` days whose schedule is an estimate (no official 调休 known)."""
    last = today + timedelta(days=days)
    return [y for y in range(today.year, last.year + 1) if not calendar.is_known(date(y, 1, 1))]


def estimate_notice(calendar: WorkCalendar, today: date, days: int = AHEAD_DAYS) -> str | None:
    """What operators read while the calendar ahead is an estimate; None once every year in it is known."""
    years = estimated_years(calendar, today, days)
    if not years:
        return None
    listed = "、".join(f"{y} 年" for y in years)
    return (f"工作日历提醒：未来 {days} 天涉及的 {listed}放假安排尚未导入国务院通知，目前按推算计算（未含调休），"
            "期间的签收、答复时限可能不准。通知公布后请运行 flask --app bot calendar import 文件 导入"
            "（格式见 docs/calendar-2027.example.csv），已受理工单的时限将自动重新计算。")  # fmt: skip
