"""The weekly digest: figures from the database, a text for `flask --app bot digest`, notices via the outbox.

The digest sent on Monday 09:00 (Asia/Shanghai, whatever the host's zone) covers the previous ISO week; a
digest missed while the scheduler was down goes out once on restart and covers every week since the last one.
Notices carry counts and a link only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from bot.runtime import Runtime
from handlers import digest as figures
from handlers import notices
from handlers.lifecycle import OPEN_STATES
from handlers.lifecycle import STATES
from storage import cases as cases_repo
from storage import jobs as ledger
from storage import outbox
from storage import reports
from storage.models import Assignment
from storage.models import Case

BEIJING = cases_repo.BEIJING
MAX_CATCH_UP_WEEKS = 12


def week_start(week: str) -> datetime:
    """'2026-W48' → Monday 00:00 Beijing of that ISO week."""
    year, _, num = week.partition("-W")
    monday = date.fromisocalendar(int(year), int(num), 1)
    return datetime(monday.year, monday.month, monday.day, tzinfo=BEIJING)


def week_of(at: datetime) -> str:
    iso = at.astimezone(BEIJING).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def latest_slot(now: datetime, rt: Runtime) -> datetime:
    """The most recent digest moment (weekday + time, Beijing) at or before `now`."""
    cfg = rt.settings.city.escalation
    local = now.astimezone(BEIJING)
    day = local.date() - timedelta(days=(local.weekday() - cfg.digest_weekday) % 7)
    slot = datetime.combine(day, cfg.digest_time, tzinfo=BEIJING)
    return slot if slot <= local else slot - timedelta(days=7)


@dataclass
class Digest:
    week: str
    start: datetime
    end: datetime
    as_of: datetime
    units: dict[str, figures.UnitStats]
    ranking: list[figures.UnitStats]
    per_supervisor: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    overdue: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    hot_spots: list[dict[str, Any]] = field(default_factory=list)
    typical_good: list[str] = field(default_factory=list)
    typical_bad: list[str] = field(default_factory=list)


def facts(case: Case) -> figures.CaseFacts:
    satisfied = None
    if case.rating_outcome is not None:
        satisfied = case.rating_outcome != "3" and case.rating_conduct != "C"
    return figures.CaseFacts(
        number=case.number, unit=case.respondent_unit, category=case.category, state=case.state,
        created_at=case.created_at, sign_due=case.sign_due, signed_at=case.signed_at, answer_due=case.answer_due,
        answered_at=case.answered_at, overdue=case.overdue, escalated=case.escalated_at is not None,
        rated_at=case.rated_at, satisfied=satisfied, window=case.window,
    )  # fmt: skip


def build(rt: Runtime, session: orm.Session, *, start: datetime, end: datetime, as_of: datetime, week: str) -> Digest:
    """The digest's figures, computed by the database (`storage.reports`): a few aggregate queries whatever the
    size of the history (1,000,000 cases: ~5 s on PostgreSQL against ~45 s for `build_from_objects`)."""
    f = reports.digest_figures(
        session, start=start, end=end, as_of=as_of, units=[u.code for u in rt.settings.city.units]
    )
    return Digest(week, start, end, as_of, f.units, f.ranking, f.per_supervisor, f.overdue, f.escalated, f.hot_spots,
                  f.typical_good, f.typical_bad)  # fmt: skip


def build_from_objects(
    rt: Runtime, session: orm.Session, *, start: datetime, end: datetime, as_of: datetime, week: str
) -> Digest:
    """The reference: `handlers.digest`'s definitions applied to every relevant case loaded as an object.

    Kept as the specification `build` is checked against (tests/storage/test_reports.py) and as the benchmark's
    comparison (bench/digest.py); it loads every relevant case and active assignment, so it does not scale.
    """
    city = rt.settings.city
    relevant = sa.or_(
        Case.created_at.between(start, end),
        Case.rated_at.between(start, end),
        Case.state.in_(list(OPEN_STATES)),
    )
    rows = list(session.scalars(sa.select(Case).where(relevant).order_by(Case.id)))
    all_facts = [facts(c) for c in rows]
    stats = figures.unit_stats(all_facts, start=start, end=end, as_of=as_of, units=[u.code for u in city.units])
    d = Digest(week, start, end, as_of, stats, figures.rank(stats.values()))
    open_rows = [c for c in rows if c.state in OPEN_STATES]
    d.overdue = [c.number for c in open_rows if c.overdue]
    d.escalated = [c.number for c in open_rows if c.state == "escalated"]
    week_end = end + timedelta(days=7)
    assignments = session.execute(
        sa.select(Assignment.supervisor_id, Assignment.case_id).where(Assignment.active.is_(True))
    ).all()
    by_id = {c.id: c for c in open_rows}
    mine: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"open": [], "due_this_week": [], "overdue": []})
    for sup, case_id in assignments:
        case = by_id.get(case_id)
        if case is None:
            continue
        mine[sup]["open"].append(case.number)
        if case.answer_due is not None and end <= case.answer_due < week_end:
            mine[sup]["due_this_week"].append(case.number)
        if case.overdue:
            mine[sup]["overdue"].append(case.number)
    d.per_supervisor = dict(mine)
    # Hot spots: three or more reporters about one unit (or one window) in the period.
    reporters: dict[tuple[str, str | None], set[str]] = defaultdict(set)
    for c in rows:
        if c.respondent_unit and start <= c.created_at < end:
            reporters[(c.respondent_unit, None)].add(c.pseudonym)
            if c.window:
                reporters[(c.respondent_unit, c.window)].add(c.pseudonym)
    d.hot_spots = sorted(
        ({"unit": u, "window": w, "reporters": len(p)} for (u, w), p in reporters.items() if len(p) >= 3),
        key=lambda h: (-h["reporters"], h["unit"], h["window"] or ""),
    )
    for c in rows:
        if c.state == "closed" and c.closed_at and start <= c.closed_at < end:
            on_time = c.answered_at is not None and c.answer_due is not None and c.answered_at <= c.answer_due
            if on_time and c.rating_outcome == "1" and c.rating_conduct == "A":
                d.typical_good.append(c.number)
        if (c.escalated_at and start <= c.escalated_at < end) or (c.rating_conduct == "C" and c.rated_at
                                                                 and start <= c.rated_at < end):  # fmt: skip
            d.typical_bad.append(c.number)
    return d


def render(d: Digest, rt: Runtime, *, for_supervisor: str | None = None) -> str:
    city = rt.settings.city
    span = f"{d.start.astimezone(BEIJING):%m月%d日}—{(d.end - timedelta(seconds=1)).astimezone(BEIJING):%m月%d日}"
    lines = [f"【{city.city.name}治庸问责周报 {d.week}】{span}"]
    if for_supervisor is not None:
        sup = next((s for s in city.supervisors if s.id == for_supervisor), None)
        if sup is None:
            raise KeyError(for_supervisor)
        if sup.role == "unit_head":
            s = d.units.get(sup.member_of) or figures.UnitStats(sup.member_of)
            lines += [
                f"{city.unit_name(sup.member_of)}本周：收到反映 {s.received} 件，按时签收率 {figures.pct(s.response_rate)}，"
                f"按时答复率 {figures.pct(s.completion_rate)}，满意率 {figures.pct(s.satisfaction_rate)}，超期 {s.overdue} 件。"
            ]
            return "\n".join(lines)
        mine = d.per_supervisor.get(for_supervisor, {"open": [], "due_this_week": [], "overdue": []})
        lines += [
            f"{sup.name}：在办 {len(mine['open'])} 件，本周到期 {len(mine['due_this_week'])} 件，超期 {len(mine['overdue'])} 件。",
            *(f"  本周到期：{n}" for n in mine["due_this_week"]),
            *(f"  超期：{n}" for n in mine["overdue"]),
        ]
        return "\n".join(lines)
    lines.append("单位排名（响应率 / 办结率 / 满意率 / 收到 / 超期）：")
    for i, s in enumerate(d.ranking, start=1):
        lines.append(
            f"{i:>2}. {city.unit_name(s.unit)}  {figures.pct(s.response_rate)} / {figures.pct(s.completion_rate)} / "
            f"{figures.pct(s.satisfaction_rate)} / {s.received} / {s.overdue}"
        )
    lines.append(f"超期工单 {len(d.overdue)} 件：{'、'.join(d.overdue) or '无'}")
    lines.append(f"督办工单 {len(d.escalated)} 件：{'、'.join(d.escalated) or '无'}")
    if d.hot_spots:
        spots = [f"{city.unit_name(h['unit'])}{h['window'] + '号窗口' if h['window'] else ''}（{h['reporters']}人）"
                 for h in d.hot_spots]  # fmt: skip
        lines.append("热点：" + "、".join(spots))
    lines.append(f"典型案例候选（正面）：{'、'.join(d.typical_good) or '无'}")
    lines.append(f"典型案例候选（反面）：{'、'.join(d.typical_bad) or '无'}")
    lines.append(f"状态说明：{'、'.join(STATES.values())}")
    return "\n".join(lines)


def enqueue(session: orm.Session, rt: Runtime, d: Digest, now: datetime) -> int:
    """One template notice per supervisor and unit head: counts and a link, never case text."""
    link = f"{rt.settings.env.public_base_url}/console/digest/{d.week}"
    sent = 0
    for sup in rt.settings.city.supervisors:
        mine = d.per_supervisor.get(sup.id, {"open": [], "due_this_week": [], "overdue": []})
        if sup.role == "unit_head":
            s = d.units.get(sup.member_of) or figures.UnitStats(sup.member_of)
            count_new, count_overdue = s.received, s.overdue
        elif "zyb" in sup.units:
            count_new, count_overdue = len(d.escalated), len(d.overdue)
        else:
            count_new, count_overdue = len(mine["due_this_week"]), len(mine["overdue"])
        sent += outbox.enqueue(
            session=session,
            key=f"digest:{d.week}:{sup.id}",
            recipient_kind="supervisor",
            recipient=sup.id,
            purpose="weekly_digest",
            payload=notices.supervisor_payload(
                f"治庸问责周报 {d.week} 已生成：需关注 {count_new} 件，超期 {count_overdue} 件。详情：{link}",
                count_new,
                count_overdue,
                link,
            ),  # fmt: skip
            now=now,
        )
    return sent


def send_weekly(rt: Runtime, now: datetime) -> str:
    slot = latest_slot(now, rt)
    end = week_start(week_of(slot))  # the Monday of the slot's week: the digest covers the weeks before it
    week = week_of(end - timedelta(days=1))
    with rt.db.transaction() as session:
        previous = ledger.last_run(session=session, job="digest")
        if not ledger.claim_run(session=session, job="digest", period=week, now=now):
            return f"digest {week} already sent"
        start = end - timedelta(days=7)
        if previous is not None and previous.period < week:
            # Catch up: one digest covering every week since the last one that went out.
            start = max(week_start(previous.period) + timedelta(days=7), end - timedelta(weeks=MAX_CATCH_UP_WEEKS))
        d = build(rt, session, start=start, end=end, as_of=now, week=week)
        n = enqueue(session, rt, d, now)
        weeks = round((end - start) / timedelta(days=7))
        summary = f"digest {week} covering {weeks} week(s): {n} notices queued"
        ledger.finish_run(session=session, job="digest", period=week, now=now, result=summary)
    return summary
