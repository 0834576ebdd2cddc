"""The weekly digest as the paper for the office's Monday meeting: a short narrative — what changed against last
week, which units rose and fell, what is overdue, who was held to account — and the digest as a JSON document, so
a past week is read back exactly as it was sent.

Pure: the figures come in as `handlers.digest.Digest` (this week's and, when there is one, last week's).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from handlers import digest as figures
from handlers.accountability import VERDICTS
from handlers.config import CityConfig

MAX_NAMED = 5  # units named in one sentence


def _change(now: int, before: int) -> str:
    if now > before:
        return f"比上周增加 {now - before} 件"
    if now < before:
        return f"比上周减少 {before - now} 件"
    return "与上周持平"


def _total(d: figures.Digest) -> figures.UnitStats:
    total = figures.UnitStats("all")
    for s in d.units.values():
        for name in ("received", "sign_counted", "signed_on_time", "answer_counted", "answered_on_time", "rated",
                     "satisfied", "overdue"):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(s, name))
    return total


def movers(d: figures.Digest, previous: figures.Digest) -> tuple[list[tuple[str, int, int]], list[tuple[str, int,
                                                                                                        int]]]:  # fmt: skip
    """(unit, last week's place, this week's place) of the units ranked both weeks: risen, fallen (biggest first)."""
    before = {s.unit: i for i, s in enumerate(previous.ranked, start=1)}
    now = {s.unit: i for i, s in enumerate(d.ranked, start=1)}
    both = [(u, before[u], now[u]) for u in now if u in before]
    rose = sorted((m for m in both if m[2] < m[1]), key=lambda m: (m[2] - m[1], m[0]))
    fell = sorted((m for m in both if m[2] > m[1]), key=lambda m: (m[1] - m[2], m[0]))
    return rose, fell


def narrative(d: figures.Digest, previous: figures.Digest | None, city: CityConfig) -> list[str]:
    """A few sentences for the top of the paper, in the order the meeting takes them."""
    total = _total(d)
    lines = []
    volume = f"本期共收到群众反映 {total.received} 件"
    if previous is not None:
        before = _total(previous)
        volume += f"，{_change(total.received, before.received)}（上周 {before.received} 件）"
    lines.append(volume + "。")
    rates = (f"按时签收率 {figures.pct(total.response_rate)}、按时答复率 {figures.pct(total.completion_rate)}、"
             f"满意率 {figures.pct(total.satisfaction_rate)}")  # fmt: skip
    if previous is not None:
        b = _total(previous)
        rates += (f"（上周分别为 {figures.pct(b.response_rate)}、{figures.pct(b.completion_rate)}、"
                  f"{figures.pct(b.satisfaction_rate)}）")  # fmt: skip
    lines.append(rates + "。")
    if previous is not None:
        rose, fell = movers(d, previous)

        def named(items: list[tuple[str, int, int]]) -> str:
            return "、".join(f"{city.unit_name(u)}（第{a}→第{b}名）" for u, a, b in items[:MAX_NAMED])

        if rose or fell:
            parts = ([f"排名上升：{named(rose)}"] if rose else []) + ([f"排名下降：{named(fell)}"] if fell else [])
            lines.append("；".join(parts) + "。")
        else:
            lines.append("与上周相比，参与排名单位的名次没有变化。")
    few = [s for s in d.ranking if 0 < s.received < d.min_cases]
    if d.min_cases > 1:
        lines.append(f"收到反映不足 {d.min_cases} 件的单位不参与排名" + (f"（本期 {len(few)} 个）。" if few else "。"))
    late = sorted((s for s in d.units.values() if s.overdue), key=lambda s: (-s.overdue, s.unit))
    if late:
        named_late = "、".join(f"{city.unit_name(s.unit)} {s.overdue} 件" for s in late[:MAX_NAMED])
        lines.append(f"目前超期未办结 {sum(s.overdue for s in late)} 件：{named_late}" + ("等" if len(late) > MAX_NAMED
                                                                                        else "") + "，请督促办理。")  # fmt: skip
    else:
        lines.append("目前没有超期未办结的工单。")
    if d.talks:
        lines.append(figures.talk_line(d, city))
    found = sum(d.findings.values())
    if found:
        parts = "、".join(f"{VERDICTS[v]} {d.findings[v]} 件" for v in VERDICTS if d.findings.get(v))
        lines.append(f"本期录入查实情况 {found} 件（{parts}），查实率 {figures.pct(d.substantiation_rate)}。")
    held = [h for h in d.held if h.measure != "none"]
    if held:
        who = "；".join(f"{city.unit_name(h.unit)} {figures.describe_held(h)}" for h in held[: MAX_NAMED * 2])
        lines.append(f"本期问责 {len(held)} 人次：{who}。")
    else:
        lines.append("本期没有记录问责。")
    return lines


# -- as sent: the digest as a JSON document ----------------------------------------------------------------------


def to_dict(d: figures.Digest) -> dict[str, Any]:
    return {
        "week": d.week,
        "start": d.start.isoformat(),
        "end": d.end.isoformat(),
        "as_of": d.as_of.isoformat(),
        "units": {code: asdict(s) for code, s in d.units.items()},
        "ranking": [s.unit for s in d.ranking],
        "per_supervisor": d.per_supervisor,
        "overdue": d.overdue,
        "escalated": d.escalated,
        "hot_spots": d.hot_spots,
        "typical_good": d.typical_good,
        "typical_bad": d.typical_bad,
        "reveals": [asdict(r) for r in d.reveals],
        "calendar_notice": d.calendar_notice,
        "min_cases": d.min_cases,
        "findings": d.findings,
        "held": [asdict(h) for h in d.held],
        "narrative": d.narrative,
        "talks": d.talks,
        "talk_months": d.talk_months,
    }


def from_dict(data: dict[str, Any]) -> figures.Digest:
    units = {code: figures.UnitStats(**s) for code, s in data["units"].items()}
    return figures.Digest(
        week=data["week"], start=datetime.fromisoformat(data["start"]), end=datetime.fromisoformat(data["end"]),
        as_of=datetime.fromisoformat(data["as_of"]), units=units,
        ranking=[units[code] for code in data["ranking"] if code in units],
        per_supervisor=data.get("per_supervisor") or {},
        overdue=list(data.get("overdue") or []), escalated=list(data.get("escalated") or []),
        hot_spots=list(data.get("hot_spots") or []), typical_good=list(data.get("typical_good") or []),
        typical_bad=list(data.get("typical_bad") or []),
        reveals=[figures.RevealLine(**r) for r in data.get("reveals") or []],
        calendar_notice=data.get("calendar_notice"), min_cases=int(data.get("min_cases") or 0),
        findings=dict(data.get("findings") or {}), held=[figures.HeldLine(**h) for h in data.get("held") or []],
        narrative=list(data.get("narrative") or []), talks=list(data.get("talks") or []),
        talk_months=list(data.get("talk_months") or []),
    )  # fmt: skip
