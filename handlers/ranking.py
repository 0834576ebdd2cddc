"""The units' monthly standing (月度排名): pure computation over the figures `bot.service.ranking` gathers.

Each component is a score from 0 to 100 (higher is better) with the value it comes from and its sample size `n`:

- complaints: complaints and 差评 cases received about the unit in the month per 1,000 services it delivered (服务量,
  where known: config `ranking.volume` or `ranking volume import`); score = 100 / (1 + rate). Without a volume the
  component is absent for that unit and says so.
- findings (查实): of the findings recorded on the unit's cases in the month (not sent back), the share found true
  in whole or in part; score = 100 × (1 − share).
- satisfaction (满意率 of closed cases): of the unit's cases closed in the month with a citizen's rating, the share
  satisfied (outcome not 未解决, conduct not 不满意 — the digest's definition); score = 100 × share.
- ratings (好差评): the window ratings given in the month, less those the office upheld as 误评 on appeal;
  score = (mean level − 1) × 25 (5 非常满意 = 100, 1 非常不满意 = 0).
- surveys (民意调查/民主评议): the score and answers `bot.service.surveys.unit_scores` reports, when it exists.
- inspections (明查暗访): of the checklist items assessed in the month's inspections, the share passed.

A unit's score is Σ wᵢ·sᵢ / Σ wᵢ over the components it has whose weight is above 0: a missing component is left
out and the others are reweighted over what is present. Its sample is the number of judgements behind it —
complaints (when the volume is known), rated cases, window ratings, survey answers and inspections (findings are
about the same complaints; the volume is not a judgement). A unit with a sample below `min_sample`, or with no
component at all, is listed apart and not ranked. The rest are ranked by score rounded to one decimal, best
first; equal scores share a rank (1, 2, 2, 4). The bottom of a month is the ranked unit(s) with the last rank,
when at least two units are ranked; a unit at the bottom of two months running is flagged for 约谈.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import tzinfo
from typing import Any

COMPONENTS: dict[str, str] = {
    "complaints": "投诉率",
    "findings": "查实",
    "satisfaction": "办结满意率",
    "ratings": "好差评",
    "surveys": "民意调查",
    "inspections": "明查暗访",
}
# The components whose n counts towards a unit's sample.
SAMPLE_COMPONENTS = ("complaints", "satisfaction", "ratings", "surveys", "inspections")
PER_SERVICES = 1000
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

ABSENT_NOTES = {
    "complaints": "服务量未知，本项不计",
    "findings": "本月无查实记录",
    "satisfaction": "本月无已评价的办结工单",
    "ratings": "本月无窗口评价",
    "surveys": "本月无民意调查结果",
    "inspections": "本月无暗访记录",
}
NO_SURVEYS = "民意调查未启用，本项不计"
ZERO_WEIGHT = "权重为 0，不计"


class RankingError(ValueError):
    """A request about the standing that cannot be carried out; the message is Chinese and safe to show."""


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """What the database says about one unit in one month."""

    unit: str
    complaints: int = 0
    volume: int | None = None
    findings: int = 0
    substantiated: int = 0
    rated: int = 0
    satisfied: int = 0
    ratings: int = 0
    rating_sum: int = 0  # the sum of the levels (1–5)
    survey: tuple[float, int] | None = None  # (score 0–100, answers)
    inspections: int = 0
    checks_assessed: int = 0
    checks_passed: int = 0


@dataclass(frozen=True, slots=True)
class Component:
    key: str
    present: bool
    score: float | None
    value: float | None
    n: int
    weight: float
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"label": COMPONENTS[self.key], "present": self.present, "used": self.used, "value": self.value,
                "n": self.n, "score": None if self.score is None else round(self.score, 1), "weight": self.weight,
                "note": self.note}  # fmt: skip

    @property
    def used(self) -> bool:
        return self.present and self.weight > 0


def parse_month(month: str) -> tuple[int, int]:
    """'2026-11' → (2026, 11). :raises ValueError: not YYYY-MM."""
    m = _MONTH.match(month.strip())
    if not m:
        raise ValueError(f"月份应为 YYYY-MM（例如 2026-11），收到“{month}”")
    return int(m.group(1)), int(m.group(2))


def month_bounds(month: str, tz: tzinfo) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's (city time). :raises ValueError:"""
    year, mon = parse_month(month)
    nxt = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return datetime(year, mon, 1, tzinfo=tz), datetime(nxt[0], nxt[1], 1, tzinfo=tz)


