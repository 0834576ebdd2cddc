"""The working-day calendar: holidays and 调休 from the `holidays` package, config overrides, working-time arithmetic,
and the `calendar show` CLI."""

from __future__ import annotations

import random
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from flask import Flask

from bot.cli.calendar import calendar_cli
from bot.settings import DEFAULT_CONFIG
from bot.settings import load_city_config
from handlers.calendar import WorkCalendar
from handlers.calendar import from_config
from handlers.config import CalendarOverrides
from handlers.config import WorkingHours

SH = ZoneInfo("Asia/Shanghai")
NEW_YEAR_BREAK_2027 = {date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)}


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


# ---- the case the issue names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "submitted",
    [
        at(2026, 12, 31, 0, 0),
        at(2026, 12, 31, 7, 59),
        at(2026, 12, 31, 8, 30),
        at(2026, 12, 31, 12, 0),
        at(2026, 12, 31, 17, 29, 59),
        at(2026, 12, 31, 17, 30),
        at(2026, 12, 31, 23, 59, 59),
        datetime(2026, 12, 30, 16, 0, tzinfo=UTC),  # 2026-12-31 00:00 in Beijing
        datetime(2026, 12, 31, 15, 59, tzinfo=UTC),  # 23:59 in Beijing
    ],
)
def test_submitted_on_2026_12_31_with_one_working_day_is_due_on_2027_01_04(
    cal: WorkCalendar, submitted: datetime
) -> None:
    due = cal.add_working_days(submitted, 1)
    assert due == at(2027, 1, 4, 17, 30)
    assert due.tzinfo == SH
    assert due.date() == date(2027, 1, 4)


def test_new_year_2027_and_the_weekend_are_off(cal: WorkCalendar) -> None:
    assert cal.is_working_day(date(2026, 12, 31))
    for d in NEW_YEAR_BREAK_2027:
        assert not cal.is_working_day(d)
    assert cal.is_working_day(date(2027, 1, 4))
    assert cal.day_info(date(2027, 1, 1)).kind == "holiday"
    assert cal.day_info(date(2027, 1, 1)).name == "元旦"


def test_next_working_moment_never_lands_on_new_years_day_or_the_weekend(cal: WorkCalendar) -> None:
    moment = at(2026, 12, 31, 0, 0)
    while moment < at(2027, 1, 5):
        nxt = cal.next_working_moment(moment)
        assert nxt >= moment
        assert nxt.date() not in NEW_YEAR_BREAK_2027
        assert cal.is_working_time(nxt)
        if cal.is_working_time(moment):
            assert nxt == moment
        moment += timedelta(minutes=15)
    assert cal.next_working_moment(at(2026, 12, 31, 17, 30)) == at(2027, 1, 4, 8, 30)
    assert cal.next_working_moment(at(2027, 1, 1, 10, 0)) == at(2027, 1, 4, 8, 30)
    assert cal.next_working_moment(at(2026, 12, 31, 6, 0)) == at(2026, 12, 31, 8, 30)


def test_working_time_is_half_open(cal: WorkCalendar) -> None:
    assert not cal.is_working_time(at(2026, 12, 31, 8, 29, 59))
    assert cal.is_working_time(at(2026, 12, 31, 8, 30))
    assert cal.is_working_time(at(2026, 12, 31, 17, 29, 59))
    assert not cal.is_working_time(at(2026, 12, 31, 17, 30))
    assert not cal.is_working_time(at(2027, 1, 1, 10, 0))


def test_input_in_another_zone_is_read_in_beijing_time(cal: WorkCalendar) -> None:
    # 2027-01-04 01:00 UTC is 09:00 on Monday in Beijing.
    assert cal.is_working_time(datetime(2027, 1, 4, 1, 0, tzinfo=UTC))
    # 2027-01-03 23:00 UTC is 07:00 on Monday in Beijing: not yet open.
    nxt = cal.next_working_moment(datetime(2027, 1, 3, 23, 0, tzinfo=UTC))
    assert nxt == at(2027, 1, 4, 8, 30)
    assert nxt.utcoffset() == timedelta(hours=8)


