"""`flask --app bot calendar ...`: the working-day calendar as operators see it.

`calendar show 2027-02` prints the month in Chinese: 休 marks days off (holidays, in-lieu days, 调休 days off and
the weekends of such a break), 班 marks make-up working days, with a legend and the month's named days. A month
outside the official schedules the calendar knows gets a warning on stderr.
The arithmetic itself lives in `handlers.calendar`.
"""

from __future__ import annotations

import re
from datetime import timedelta

import click
from flask.cli import AppGroup

from bot.settings import ConfigError
from bot.settings import load_city_config
from handlers.calendar import DayInfo
from handlers.calendar import MonthGrid
from handlers.calendar import WorkCalendar

calendar_cli = AppGroup("calendar", help="The working-day calendar (holidays, 调休, working hours).")

WEEKDAYS = "一二三四五六日"
MARKS = {"holiday": "休", "makeup": "班"}
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: str) -> tuple[int, int]:
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise click.BadParameter(f"expected YYYY-MM, e.g. 2027-02, got {value!r}")
    return int(match.group(1)), int(match.group(2))


def _in_holiday_break(day: DayInfo, calendar: WorkCalendar) -> bool:
    """Whether an ordinary weekend day belongs to a run of days off with a holiday in it (e.g. 国庆 10/1–10/8)."""
    for step in (-1, 1):
        d = day.day
        for _ in range(15):
            d += timedelta(days=step)
            info = calendar.day_info(d)
            if info.working:
                break
            if info.kind == "holiday":
                return True
    return False


def _cell(day: DayInfo | None, calendar: WorkCalendar) -> str:
    # Every cell is 4 terminal columns: a 2-digit day and a full-width mark (or two spaces).
    if day is None:
        return "    "
    mark = MARKS.get(day.kind, "  ")
    if day.kind == "weekend" and _in_holiday_break(day, calendar):
        # Shown as 休 like the rest of the break, as printed calendars do; not listed as a named day.
        mark = "休"
    return f"{day.day.day:>2}{mark}"


def render_month(grid: MonthGrid, calendar: WorkCalendar, city: str = "") -> str:
    """The month as text: title, grid, legend, working-day count and the list of holidays and make-up days."""
    hours = f"{calendar.work_start:%H:%M}–{calendar.work_end:%H:%M}"
    lines = [
        f"{city}工作日历　{grid.year}年{grid.month}月".lstrip("　"),
        f"工作时间 {hours}（{calendar.tz.key}）",
        "",
        " ".join(f" {w} " for w in WEEKDAYS).rstrip(),
    ]
    lines += [" ".join(_cell(day, calendar) for day in week).rstrip() for week in grid.weeks]
    lines += [
        "",
        "图例：休 = 放假（法定节假日、补假、调休放假及连休的周末）　班 = 调休上班（周末或节日上班）",
        "　　　无标记 = 周一至周五上班、周六周日休息",
        f"本月工作日：{grid.working_day_count} 天",
    ]
    special = grid.special_days
    if special:
        lines.append("本月节假日与调休：")
        for day in special:
            weekday = WEEKDAYS[day.day.weekday()]
            lines.append(
                f"  {day.day.month}月{day.day.day}日 周{weekday}  {MARKS[day.kind]}  {day.name or ''}".rstrip()
            )
    else:
        lines.append("本月无节假日或调休。")
    return "\n".join(lines)


def unknown_warning(grid: MonthGrid, calendar: WorkCalendar) -> str:
    known = calendar.known_range()
    have = f"已收录 {known[0]}–{known[1]} 年" if known else "未收录任何年份"
    return (
        f"注意：{grid.year}年的国务院放假安排尚未收录（{have}）。本月按周一至周五上班计算，"
        "法定节日及补假为推定，调休未计入；安排公布后请在 config.yaml 的 calendar.extra_holidays / "
        "calendar.extra_working_days 中补充。"
    )


@calendar_cli.command("show", with_appcontext=False)
@click.argument("month", metavar="YYYY-MM")
def show(month: str) -> None:
    """Print MONTH (YYYY-MM) with working days, holidays (休) and make-up working days (班)."""
    year, mon = parse_month(month)
    try:
        config = load_city_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    calendar = WorkCalendar.from_config(config.calendar, tz=config.city.timezone)
    grid = calendar.month_grid(year, mon)
    if not grid.known:
        click.echo(unknown_warning(grid, calendar), err=True)
    click.echo(render_month(grid, calendar, city=config.city.name))