def month_of(at: datetime | date, tz: tzinfo | None = None) -> str:
    day = at.astimezone(tz) if isinstance(at, datetime) and tz is not None else at
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year - 1:04d}-12" if mon == 1 else f"{year:04d}-{mon - 1:02d}"


def ended_months(at: datetime, tz: tzinfo, count: int = 2) -> list[str]:
    """The `count` latest months that ended by `at`, latest first."""
    months = [previous_month(month_of(at, tz))]
    while len(months) < count:
        months.append(previous_month(months[-1]))
    return months


def _share(num: int, den: int) -> float | None:
    return None if den <= 0 else num / den


def components(f: UnitFigures, weights: Mapping[str, float], *, surveys_available: bool) -> dict[str, Component]:
    """Every component of one unit, present or not, with its weight."""
    out: dict[str, Component] = {}

    def put(key: str, score: float | None, value: float | None, n: int, note: str = "") -> None:
        present = score is not None
        weight = float(weights.get(key, 0.0))
        if present and weight <= 0:
            note = ZERO_WEIGHT
        out[key] = Component(key, present, score, value, n, weight, note if note or present else ABSENT_NOTES[key])

    if f.volume:
        rate = f.complaints / f.volume * PER_SERVICES
        put("complaints", 100 / (1 + rate), round(rate, 3), f.complaints,
            f"{f.complaints} 件 / 服务量 {f.volume} 件")  # fmt: skip
    else:
        put("complaints", None, None, f.complaints)
    share = _share(f.substantiated, f.findings)
    put("findings", None if share is None else 100 * (1 - share), None if share is None else round(share, 4),
        f.findings, f"查实 {f.substantiated} 件 / 记录 {f.findings} 件" if f.findings else "")  # fmt: skip
    share = _share(f.satisfied, f.rated)
    put("satisfaction", None if share is None else 100 * share, None if share is None else round(share, 4), f.rated)
    mean = None if f.ratings <= 0 else f.rating_sum / f.ratings
    put("ratings", None if mean is None else (mean - 1) * 25, None if mean is None else round(mean, 2), f.ratings)
    if not surveys_available:
        out["surveys"] = Component("surveys", False, None, None, 0, float(weights.get("surveys", 0.0)), NO_SURVEYS)
    else:
        score, n = f.survey if f.survey is not None and f.survey[1] > 0 else (None, 0)
        put("surveys", None if score is None else max(0.0, min(100.0, float(score))),
            None if score is None else round(float(score), 1), n)  # fmt: skip
    share = _share(f.checks_passed, f.checks_assessed)
    put("inspections", None if share is None else 100 * share, None if share is None else round(share, 4),
        f.inspections, f"合格 {f.checks_passed} 项 / 检查 {f.checks_assessed} 项" if f.checks_assessed else "")  # fmt: skip
    return out


def combined(parts: Mapping[str, Component]) -> float | None:
    """Σ wᵢ·sᵢ / Σ wᵢ over the components used; None when none is."""
    used = [c for c in parts.values() if c.used and c.score is not None]
    total = sum(c.weight for c in used)
    if total <= 0:
        return None
    return sum(c.weight * c.score for c in used if c.score is not None) / total


def sample(parts: Mapping[str, Component]) -> int:
    return sum(parts[k].n for k in SAMPLE_COMPONENTS if k in parts and parts[k].present)


