"""活档案 as the campaign defines it: the organisation department's 日常管理台帐 of each 市管干部, entry by entry —
supervision information, 民主测评 and 民意测验 results, 考评, 奖惩, conduct in 急难险重 tasks — so that a cadre is
judged by everyday conduct, not by the year-end review alone.

Pure: the kinds of entry, their words, and the text of the automatic entries. Automatic entries never carry a case
number or anything about a reporter (the organisation department sees no cases): the unit, the kind of problem
and the date say what happened; the office can trace the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

KINDS: dict[str, str] = {
    "escalation": "督办",
    "overdue": "超期",
    "accountability": "问责",
    "supervision": "督查信息",
    "assessment": "民主测评",
    "poll": "民意测验",
    "evaluation": "考评",
    "reward": "奖惩",
    "urgent": "急难险重任务表现",
    "other": "其他",
}
# What the organisation department enters by hand (the rest comes from the platform).
MANUAL_KINDS = ("supervision", "assessment", "poll", "evaluation", "reward", "urgent", "other")
AUTO_SOURCE = "治庸问责平台"
SURVEY_SOURCE = "民主评议"
MAX_SUMMARY = 500
MAX_SOURCE = 64


class EntryError(ValueError):
    """A manual entry that cannot be kept; the message is Chinese."""


@dataclass(frozen=True, slots=True)
class ManualEntry:
    kind: str
    on_date: date
    summary: str
    source: str


def check_manual(kind: str, on: date | None, summary: str, source: str, *, today: date) -> ManualEntry:
    """:raises EntryError:"""
    if kind not in MANUAL_KINDS:
        raise EntryError("请选择记录类别：" + "、".join(KINDS[k] for k in MANUAL_KINDS))
    if on is None:
        raise EntryError("请填写日期")
    if on > today or on.year < 2000:
        raise EntryError("日期应在 2000 年以后，且不晚于今天")
    text = " ".join(summary.split()) if "\n" not in summary else summary.strip()
    if not text:
        raise EntryError("请填写记录内容")
    if len(text) > MAX_SUMMARY:
        raise EntryError(f"记录内容过长（最多 {MAX_SUMMARY} 字）")
    origin = " ".join(source.split())
    if not origin:
        raise EntryError("请填写来源（如“2026年度民主测评”“市委督查室通报”）")
    if len(origin) > MAX_SOURCE:
        raise EntryError(f"来源过长（最多 {MAX_SOURCE} 字）")
    return ManualEntry(kind, on, text, origin)


def escalation_summary(unit_name: str, category_name: str, note: str | None = None) -> str:
    reason = "（超期未办结）" if note and "超期" in note else ""
    return f"{unit_name}一件群众反映的“{category_name}”问题被治庸办督办{reason}。"


def overdue_summary(unit_name: str, category_name: str) -> str:
    return f"{unit_name}一件群众反映的“{category_name}”问题超过答复期限仍未办结（超期）。"


def accountability_summary(unit_name: str, category_name: str, measure_label: str, post: str) -> str:
    return (
        f"因{unit_name}一件群众反映的“{category_name}”问题经查属实，对其（{post}）予以{measure_label}，经治庸办确认。"
    )


def assessment_summary(unit_name: str, title: str, result: str) -> str:
    return f"{unit_name}领导班子{title}：{result}"
