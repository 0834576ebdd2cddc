"""超期, defined once: a case is overdue when it still owes the citizen an answer (`AWAITING_ANSWER`) and its
answer deadline has passed. How far over is counted in working days on the city's calendar.

The queue filter, the dashboard, the digest, the ledger, the supervisors' notice counts and the ladder's `overdue`
record all use this rule: in Python through `is_overdue`, in SQL through `storage.overdue.overdue_clause`, which
tests hold to the same answers. A late sign-for (签收超时) is not 超期; an answered case no longer is.
"""

from __future__ import annotations

import math
from datetime import datetime

from handlers.calendar import WorkCalendar
from handlers.lifecycle import AWAITING_ANSWER


def is_overdue(state: str, answer_due: datetime | None, now: datetime) -> bool:
    """Whether a case in `state` with `answer_due` is 超期 at `now`."""
    return state in AWAITING_ANSWER and answer_due is not None and answer_due < now


def overdue_working_days(answer_due: datetime, now: datetime, calendar: WorkCalendar) -> int:
    """Which working day past the deadline `now` falls in: 1 from the deadline until a full working day has gone,
    and so on (the evening after a 17:30 deadline is already the first). 0 when not past the deadline."""
    if now <= answer_due:
        return 0
    elapsed = calendar.working_seconds_between(answer_due, now) / calendar.working_day_seconds
    return max(1, math.ceil(round(elapsed, 6)))


def time_left_text(due: datetime, now: datetime, calendar: WorkCalendar) -> str:
    """What staff read next to a deadline: "剩 2.5 个工作日" or "已超期 3 个工作日" (never a negative number)."""
    if due < now:
        return f"已超期 {overdue_working_days(due, now, calendar)} 个工作日"
    left = calendar.working_seconds_between(now, due) / calendar.working_day_seconds
    return f"剩 {left:.1f} 个工作日"
