"""好差评 figures and rules: the five levels, a month's summary per unit and window, and the appeal of a 误评.

Definitions (one place, so the CLI, the console and the monthly standing agree):

- counted: the window ratings given in the period, less those the office upheld as 误评 on appeal (reported
  apart as `excluded`); a second rating of the same window within the hour has already replaced the first.
- 满意率 = (非常满意 + 满意) / counted, i.e. levels 5 and 4; 基本满意 (3) is neither satisfied nor a 差评.
- 差评率 = (不满意 + 非常不满意) / counted, i.e. levels 2 and 1.
- score = (mean level − 1) × 25, from 0 (all 非常不满意) to 100 (all 非常满意): the standing's 好差评 component.
- praise: the 表扬 the dialog recorded about the unit (and that window) in the period; it counts for the unit and
  never in a rate.
A rate over nothing is None ("—"), never 0 or 100 %.

Appeals: the unit — a supervisor who oversees it, or its unit head — may appeal a 差评 (levels 1–2) once, with a
reason; an office account decides (回避: never about its own unit). Upheld, the rating leaves the unit's figures;
rejected, it stands. Nobody on the unit's side ever learns who rated: pages show the level, the window, the day
and the reason masked.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from handlers.config import CityConfig
from handlers.masking import mask_text
from handlers.visibility import StaffMember
from handlers.visibility import may_touch

LEVELS: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SATISFIED_LEVELS = (5, 4)
POOR_LEVELS = (2, 1)
DEFINITION = "满意率 =（非常满意 + 满意）/ 计入的评价数；差评率 =（不满意 + 非常不满意）/ 计入的评价数；经治庸办认定为误评的评价不计入"

APPEAL_MIN_CHARS = 10
APPEAL_MAX_CHARS = 300
STATUS_LABELS = {"pending": "待治庸办认定", "upheld": "已认定误评（不计入）", "rejected": "维持原评价"}


class AppealError(ValueError):
    """An appeal or decision that cannot be made as asked; the message is Chinese and safe to show."""


@dataclass
class Tally:
    counts: dict[int, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    excluded: int = 0
    praise: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def _share(self, levels: Iterable[int]) -> float | None:
        return None if self.total == 0 else sum(self.counts[lv] for lv in levels) / self.total

    @property
    def satisfaction_rate(self) -> float | None:
        return self._share(SATISFIED_LEVELS)

    @property
    def poor_rate(self) -> float | None:
        return self._share(POOR_LEVELS)

    @property
    def mean(self) -> float | None:
        return None if self.total == 0 else sum(lv * n for lv, n in self.counts.items()) / self.total

    @property
    def score(self) -> float | None:
        mean = self.mean
        return None if mean is None else (mean - 1) * 25

    def as_dict(self) -> dict[str, Any]:
        def r(x: float | None, n: int) -> float | None:
            return None if x is None else round(x, n)

        return {
            "counts": {str(lv): self.counts[lv] for lv in sorted(LEVELS, reverse=True)},
            "by_level": {LEVELS[lv]: self.counts[lv] for lv in sorted(LEVELS, reverse=True)},
            "total": self.total,
            "satisfaction_rate": r(self.satisfaction_rate, 4),
            "poor_rate": r(self.poor_rate, 4),
            "mean": r(self.mean, 2),
            "score": r(self.score, 1),
            "excluded_misjudged": self.excluded,
            "praise": self.praise,
        }


def summarize(
    counts: Iterable[tuple[str, str | None, int, int]],
    excluded: Iterable[tuple[str, str | None, int]],
    praise: Iterable[tuple[str, str | None, int]],
    unit_name: Callable[[str], str],
) -> list[dict[str, Any]]:
    """Per unit (and per window within it, None = the unit without a window) from the repository's rows."""
    units: dict[str, Tally] = {}
    windows: dict[tuple[str, str | None], Tally] = {}

    def both(unit: str, window: str | None) -> tuple[Tally, Tally]:
        return units.setdefault(unit, Tally()), windows.setdefault((unit, window), Tally())

    for unit, window, level, n in counts:
        for t in both(unit, window):
            t.counts[level] = t.counts.get(level, 0) + n
    for unit, window, n in excluded:
        for t in both(unit, window):
            t.excluded += n
    for unit, window, n in praise:
        for t in both(unit, window):
            t.praise += n
    out = []
    for unit in sorted(units):
        row = {"unit": unit, "name": unit_name(unit), **units[unit].as_dict(), "windows": []}
        keys = sorted((w for u, w in windows if u == unit), key=lambda w: (w is None, _window_key(w)))
        row["windows"] = [{"window": w, **windows[(unit, w)].as_dict()} for w in keys]
        out.append(row)
    return out


def _window_key(window: str | None) -> tuple[int, str]:
    text = window or ""
    return (int(text), "") if text.isdigit() else (10**9, text)


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


# -- appeals ----------------------------------------------------------------------------------------------------


def may_appeal(member: StaffMember, unit: str) -> bool:
    """A supervisor who oversees `unit`, or the head of `unit`, may appeal its ratings."""
    if member.role == "supervisor":
        return unit in member.units
    if member.role == "unit_head":
        return unit == member.member_of or unit in member.units
    return False


def may_decide(member: StaffMember, unit: str, city: CityConfig) -> bool:
    """The office decides, never about a unit it must stay away from (回避)."""
    return member.role == "office" and may_touch(member, unit, city)


def check_appeal(level: int, already: bool, reason: str | None) -> str:
    """The reason as kept. :raises AppealError: not a 差评, appealed before, or no proper reason."""
    if level not in POOR_LEVELS:
        raise AppealError("只有“不满意”“非常不满意”的差评可以申诉误评")
    if already:
        raise AppealError("该评价已申诉过，每条评价只能申诉一次")
    text = " ".join(unicodedata.normalize("NFKC", reason or "").split())
    if len(text) < APPEAL_MIN_CHARS:
        raise AppealError(
            f"请写明申诉理由（至少 {APPEAL_MIN_CHARS} 个字），例如：当日该窗口暂停服务，评价时间不在营业时间内"
        )
    if len(text) > APPEAL_MAX_CHARS:
        raise AppealError(f"申诉理由过长（最多 {APPEAL_MAX_CHARS} 字）")
    return mask_text(text)


def check_decision(status: str, uphold: bool, note: str | None) -> str | None:
    """The note as kept. :raises AppealError: decided already, or rejected without a reason."""
    if status != "pending":
        raise AppealError(f"该申诉已处理（{STATUS_LABELS.get(status, status)}）")
    text = " ".join(unicodedata.normalize("NFKC", note or "").split())
    if not uphold and not text:
        raise AppealError("维持原评价时请写明理由")
    if len(text) > APPEAL_MAX_CHARS:
        raise AppealError(f"理由过长（最多 {APPEAL_MAX_CHARS} 字）")
    return mask_text(text) if text else None


def masked_reason(reason: str | None) -> str:
    """A citizen's reason as the unit's side and the office see it: numbers masked, never who wrote it."""
    return mask_text(reason) if reason else "（未说明原因）"
