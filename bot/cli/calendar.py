"""`flask --app bot calendar ...`: the working-day calendar as operators see it.

`calendar show 2027-02` prints the month in Chinese: 休 marks days off (holidays, in-lieu days, 调休 days off and
the weekends of such a break), 班 marks make-up working days, with a legend and the month's named days. A month
outside the official schedules the calendar knows gets a warning on stderr. It reads the schedule imported into
the database named by DATABASE_URL (or the default SQLite file) when there is one, and needs no other setting.

`calendar import FILE` loads the State Council's published schedule (format: `handlers.schedule`; an example in
docs/calendar-2027.example.csv), stores it for every process and recomputes the deadlines of open cases
(`bot.service.calendar_sync`). `--check` only validates the file.
The arithmetic itself lives in `handlers.calendar`.
"""

from __future__ import annotations

import hashlib
import os
import re
from datetime import timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from bot.runtime import runtime
from bot.service import calendar_sync
from bot.settings import INSTANCE_DIR
from bot.settings import ConfigError
from bot.settings import load_city_config
from handlers.calendar import DayInfo
from handlers.calendar import MonthGrid
from handlers.calendar import WorkCalendar
from handlers.schedule import OfficialDay
from handlers.schedule import OfficialSchedule
from handlers.schedule import ScheduleError
from handlers.schedule import parse_schedule
from storage import calendar as calendar_repo
from storage.db import Database

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
        *(["放假安排：已导入国务院通知（calendar import）"] if grid.year in calendar.official.years else []),
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
        "法定节日及补假为推定，调休未计入；安排公布后请用 flask --app bot calendar import 文件 导入"
        "（或在 config.yaml 的 calendar.extra_holidays / calendar.extra_working_days 中补充）。"
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
    calendar = WorkCalendar.from_config(config.calendar, tz=config.city.timezone, official=_imported())
    grid = calendar.month_grid(year, mon)
    if not grid.known:
        click.echo(unknown_warning(grid, calendar), err=True)
    click.echo(render_month(grid, calendar, city=config.city.name))


def _imported() -> OfficialSchedule | None:
    """The schedule imported into the database, if there is a database to read (never created here)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        default = INSTANCE_DIR / "zhiyong.db"
        if not default.exists():
            return None
        url = f"sqlite:///{default}"
    db = Database(url)
    try:
        with db.transaction() as session:
            rows = calendar_repo.official_days(session=session)
    except sa.exc.SQLAlchemyError:
        return None  # not migrated, or unreachable: the config and the package still answer
    finally:
        db.dispose()
    return OfficialSchedule(tuple(OfficialDay(d, k, n) for d, k, n in rows))  # type: ignore[arg-type]


@calendar_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Only validate the file; store nothing.")
def import_cmd(file: Path, check: bool) -> None:
    """Load the State Council's holiday schedule from FILE (CSV: date,kind,name; kind holiday or workday) for
    every process, replacing what was imported for the years it lists, and recompute the deadlines of open
    cases (each change is an audit event on the case)."""
    raw = file.read_bytes()
    try:
        schedule = parse_schedule(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: 不是 UTF-8 文本") from None
    except ScheduleError as exc:
        raise click.ClickException(f"{file} {exc}") from None
    years = "、".join(str(y) for y in sorted(schedule.years))
    off = sum(1 for d in schedule.days if d.kind == "holiday")
    click.echo(f"{file.name}：{years} 年，放假 {off} 天，调休上班 {len(schedule.days) - off} 天")
    if check:
        click.echo("（仅校验，未导入）")
        return
    rt = runtime()
    report = calendar_sync.import_schedule(rt, schedule, source=file.name, sha256=hashlib.sha256(raw).hexdigest(),
                                           now=rt.now())  # fmt: skip
    click.echo(f"已导入：与此前相比 {report.days_changed} 天有变化；{len(report.changes)} 件在办工单的时限已重新计算"
               f"{'：' if report.changes else '。'}")  # fmt: skip
    for number, moved in report.changes:
        click.echo(f"  {number} {moved}")
