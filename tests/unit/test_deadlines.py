"""Case deadlines on the working-day calendar: sign-for and answer, 延期, 重办, time left, reminder points."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.calendar import WorkCalendar
from handlers.config import Category
from handlers.deadlines import Deadlines
from handlers.deadlines import compute_deadlines
from handlers.deadlines import extend
from handlers.deadlines import restart_answer
from handlers.deadlines import share_used_at
from handlers.deadlines import working_days_left

SH = ZoneInfo("Asia/Shanghai")
ACCESS = Category(code="access", name="门难进", sign_days=1, answer_days=5)
CORRUPTION = Category(code="corruption", name="吃拿卡要", sign_days=1, answer_days=3)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_case_submitted_on_2026_12_31_signs_by_2027_01_04(cal: WorkCalendar) -> None:
    for hour in (1, 9, 16, 22):
        deadlines = compute_deadlines(ACCESS, at(2026, 12, 31, hour), cal)
        assert deadlines.sign_due == at(2027, 1, 4, 17, 30)
        assert deadlines.answer_due == at(2027, 1, 8, 17, 30)
        # 2027's official schedule is not in the package yet: the caller is told the dates are estimates.
        assert deadlines.estimated


def test_deadlines_across_the_spring_festival_count_the_tiaoxiu_saturdays(cal: WorkCalendar) -> None:
    # Friday 2026-02-13; working days after it: Sat 2/14 (调休), then 2/24, 2/25, 2/26, 2/27.
    deadlines = compute_deadlines(ACCESS, at(2026, 2, 13, 10, 0), cal)
    assert deadlines == Deadlines(at(2026, 2, 14, 17, 30), at(2026, 2, 27, 17, 30), estimated=False)
    corruption = compute_deadlines(CORRUPTION, at(2026, 2, 13, 10, 0), cal)
    assert corruption.answer_due == at(2026, 2, 25, 17, 30)


def test_extension_counts_on_from_the_current_deadline(cal: WorkCalendar) -> None:
    # 2/28 is a 调休 Saturday, then Monday 3/2.
    assert extend(at(2026, 2, 27, 17, 30), 1, cal) == at(2026, 2, 28, 17, 30)
    assert extend(at(2026, 2, 27, 17, 30), 2, cal) == at(2026, 3, 2, 17, 30)
    with pytest.raises(ValueError):
        extend(at(2026, 2, 27, 17, 30), 0, cal)


def test_redo_starts_a_full_answer_time_from_reopening(cal: WorkCalendar) -> None:
    # National Day 2026: 10/1–10/7 off, Saturday 10/10 worked.
    assert restart_answer(at(2026, 9, 30, 15, 0), ACCESS, cal) == at(2026, 10, 13, 17, 30)


def test_working_days_left(cal: WorkCalendar) -> None:
    due = at(2026, 2, 27, 17, 30)
    assert working_days_left(at(2026, 2, 24, 8, 30), due, cal) == 4.0
    assert working_days_left(at(2026, 2, 27, 13, 0), due, cal) == 0.5
    assert working_days_left(due, due, cal) == 0
    # Overdue: the 调休 Saturday 2/28 (9 h) and Monday 08:30–12:00 (3.5 h).
    assert working_days_left(at(2026, 3, 2, 12, 0), due, cal) == pytest.approx(-12.5 / 9)


def test_eighty_percent_point(cal: WorkCalendar) -> None:
    start = at(2026, 2, 13, 10, 0)
    due = at(2026, 2, 27, 17, 30)
    # 7.5 h on 2/13 + 5 × 9 h = 52.5 h; 80 % = 42 h: 7.5 (2/13) + 9 (2/14) + 9 (2/24) + 9 (2/25) + 7.5 on 2/26.
    assert share_used_at(start, due, 0.8, cal) == at(2026, 2, 26, 16, 0)
    # The deadline itself, at close of hours, is reminded the next working morning: the 调休 Saturday.
    assert share_used_at(start, due, 1.0, cal) == at(2026, 2, 28, 8, 30)
    with pytest.raises(ValueError):
        share_used_at(start, due, 1.5, cal)


def test_nobody_is_reminded_on_new_years_day_or_the_weekend(cal: WorkCalendar) -> None:
    off = {date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)}
    submitted = at(2026, 12, 28, 0, 0)
    while submitted < at(2027, 1, 4):
        deadlines = compute_deadlines(ACCESS, submitted, cal)
        for due in (deadlines.sign_due, deadlines.answer_due):
            for share in (0.0, 0.5, 0.8, 1.0):
                when = share_used_at(submitted, due, share, cal)
                assert when.date() not in off
                assert cal.is_working_time(when)
        assert deadlines.sign_due.date() not in off
        submitted += timedelta(minutes=50)
