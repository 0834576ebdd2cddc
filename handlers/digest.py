"""The weekly digest's contents: per-unit figures for a period (响应率, 办结率, 满意率, 超期), the ranking, the
`Digest` itself (one type, whoever computed its figures), the ISO weeks it covers, and its text.

Pure: the caller passes plain `CaseFacts` rows. Definitions, so every page, export and digest agrees:
- received: cases created in [start, end);
- 响应率 (on-time sign rate): of the cases received whose sign-for deadline has passed by `as_of` or that were
  signed, the share signed by the deadline;
- 办结率 (on-time answer rate): of the cases received whose answer deadline has passed by `as_of` or that were
  answered, the share answered by the deadline;
- 满意率: of the ratings given in [start, end), the share with an outcome other than 未解决 and conduct other
  than 不满意;
- overdue: cases of the unit 超期 at `as_of` (`handlers.overdue`: awaiting an answer, past the answer deadline);
- reveals (the office's paper only): the 查看身份 requests approved in [start, end), without any identity.
A rate with an empty denominator is None ("—"), never 0 or 100 %.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo
from typing import Any

from handlers.accountability import describe
from handlers.config import CityConfig
from handlers.lifecycle import STATES
from handlers.masking import mask_text
from handlers.overdue import is_overdue


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
        if is_overdue(f.state, f.answer_due, as_of):
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


def describe_held(h: HeldLine) -> str:
    """诫勉谈话（窗口负责人）, marked when the office has not confirmed it yet."""
    return describe(h.measure, h.post) + ("" if h.status == "confirmed" else "（待确认）")


@dataclass(frozen=True, slots=True)
class RevealLine:
    """One approved 查看身份 of the week, for the office's paper: who asked, who approved, why — never the identity."""

    number: str
    requested_by: str
    approved_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class HeldLine:
    """One 问责 recorded in the period (not sent back): whom (a post, never a name) and how, for the Monday paper."""

    number: str
    unit: str | None
    post: str | None
    measure: str
    status: str  # pending | confirmed


@dataclass
class Digest:
    """One week's digest: figures per unit, the ranking, what each supervisor has, what to look at; for the office's
    Monday paper also what was found and who was held to account, and the narrative (`handlers.digest_paper`).

    `ranking` holds every unit (best first); only units with at least `min_cases` cases received are ranked on the
    paper (`ranked`), the others are listed apart (`unranked`).
    """

    week: str
    start: datetime
    end: datetime
    as_of: datetime
    units: dict[str, UnitStats]
    ranking: list[UnitStats]
    per_supervisor: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    overdue: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    hot_spots: list[dict[str, Any]] = field(default_factory=list)
    typical_good: list[str] = field(default_factory=list)
    typical_bad: list[str] = field(default_factory=list)
    reveals: list[RevealLine] = field(default_factory=list)
    # Said at the top of the office's paper while the calendar's next 90 days rest on an estimate (handlers.schedule).
    calendar_notice: str | None = None
    min_cases: int = 0
    findings: dict[str, int] = field(default_factory=dict)  # verdict code -> findings recorded in the period
    held: list[HeldLine] = field(default_factory=list)
    narrative: list[str] = field(default_factory=list)
    # Units at the bottom of the monthly standing two months running (`talk_months`): flagged for 约谈.
    talks: list[str] = field(default_factory=list)
    talk_months: list[str] = field(default_factory=list)

    @property
    def ranked(self) -> list[UnitStats]:
        return [s for s in self.ranking if s.received >= self.min_cases and s.received > 0]

    @property
    def unranked(self) -> list[UnitStats]:
        return [s for s in self.ranking if not (s.received >= self.min_cases and s.received > 0)]

    @property
    def substantiation_rate(self) -> float | None:
        """查实率: of the findings recorded in the period, the share found true in whole or in part."""
        total = sum(self.findings.values())
        return None if total == 0 else (self.findings.get("verified", 0) + self.findings.get("partly", 0)) / total

    @property
    def held_count(self) -> int:
        """问责人次: the 问责 recorded in the period, 无 not counted."""
        return sum(1 for h in self.held if h.measure != "none")


def week_start(week: str, tz: tzinfo) -> datetime:
    """'2026-W48' → Monday 00:00 (city time) of that ISO week."""
    year, _, num = week.partition("-W")
    monday = date.fromisocalendar(int(year), int(num), 1)
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz)


