"""A case's deadlines: sign-for and answer due times from its category, 延期 and 重办, and time left.

Pure arithmetic over a `WorkCalendar`; the rule for counting working days lives there (`add_working_days`): the
submission day never counts, and a deadline is the end of working hours on the n-th working day after it.
Storing deadlines on the case, reminders and the escalation ladder belong to the callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Protocol

from handlers.calendar import WorkCalendar


class HasDeadlineDays(Protocol):
    """What deadlines need from a category (`handlers.config.Category` satisfies it)."""

    @property
    def sign_days(self) -> int: ...

    @property
    def answer_days(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Deadlines:
    """When a case must be signed for (签收) and answered (答复), both counted from submission.

    `estimated` is True when some day between submission and the answer deadline lies in a year without an
    official holiday schedule (see `WorkCalendar.is_known`): the dates may move once the schedule is published.
    """

    sign_due: datetime
    answer_due: datetime
    estimated: bool = False


def compute_deadlines(category: HasDeadlineDays, submitted_at: datetime, calendar: WorkCalendar) -> Deadlines:
    """Deadlines for a case of `category` submitted at `submitted_at` (aware)."""
    sign_due = calendar.add_working_days(submitted_at, category.sign_days)
    answer_due = calendar.add_working_days(submitted_at, category.answer_days)
    estimated = not calendar.is_known_between(submitted_at.astimezone(calendar.tz).date(), answer_due.date())
    return Deadlines(sign_due=sign_due, answer_due=answer_due, estimated=estimated)


def extend(answer_due: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """The answer deadline after an approved 延期 of `days` working days (counted on from the current deadline)."""
    if days < 1:
        raise ValueError("an extension is at least one working day")
    return calendar.add_working_days(answer_due, days)


def restart_answer(reopened_at: datetime, category: HasDeadlineDays, calendar: WorkCalendar) -> datetime:
    """A new answer deadline for a case sent back for 重办: the category's full answer time from reopening."""
    return calendar.add_working_days(reopened_at, category.answer_days)


def working_days_left(now: datetime, due: datetime, calendar: WorkCalendar) -> float:
    """Working days (of the calendar's working-day length) from `now` until `due`; negative once overdue."""
    return calendar.working_seconds_between(now, due) / calendar.working_day_seconds


def share_used_at(start: datetime, due: datetime, share: float, calendar: WorkCalendar) -> datetime:
    """The moment `share` (0..1) of the working time from `start` to `due` is used, e.g. 0.8 for the reminder
    "80% of the answer time used". Always within working time, so a reminder at that moment is never sent at
    night, at a weekend or on a holiday; a point at the close of working hours (share 1 of a deadline at
    17:30) therefore becomes the next working morning."""
    if not 0 <= share <= 1:
        raise ValueError("share must be between 0 and 1")
    total = calendar.working_seconds_between(start, due)
    return calendar.next_working_moment(calendar.add_working_seconds(start, total * share))


def rating_period_end(answered_at: datetime, days: int, calendar: WorkCalendar) -> datetime:
    """When the citizen's time to rate an answer runs out (`escalation.rating_autoclose_days` working days): from
    then on the case is 办结 without a rating; before it, only the citizen or an office approval closes it."""
    return calendar.add_working_days(answered_at, days)


def carry_over(start: datetime, due: datetime, old: WorkCalendar, new: WorkCalendar) -> datetime:
    """`due` on calendar `new`: the same number of working days after `start` as it was on `old` (extensions
    included, since they were counted in working days too), ending at the close of working hours."""
    start_day = start.astimezone(old.tz).date()
    due_day = due.astimezone(old.tz).date()
    counted = old.working_days_between(start_day + timedelta(days=1), due_day + timedelta(days=1))
    return new.add_working_days(start, max(counted, 0))


def overdue_working_days(answer_due: datetime | None, *, answered_at: datetime | None, finished_at: datetime | None,
                         now: datetime, calendar: WorkCalendar) -> float:  # fmt: skip
    """超期天数: working days from the answer deadline to the answer (or, never answered, to when the case was
    finished — merged, rejected, closed — or to `now` while it is open); 0 when it was answered in time."""
    if answer_due is None:
        return 0.0
    end = answered_at or finished_at or now
    if end <= answer_due:
        return 0.0
    return calendar.working_seconds_between(answer_due, end) / calendar.working_day_seconds
