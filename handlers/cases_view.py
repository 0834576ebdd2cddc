"""What a citizen may see of their own cases: the summary `bot/` passes in, state labels, status and list texts.

Only the citizen's own cases ever reach this module (`DialogEnv.my_cases`); a number that is not among them is
answered exactly like a number that does not exist, so nobody can probe for other people's cases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.config import CityConfig
from handlers.lifecycle import STATES
from handlers.textfit import excerpt
from handlers.texts import say

# ZY + yymmdd + a 4-digit daily sequence (issue 4).
CASE_NUMBER = re.compile(r"ZY\d{10}")
_CASE_NUMBER_LOOSE = re.compile(r"ZY\s*((?:\d\s*){9}\d)(?!\d)", re.IGNORECASE)

# What the citizen reads. Internal steps that would only worry them are said the way a clerk would say them:
# triage is still 已受理 (someone is deciding who handles it), a returned case is being re-assigned, and
# "rating" is from the citizen's side an invitation to rate.
STATE_LABELS: Mapping[str, str] = {
    "submitted": "已受理",
    "triage": "已受理",
    "assigned": "已派单",
    "signed": "已签收",
    "in_progress": "办理中",
    "returned": "重新派单中",
    "extension": "延期办理",
    "escalated": "督办中",
    "answered": "已答复",
    "rating": "待您评价",
    "closed": "已办结",
    "reopened": "重新办理",
    "merged": "已合并办理",
    "rejected": "不予受理",
}

# The campaign office's own words (DESIGN.md), for staff views and exports: the lifecycle table's labels.
STAFF_LABELS: Mapping[str, str] = STATES

MAX_LISTED = 5
_NOTE_CHARS = 300


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One of the citizen's own cases, as `bot/` reads it from storage. Never carries the openid or phone."""

    number: str
    state: str
    unit: str | None
    category: str
    created_at: datetime
    last_update_at: datetime | None = None
    last_update_note: str = ""  # plain Chinese, already safe to show the citizen
    due_at: datetime | None = None  # the answer deadline, when one is set
    kind: str = "complaint"  # complaint | review | praise | suggestion


def normalize_case_number(raw: str) -> str | None:
    """ZY2611270001 from what the citizen typed (zy, full-width, spaces inside); None if it is not one."""
    m = _CASE_NUMBER_LOOSE.search(unicodedata.normalize("NFKC", raw))
    if not m:
        return None
    number = "ZY" + re.sub(r"\s", "", m.group(1))
    return number if CASE_NUMBER.fullmatch(number) else None


def find_own_case(number: str, cases: Sequence[CaseSummary]) -> CaseSummary | None:
    """The citizen's case with this number, or None (whether or not someone else has one)."""
    return next((c for c in cases if c.number.upper() == number.upper()), None)


def state_label(state: str) -> str:
    """The citizen-facing label of a case state; unknown states read as 办理中 rather than a code."""
    return STATE_LABELS.get(state, "办理中")


def format_time(moment: datetime, city: CityConfig, now: datetime | None = None) -> str:
    """11月27日 10:05 in the city's zone (with the year when it is not this year's)."""
    tz = city.tz
    local = moment.astimezone(tz)
    if now is not None and now.astimezone(tz).year != local.year:
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def _category_name(city: CityConfig, code: str) -> str:
    found = city.category(code)
    return found.name if found else "其他"


def render_status(case: CaseSummary, city: CityConfig, now: datetime) -> str:
    """The status of one case in plain Chinese, with the last update."""
    lines = [
        say(city, "status_head", number=case.number, label=state_label(case.state)),
        say(city, "status_unit", unit=city.unit_name(case.unit)),
        say(city, "status_category", category=_category_name(city, case.category)),
        say(city, "status_created", created=format_time(case.created_at, city, now)),
    ]
    if case.due_at is not None and case.state not in ("answered", "rating", "closed", "merged", "rejected"):
        lines.append(say(city, "status_due", due=format_time(case.due_at, city, now)))
    if case.last_update_note:
        updated = format_time(case.last_update_at or case.created_at, city, now)
        lines.append(say(city, "status_update", updated=updated, note=excerpt(case.last_update_note, _NOTE_CHARS)))
    return "\n".join(lines)


def render_case_list(cases: Sequence[CaseSummary], city: CityConfig, now: datetime) -> str:
    """The citizen's most recent cases (newest first, at most MAX_LISTED) as a short numbered list."""
    if not cases:
        return say(city, "no_cases")
    items = [
        say(
            city,
            "case_list_item",
            i=i,
            number=case.number,
            label=state_label(case.state),
            unit=excerpt(city.unit_name(case.unit), 16),
            created=format_time(case.created_at, city, now).split(" ")[0],
        )
        for i, case in enumerate(cases[:MAX_LISTED], start=1)
    ]
    return say(city, "case_list", items="\n".join(items))