def week_of(at: datetime, tz: tzinfo) -> str:
    iso = at.astimezone(tz).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def latest_slot(now: datetime, weekday: int, at: time, tz: tzinfo) -> datetime:
    """The most recent digest moment (weekday + time, city time) at or before `now`."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = datetime.combine(day, at, tzinfo=tz)
    return slot if slot <= local else slot - timedelta(days=7)


def talk_line(d: Digest, city: CityConfig) -> str:
    """约谈提醒: the units at the bottom of the monthly standing two months running."""
    months = "、".join(f"{m[:4]}年{int(m[5:])}月" for m in d.talk_months)
    names = "、".join(city.unit_name(u) for u in d.talks)
    return f"约谈提醒：{names}连续两个月（{months}）月度排名末位，建议约谈其主要负责人。"


def render(d: Digest, city: CityConfig, *, for_supervisor: str | None = None) -> str:
    """The digest as text: the office's whole paper, a supervisor's own lines, or a unit head's figures."""
    tz = city.tz
    span = f"{d.start.astimezone(tz):%m月%d日}—{(d.end - timedelta(seconds=1)).astimezone(tz):%m月%d日}"
    lines = [f"【{city.city.name}治庸问责周报 {d.week}】{span}"]
    if for_supervisor is not None:
        sup = next((s for s in city.supervisors if s.id == for_supervisor), None)
        if sup is None:
            raise KeyError(for_supervisor)
        if sup.role == "unit_head":
            s = d.units.get(sup.member_of) or UnitStats(sup.member_of)
            lines += [
                f"{city.unit_name(sup.member_of)}本周：收到反映 {s.received} 件，按时签收率 {pct(s.response_rate)}，"
                f"按时答复率 {pct(s.completion_rate)}，满意率 {pct(s.satisfaction_rate)}，超期 {s.overdue} 件。"
            ]
            return "\n".join(lines)
        mine = d.per_supervisor.get(for_supervisor, {"open": [], "due_this_week": [], "overdue": []})
        lines += [
            f"{sup.name}：在办 {len(mine['open'])} 件，本周到期 {len(mine['due_this_week'])} 件，超期 {len(mine['overdue'])} 件。",
            *(f"  本周到期：{n}" for n in mine["due_this_week"]),
            *(f"  超期：{n}" for n in mine["overdue"]),
        ]
        return "\n".join(lines)
    if d.calendar_notice:
        lines.append(d.calendar_notice)
    if d.narrative:
        lines += ["本周概况：", *(f"  {n}" for n in d.narrative)]
    rule = f"收到 {d.min_cases} 件及以上的单位参与排名；" if d.min_cases > 1 else ""
    lines.append(f"单位排名（{rule}响应率 / 办结率 / 满意率 / 收到 / 超期）：")
    for i, s in enumerate(d.ranked, start=1):
        lines.append(
            f"{i:>2}. {city.unit_name(s.unit)}  {pct(s.response_rate)} / {pct(s.completion_rate)} / "
            f"{pct(s.satisfaction_rate)} / {s.received} / {s.overdue}"
        )
    few = [s for s in d.unranked if s.received > 0]
    if few:
        lines.append(f"件数不足 {d.min_cases} 件、未参与排名：" + "、".join(f"{city.unit_name(s.unit)}（{s.received}件）"
                                                                       for s in few))  # fmt: skip
    lines.append(f"查实率 {pct(d.substantiation_rate)}（查实情况 {sum(d.findings.values())} 件），问责 {d.held_count} 人次"
                 + ("：" if d.held else "。"))  # fmt: skip
    lines += [f"  {h.number} {city.unit_name(h.unit)} {describe_held(h)}" for h in d.held]
    lines.append(f"超期工单 {len(d.overdue)} 件：{'、'.join(d.overdue) or '无'}")
    lines.append(f"督办工单 {len(d.escalated)} 件：{'、'.join(d.escalated) or '无'}")
    lines.append(f"查看反映人身份 {len(d.reveals)} 次（双人审批）{'：' if d.reveals else '：无'}")
    lines += [f"  {r.number}：申请人 {r.requested_by}，批准人 {r.approved_by}，理由：{mask_text(r.reason)}"
              for r in d.reveals]  # fmt: skip
    if d.hot_spots:
        spots = [f"{city.unit_name(h['unit'])}{mask_text(h['window']) + '号窗口' if h['window'] else ''}（{h['reporters']}人）"
                 for h in d.hot_spots]  # fmt: skip
        lines.append("热点：" + "、".join(spots))
    lines.append(f"典型案例候选（正面）：{'、'.join(d.typical_good) or '无'}")
    lines.append(f"典型案例候选（反面）：{'、'.join(d.typical_bad) or '无'}")
    lines.append(f"状态说明：{'、'.join(STATES.values())}")
    return "\n".join(lines)
