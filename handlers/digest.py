"""Digest arithmetic: per-unit figures for a period (响应率, 办结率, 满意率, 超期) and the ranking.

Pure: the caller passes plain `CaseFacts` rows. Definitions, so every page, export and digest agrees:
- received: cases created in [start, end);
- 响应率 (on-time sign rate): of the cases received whose sign-for deadline has passed by `as_of` or that were
  signed, the share signed by the deadline;
- 办结率 (on-time answer rate): of the cases received whose answer deadline has passed by `as_of` or that were
  answered, the share answered by the deadline;
- 满意率: of the ratings given in [start, end), the share with an outcome other than 未解决 and conduct other
  than 不满意;
- overdue: cases of the unit flagged 超期 and still open at `as_of`.
A rate with an empty denominator is None ("—"), never 0 or 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from handlers.lifecycle import OPEN_STATES


@dataclass(frozen=True, slots=True)
class CaseFacts:
    number: str
    unit: str | None
    category: str
    state: str
    created_at: datetime
    sign_due: datetime | None = None
    signed_at: datetime | None = None
    answer_due: datetime | None = None
    answered_at: datetime | None = None
    overdue: bool = False
    escalated: bool = False
    rated_at: datetime | None = None
    satisfied: bool | None = None
    window: str | None = None


@dataclass
class UnitStats:
    unit: str
    received: int = 0
    sign_counted: int = 0
    signed_on_time: int = 0
    answer_counted: int = 0
    answered_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    overdue: int = 0

    @staticmethod
    def _rate(num: int, den: int) -> float | None:
        return None if den == 0 else num / den

    @property
    def response_rate(self) -> float | None:
        return self._rate(self.signed_on_time, self.sign_counted)

    @property
    def completion_rate(self) -> float | None:
        return self._rate(self.answered_on_time, self.answer_counted)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)


def _in(at: datetime | None, start: datetime, end: datetime) -> bool:
    return at is not None and start <= at < end


def unit_stats(
    facts: Iterable[CaseFacts], *, start: datetime, end: datetime, as_of: datetime, units: Iterable[str] = ()
) -> dict[str, UnitStats]:
    stats: dict[str, UnitStats] = {u: UnitStats(u) for u in units}
    for f in facts:
        if f.unit is None:
            continue
        s = stats.setdefault(f.unit, UnitStats(f.unit))
        if _in(f.created_at, start, end):
            s.received += 1
            if f.sign_due is not None and (f.signed_at is not None or f.sign_due <= as_of):
                s.sign_counted += 1
                s.signed_on_time += f.signed_at is not None and f.signed_at <= f.sign_due
            if f.answer_due is not None and (f.answered_at is not None or f.answer_due <= as_of):
                s.answer_counted += 1
                s.answered_on_time += f.answered_at is not None and f.answered_at <= f.answer_due
        if _in(f.rated_at, start, end) and f.satisfied is not None:
            s.rated += 1
            s.satisfied += f.satisfied
        if f.overdue and f.state in OPEN_STATES:
            s.overdue += 1
    return stats


def _key(rate: float | None) -> float:
    return -1.0 if rate is None else rate


def rank(stats: Iterable[UnitStats]) -> list[UnitStats]:
    """Best first: by 响应率, then 办结率, then 满意率, then fewer overdue; units with no data last."""
    return sorted(
        stats,
        key=lambda s: (-_key(s.response_rate), -_key(s.completion_rate), -_key(s.satisfaction_rate), s.overdue, s.unit),
    )


def pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"
