"""明查暗访: what an inspector records of an undercover visit, the checks it must pass, and what a finding's case says.

The checklist: 在岗 (someone at the window), 着装/工牌 (dressed and badged), 首问负责 (the first person asked takes
it on), 一次性告知 (everything needed said at once), 态度 (manner) — each passed, failed or not assessed — and 用时,
the minutes the inspector waited to be served, which passes within `inspections.wait_limit_minutes`.

Rules: an inspector (role inspector) sees only their own inspections and never a citizen's case; 回避 as for cases —
nobody inspects the unit they belong to, nor a unit below it (a person of a parent unit is conflicted
for its children, `handlers.routing.conflicted`). A finding may open a case (channel
"inspection", shown as 明查暗访), routed like a complaint. Pure: `bot.service.inspections` stores and routes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from handlers.config import CityConfig
from handlers.masking import mask_text
from handlers.visibility import StaffMember
from handlers.visibility import conflicted_units

CHECKS: dict[str, str] = {
    "on_duty": "在岗",
    "badge": "着装/工牌",
    "first_responsibility": "首问负责",
    "one_time_notice": "一次性告知",
    "attitude": "态度",
}
WAIT = "用时"
MAX_FINDINGS = 1000
MAX_WINDOW = 16
MAX_WAIT_MINUTES = 600
MAX_AGE = timedelta(days=62)  # a visit is recorded within two months of it
ROLES_THAT_INSPECT = frozenset({"inspector", "office"})

_MARKS = {"pass": True, "1": True, "yes": True, "是": True, "fail": False, "0": False, "no": False, "否": False}


class InspectionError(ValueError):
    """A visit that cannot be recorded as given; the message is Chinese and safe to show."""


@dataclass(frozen=True, slots=True)
class VisitInput:
    unit: str
    window: str | None
    visited_at: datetime
    checks: dict[str, bool | None]
    wait_minutes: int | None
    findings: str | None


def may_inspect(member: StaffMember, unit: str, city: CityConfig) -> bool:
    """An inspector (or the office) may inspect a unit, never one they belong to or one below it (回避)."""
    return (
        member.role in ROLES_THAT_INSPECT and city.unit(unit) is not None and unit not in conflicted_units(member, city)
    )


def _clean(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def check_visit(
    city: CityConfig,
    member: StaffMember,
    *,
    unit: str,
    window: str | None,
    visited_at: datetime | None,
    now: datetime,
    marks: Mapping[str, str | None],
    wait: str | None,
    findings: str | None,
) -> VisitInput:
    """The visit as kept. :raises InspectionError: an unknown unit, 回避, a time in the future or long past, a bad
    number, an empty record, or text that is too long."""
    if city.unit(unit) is None:
        raise InspectionError("请选择被暗访的单位")
    if not may_inspect(member, unit, city):
        raise InspectionError(f"回避：您所属的单位与{city.unit_name(unit)}有关，不能暗访该单位")
    if visited_at is None:
        raise InspectionError("请填写暗访时间")
    if visited_at > now + timedelta(minutes=5):
        raise InspectionError("暗访时间不能晚于现在")
    if visited_at < now - MAX_AGE:
        raise InspectionError("只能录入两个月内的暗访")
    place = _clean(window).removesuffix("号窗口").removesuffix("窗口").removesuffix("号").strip()
    if len(place) > MAX_WINDOW:
        raise InspectionError(f"窗口编号过长（最多 {MAX_WINDOW} 字）")
    checks: dict[str, bool | None] = {}
    for key, label in CHECKS.items():
        raw = _clean(marks.get(key)).lower()
        if raw and raw not in _MARKS:
            raise InspectionError(f"“{label}”应为合格、不合格或未检查")
        checks[key] = _MARKS.get(raw) if raw else None
    minutes: int | None = None
    if _clean(wait):
        try:
            minutes = int(_clean(wait))
        except ValueError:
            raise InspectionError("用时请填写分钟数") from None
        if not 0 <= minutes <= MAX_WAIT_MINUTES:
            raise InspectionError(f"用时应在 0–{MAX_WAIT_MINUTES} 分钟之间")
    text = (findings or "").strip()
    if len(text) > MAX_FINDINGS:
        raise InspectionError(f"发现的问题过长（最多 {MAX_FINDINGS} 字）")
    if not text and minutes is None and all(v is None for v in checks.values()):
        raise InspectionError("请至少填写一项检查结果或发现的问题")
    return VisitInput(unit, mask_text(place) or None, visited_at, checks, minutes, text or None)


def score(checks: Mapping[str, bool | None], wait_minutes: int | None, limit: int) -> tuple[int, int]:
    """(items assessed, items passed) of one visit: the five checks, and 用时 within `limit` minutes."""
    assessed = [v for v in checks.values() if v is not None]
    passed = sum(1 for v in assessed if v)
    if wait_minutes is not None:
        assessed.append(wait_minutes <= limit)
        passed += wait_minutes <= limit
    return len(assessed), passed


def failed(checks: Mapping[str, bool | None], wait_minutes: int | None, limit: int) -> list[str]:
    """The checklist items that failed, in words (用时 with its minutes)."""
    out = [CHECKS[k] for k, v in checks.items() if v is False and k in CHECKS]
    if wait_minutes is not None and wait_minutes > limit:
        out.append(f"{WAIT}{wait_minutes}分钟（超过{limit}分钟）")
    return out


def case_text(unit_name: str, window: str | None, when: str, failures: list[str], findings: str | None) -> str:
    """The text of a case opened from a finding: where and when, what failed, what the inspector saw."""
    place = unit_name + (f"{window}号窗口" if window else "")
    parts = [f"【明查暗访】{when}在{place}暗访发现："]
    if failures:
        parts.append("、".join(failures) + "不合格。")
    if findings:
        parts.append(findings)
    return "".join(parts)


def mark_label(value: bool | None) -> str:
    return "—" if value is None else ("合格" if value else "不合格")