def test_naive_datetimes_are_refused(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_days(datetime(2026, 12, 31, 10, 0), 1)


# ---- 调休 from the package ----------------------------------------------------------------------------------


def test_a_tiaoxiu_saturday_is_a_working_day(cal: WorkCalendar) -> None:
    # 2026 Spring Festival (国办发明电〔2025〕7号): 2/15–2/23 off, Saturdays 2/14 and 2/28 worked.
    saturday = date(2026, 2, 14)
    assert saturday.weekday() == 5
    assert cal.is_working_day(saturday)
    assert cal.is_working_time(at(2026, 2, 14, 10, 0))
    info = cal.day_info(saturday)
    assert info.kind == "makeup"
    assert info.name == "春节调休上班"
    assert cal.is_working_day(date(2026, 2, 28))
    # ... while an ordinary Saturday is not, and the weekday it pays for is off.
    assert not cal.is_working_day(date(2026, 2, 7))
    assert not cal.is_working_day(date(2026, 2, 20))
    assert cal.day_info(date(2026, 2, 20)).kind == "holiday"
    # It counts in deadlines: Friday + 1 working day is that Saturday.
    assert cal.add_working_days(at(2026, 2, 13, 10, 0), 1) == at(2026, 2, 14, 17, 30)
    assert cal.add_working_days(at(2026, 2, 13, 10, 0), 2) == at(2026, 2, 24, 17, 30)


def test_a_tiaoxiu_sunday_in_2025_is_a_working_day(cal: WorkCalendar) -> None:
    # 2025 Spring Festival: Sunday 1/26 and Saturday 2/8 worked; 2025 National Day: Sunday 9/28 worked.
    for d in (date(2025, 1, 26), date(2025, 2, 8), date(2025, 9, 28), date(2025, 10, 11)):
        assert d.weekday() >= 5
        assert cal.is_working_day(d), d
    assert cal.day_info(date(2025, 10, 11)).name == "国庆节、中秋节调休上班"
    assert not cal.is_working_day(date(2025, 10, 8))


def test_known_range_covers_the_packages_official_schedules(cal: WorkCalendar) -> None:
    first, last = cal.known_range() or (0, 0)
    assert first <= 2025 and last >= 2026
    assert cal.is_known(date(2025, 6, 1))
    assert cal.is_known(date(2026, 12, 31))


# ---- years without an official schedule -------------------------------------------------------------------


@pytest.mark.parametrize("year", [2035, 1900, 2300])
def test_a_year_without_data_does_not_crash_and_is_reported_unknown(cal: WorkCalendar, year: int) -> None:
    d = date(year, 6, 1)
    assert not cal.is_known(d)
    grid = cal.month_grid(year, 6)
    assert not grid.known
    for info in grid.days:
        if info.kind in ("workday", "weekend"):
            assert info.working == (info.day.weekday() < 5)  # plain Monday–Friday
    due = cal.add_working_days(datetime(year, 6, 1, 10, 0, tzinfo=SH), 5)
    assert cal.is_working_day(due.date())
    assert cal.working_seconds_between(datetime(year, 6, 1, 10, 0, tzinfo=SH), due) > 0


def test_an_unknown_year_still_has_its_statutory_holidays(cal: WorkCalendar) -> None:
    assert not cal.is_known(date(2035, 1, 1))
    assert not cal.is_working_day(date(2035, 1, 1))  # 元旦, a Monday
    assert not cal.is_working_day(date(2035, 10, 1))  # 国庆节, a Monday


# ---- config overrides -------------------------------------------------------------------------------------


def test_config_extra_holiday_and_extra_working_day() -> None:
    overrides = CalendarOverrides(extra_holidays=(date(2026, 12, 30),), extra_working_days=(date(2027, 1, 2),))
    cal = from_config(overrides)
    assert not cal.is_working_day(date(2026, 12, 30))  # a Wednesday closed locally
    assert cal.day_info(date(2026, 12, 30)).kind == "holiday"
    assert cal.is_working_day(date(2027, 1, 2))  # a Saturday worked
    assert cal.day_info(date(2027, 1, 2)).kind == "makeup"
    assert cal.add_working_days(at(2026, 12, 29, 10, 0), 1) == at(2026, 12, 31, 17, 30)
    assert cal.add_working_days(at(2026, 12, 31, 10, 0), 1) == at(2027, 1, 2, 17, 30)
    # Overrides for a year are that year's schedule: 2027 now counts as known.
    assert cal.is_known(date(2027, 6, 1))
    assert not WorkCalendar().is_known(date(2027, 6, 1))


def test_extra_working_day_overrides_a_package_holiday() -> None:
    cal = WorkCalendar(extra_working_days=[date(2027, 2, 10)])  # the package's estimated in-lieu day
    assert cal.is_working_day(date(2027, 2, 10))
    assert WorkCalendar().is_working_day(date(2027, 2, 10)) is False


def test_extra_holiday_overrides_a_package_makeup_day() -> None:
    cal = WorkCalendar(extra_holidays=[date(2026, 2, 14)])
    assert not cal.is_working_day(date(2026, 2, 14))


def test_a_date_both_holiday_and_working_day_is_refused() -> None:
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(extra_holidays=[date(2027, 1, 2)], extra_working_days=[date(2027, 1, 2)])


def test_working_hours_come_from_config() -> None:
    cal = from_config(CalendarOverrides(working_hours=WorkingHours(start=time(9, 0), end=time(17, 0))))
    assert cal.working_day_seconds == 8 * 3600
    assert cal.next_working_moment(at(2026, 12, 31, 8, 45)) == at(2026, 12, 31, 9, 0)
    assert cal.add_working_days(at(2026, 12, 31, 8, 45), 1) == at(2027, 1, 4, 17, 0)
    with pytest.raises(ValueError):
        WorkCalendar(work_start=time(17, 0), work_end=time(9, 0))


def test_the_projects_config_builds_a_calendar() -> None:
    config = load_city_config(DEFAULT_CONFIG)
    cal = from_config(config.calendar, tz=config.city.timezone)
    assert cal.add_working_days(at(2026, 12, 31, 12, 0), 1).date() == date(2027, 1, 4)


# ---- working-time arithmetic ------------------------------------------------------------------------------


def test_working_seconds_between_known_values(cal: WorkCalendar) -> None:
    assert cal.working_seconds_between(at(2026, 12, 31, 10, 0), at(2027, 1, 4, 10, 0)) == 9 * 3600
    assert cal.working_seconds_between(at(2027, 1, 4, 10, 0), at(2026, 12, 31, 10, 0)) == -9 * 3600
    # Nights, the holiday and the weekend add nothing.
    assert cal.working_seconds_between(at(2026, 12, 31, 17, 30), at(2027, 1, 4, 8, 30)) == 0
    assert cal.working_seconds_between(at(2026, 12, 31, 20, 0), at(2027, 1, 4, 9, 0)) == 1800


def test_add_working_seconds_known_values(cal: WorkCalendar) -> None:
    start = at(2026, 12, 31, 10, 0)
    assert cal.add_working_seconds(start, 7.5 * 3600) == at(2026, 12, 31, 17, 30)  # end of the day, not 01-04 08:30
    assert cal.add_working_seconds(start, 7.5 * 3600 + 1) == at(2027, 1, 4, 8, 30, 1)
    assert cal.add_working_seconds(start, -1.5 * 3600) == at(2026, 12, 31, 8, 30)
    assert cal.add_working_seconds(at(2027, 1, 4, 9, 0), -3600) == at(2026, 12, 31, 17, 0)
    assert cal.add_working_seconds(at(2027, 1, 1, 12, 0), 60) == at(2027, 1, 4, 8, 31)


def test_working_seconds_between_and_add_working_seconds_are_inverse(cal: WorkCalendar) -> None:
    rng = random.Random(20261231)
    origin = at(2024, 12, 1)
    for _ in range(400):
        start = origin + timedelta(seconds=rng.randrange(0, 800 * 86400))
        amount = rng.choice([1, 59.5, 3600, 9 * 3600, 9 * 3600 + 0.25]) * rng.randrange(1, 200)
        later = cal.add_working_seconds(start, amount)
        assert cal.working_seconds_between(start, later) == amount
        assert cal.is_working_time(later) or later.time() == time(17, 30)
        earlier = cal.add_working_seconds(start, -amount)
        assert cal.working_seconds_between(earlier, start) == amount
        # The other way round: back to exactly a moment within working hours. The one exception is an opening
        # time (08:30), which is the same point of working time as the previous close (or `start` itself).
        target = cal.next_working_moment(start + timedelta(seconds=rng.randrange(0, 60 * 86400)))
        back = cal.add_working_seconds(start, cal.working_seconds_between(start, target))
        if target.time() == time(8, 30):
            assert cal.working_seconds_between(back, target) == 0
            assert back == start or back.time() == time(17, 30)
        else:
            assert back == target


def test_deadlines_land_at_close_of_a_working_day_after_n_full_working_days(cal: WorkCalendar) -> None:
    submitted = at(2025, 12, 20, 3, 0)
    while submitted < at(2026, 3, 10):
        for n in (1, 3, 5, 13):
            due = cal.add_working_days(submitted, n)
            assert due.time() == time(17, 30)
            assert cal.is_working_day(due.date())
            day_after = submitted.date() + timedelta(days=1)
            assert cal.working_days_between(day_after, due.date() + timedelta(days=1)) == n
        submitted += timedelta(hours=7)


def test_nth_working_day_both_ways(cal: WorkCalendar) -> None:
    assert cal.nth_working_day(date(2026, 12, 31), 1) == date(2027, 1, 4)
    assert cal.nth_working_day(date(2027, 1, 4), -1) == date(2026, 12, 31)
    assert cal.nth_working_day(date(2027, 1, 1), 0) == date(2027, 1, 4)
    assert cal.nth_working_day(date(2026, 12, 31), 0) == date(2026, 12, 31)
    assert cal.nth_working_day(date(2026, 1, 1), 300) == cal.nth_working_day(date(2026, 1, 1), 250 + 50)
    assert cal.working_days_between(date(2026, 1, 1), date(2027, 1, 1)) == sum(
        cal.is_working_day(date(2026, 1, 1) + timedelta(days=i)) for i in range(365)
    )


def test_month_grid(cal: WorkCalendar) -> None:
    grid = cal.month_grid(2026, 2)
    assert grid.known
    assert len(grid.days) == 28
    assert all(len(week) == 7 for week in grid.weeks)
    assert grid.weeks[0][6] is not None and grid.weeks[0][6].day == date(2026, 2, 1)  # a Sunday
    assert grid.weeks[0][0] is None
    # 20 weekdays, 6 of them off (2/16–2/20, 2/23), plus the 2 调休 Saturdays.
    assert grid.working_day_count == 16
    assert [d.day.day for d in grid.special_days] == [14, 16, 17, 18, 19, 20, 23, 28]


# ---- the CLI ----------------------------------------------------------------------------------------------


def _run_cli(*args: str) -> Result:
    app = Flask("t")
    app.cli.add_command(calendar_cli)
    return app.test_cli_runner().invoke(args=["calendar", *args])


def test_cli_shows_holidays_and_makeup_days(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHIYONG_CONFIG", raising=False)
    result = _run_cli("show", "2026-02")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert " 一   二   三   四   五   六   日" in out
    assert "14班" in out and "28班" in out
    for day in (16, 17, 18, 19, 20, 23):
        assert f"{day}休" in out
    assert "21休" in out  # the weekend inside the Spring Festival break
    assert " 7休" not in out and " 7 " in out  # an ordinary Saturday is not marked
    assert "图例" in out
    assert "2月14日 周六  班  春节调休上班" in out
    assert "2月17日 周二  休  春节" in out
    assert "本月工作日：16 天" in out
    assert result.stderr == ""


def test_cli_warns_on_stderr_for_a_month_outside_known_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ZHIYONG_CONFIG", raising=False)
    result = _run_cli("show", "2027-02")
    assert result.exit_code == 0
    assert "2027年" in result.stderr and "尚未收录" in result.stderr
    assert "尚未收录" not in result.stdout
    assert "2月6日 周六  休  春节" in result.stdout


def test_cli_uses_the_config_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert "extra_working_days: []" in text
    custom = tmp_path / "config.yaml"
    custom.write_text(text.replace("extra_working_days: []", "extra_working_days: [2027-02-20]"), encoding="utf-8")
    monkeypatch.setenv("ZHIYONG_CONFIG", str(custom))
    result = _run_cli("show", "2027-02")
    assert result.exit_code == 0, result.output
    assert "20班" in result.stdout
    assert "上班（本地配置）" in result.stdout
    assert result.stderr == ""  # the config's 2027 dates make 2027 a known year


def test_cli_rejects_a_malformed_month() -> None:
    result = _run_cli("show", "2027-13")
    assert result.exit_code == 2
    assert "YYYY-MM" in result.stderr