def standing(
    month: str,
    figures: Iterable[UnitFigures],
    *,
    weights: Mapping[str, float],
    min_sample: int,
    computed_at: datetime,
    surveys_available: bool,
) -> dict[str, Any]:
    """The month's standing as a JSON-ready document: `rows` (ranked, best first) and `apart` (not ranked, with
    the reason), each row with its score, sample, rank and every component."""
    ranked: list[dict[str, Any]] = []
    apart: list[dict[str, Any]] = []
    for f in figures:
        parts = components(f, weights, surveys_available=surveys_available)
        total = combined(parts)
        n = sample(parts)
        row: dict[str, Any] = {
            "unit": f.unit,
            "rank": None,
            "score": None if total is None else round(total, 1),
            "sample": n,
            "volume": f.volume,
            "components": {k: c.as_dict() for k, c in parts.items()},
            "missing": [k for k, c in parts.items() if not c.used],
            "reason": None,
        }
        if total is None:
            row["reason"] = "无可计分的数据"
            apart.append(row)
        elif n < min_sample:
            row["reason"] = f"样本不足（{n} < {min_sample}）"
            apart.append(row)
        else:
            ranked.append(row)
    ranked.sort(key=lambda r: (-r["score"], r["unit"]))
    for i, row in enumerate(ranked):
        row["rank"] = ranked[i - 1]["rank"] if i and row["score"] == ranked[i - 1]["score"] else i + 1
    apart.sort(key=lambda r: (-r["sample"], r["unit"]))
    return {
        "month": month,
        "computed_at": computed_at.isoformat(),
        "weights": dict(weights),
        "min_sample": min_sample,
        "surveys_available": surveys_available,
        "rows": ranked,
        "apart": apart,
    }


def bottom(doc: Mapping[str, Any]) -> list[str]:
    """The unit(s) in the last place of a standing, when at least two units are ranked."""
    rows: Sequence[Mapping[str, Any]] = doc.get("rows") or []
    if len(rows) < 2:
        return []
    last = max(r["rank"] for r in rows)
    return sorted(r["unit"] for r in rows if r["rank"] == last)


def flagged_for_talk(docs: Sequence[Mapping[str, Any] | None]) -> list[str]:
    """Units at the bottom of every one of `docs` (consecutive months); none when a month has no standing."""
    if not docs or any(d is None for d in docs):
        return []
    found = set(bottom(docs[0]))  # type: ignore[arg-type]
    for d in docs[1:]:
        found &= set(bottom(d))  # type: ignore[arg-type]
    return sorted(found)


def method_text(doc: Mapping[str, Any]) -> str:
    """One line that says how the score was made (for the CLI and the console)."""
    weights = doc.get("weights") or {}
    parts = "、".join(f"{COMPONENTS[k]} {weights.get(k, 0):g}" for k in COMPONENTS)
    return (f"得分 = 各项得分按权重加权平均（{parts}）；缺项按其余各项重新加权。样本不足 {doc.get('min_sample', 0)} "
            "的单位单列，不参与排名。")  # fmt: skip


def parse_volumes(text: str, units: Iterable[str]) -> list[tuple[str, str, int]]:
    """Service volumes from CSV (`unit,month,volume`; a header line and `#` comments allowed). A later line for the
    same unit and month replaces an earlier one. :raises RankingError: naming the line (第 N 行)."""
    known = set(units)
    found: dict[tuple[str, str], int] = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if [c.lower() for c in cells] == ["unit", "month", "volume"]:
            continue
        if len(cells) != 3:
            raise RankingError(f"第 {n} 行：应为 unit,month,volume 三列")
        unit, month, volume = cells
        if unit not in known:
            raise RankingError(f"第 {n} 行：未知单位 {unit}")
        try:
            parse_month(month)
        except ValueError as exc:
            raise RankingError(f"第 {n} 行：{exc}") from None
        if not volume.isdigit():
            raise RankingError(f"第 {n} 行：服务量应为非负整数，收到“{volume}”")
        found[(unit, month)] = int(volume)
    if not found:
        raise RankingError("文件中没有服务量数据（格式：unit,month,volume）")
    return [(u, m, v) for (u, m), v in found.items()]
