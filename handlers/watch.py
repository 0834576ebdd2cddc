"""What the office is alerted to when a case comes in: a hot spot (several reporters about one unit or window in a
few days) and very similar open cases to link it to. Pure: the caller counts and fetches, this decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from handlers.config import CityConfig
from handlers.config import Watch
from handlers.masking import mask_text
from nlp.similarity import similar


@dataclass(frozen=True, slots=True)
class HotSpot:
    unit: str
    window: str | None
    reporters: int


def hot_spot_scopes(unit: str | None, window: str | None) -> list[tuple[str, str | None]]:
    """What to count reporters over for a new case: its unit, and its window when it names one."""
    if not unit:
        return []
    return [(unit, None)] + ([(unit, window)] if window else [])


def hot_spots(counts: Iterable[tuple[str, str | None, int]], cfg: Watch) -> list[HotSpot]:
    """The scopes whose distinct reporters reach the threshold."""
    return [HotSpot(u, w, n) for u, w, n in counts if n >= cfg.hot_spot_reporters]


def hot_spot_text(spot: HotSpot, city: CityConfig, link: str) -> str:
    label = city.unit_name(spot.unit) + (f"{mask_text(spot.window)}号窗口" if spot.window else "")
    days = city.watch.hot_spot_days
    return f"【热点预警】{days}天内已有 {spot.reporters} 位市民反映{label}。详情：{link}"


@dataclass(frozen=True, slots=True)
class Related:
    number: str
    score: float


def related(text: str, candidates: Iterable[tuple[str, str]], cfg: Watch) -> list[Related]:
    """The open cases (number, text) to link a new case to: the most similar first, at most `related_limit` —
    a wave of copies of one message would otherwise link every case to every other."""
    matches = similar(text, candidates, threshold=cfg.related_similarity)[: cfg.related_limit]
    return [Related(m.key, m.score) for m in matches]
