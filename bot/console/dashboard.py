"""The dashboard (per unit and per category: received, 响应率, 办结率, 满意率, overdue; 12-week trends; hot spots)
and the weekly digest pages. Figures come from `handlers.digest` so the console, the ledger and the digest agree.

Unit heads see only their own unit's figures and never a case number; supervisors see their units; the office
sees everything but the units it must stay away from (回避).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo

from flask import Response
from flask import abort
from flask import render_template
from flask import request
from sqlalchemy import orm

from bot.console import charts
from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.console.scope import conflicted_units
from bot.console.security import in_range
from bot.runtime import Runtime
from bot.runtime import runtime
from bot.service import digest as digest_mod
from handlers import digest as figures
from handlers.lifecycle import OPEN_STATES
from handlers.schedule import estimate_notice
from storage import case_lists
from storage import case_scope

TREND_WEEKS = 12
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PERIODS = {"1": 1, "4": 4, "12": 12}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def visible_units(rt: Runtime, v: Viewer) -> list[str]:
    """The units whose figures this viewer may see, in configuration order."""
    codes = [u.code for u in rt.settings.city.units]
    blocked = conflicted_units(v, rt.settings.city)
    if v.role == "office":
        return [c for c in codes if c not in blocked]
    if v.role == "supervisor":
        return [c for c in codes if c in v.units and c not in blocked]
    if v.role == "unit_head":
        return [c for c in codes if c in v.units]
    return []


def load_facts(session: orm.Session, units: list[str], since: datetime) -> list[figures.CaseFacts]:
    rows = case_lists.fact_rows_since(session=session, units=units, since=since, open_states=OPEN_STATES)
    return [digest_mod.case_facts(r) for r in rows]


def combine(stats: Iterable[figures.UnitStats], name: str = "all") -> figures.UnitStats:
    total = figures.UnitStats(name)
    for s in stats:
        for f in dataclasses.fields(figures.UnitStats):
            if f.name != "unit":
                setattr(total, f.name, getattr(total, f.name) + getattr(s, f.name))
    return total


def week_monday(at: datetime, tz: tzinfo) -> datetime:
    local = at.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=tz)


def trend(facts: list[figures.CaseFacts], units: list[str], now: datetime) -> list[tuple[str, figures.UnitStats]]:
    """One combined UnitStats per ISO week, oldest first, the current (partial) week last."""
    this_monday = week_monday(now, runtime().tz)
    out = []
    for k in range(TREND_WEEKS - 1, -1, -1):
        start = this_monday - timedelta(weeks=k)
        end = min(start + timedelta(weeks=1), now)
        stats = figures.unit_stats(facts, start=start, end=end, as_of=now, units=units)
        out.append((figures.week_of(start, runtime().tz), combine(stats.values())))
    return out


def trend_charts(weeks: list[tuple[str, figures.UnitStats]]) -> dict[str, object]:
    labels = [w.split("-W")[1] + "周" for w, _ in weeks]
    rates = charts.line_chart(
        "近12周按时签收率、按时答复率、满意率",
        labels,
        [
            charts.Series("按时签收率", [s.response_rate for _, s in weeks], charts.PALETTE[0]),
            charts.Series("按时答复率", [s.completion_rate for _, s in weeks], charts.PALETTE[1]),
            charts.Series("满意率", [s.satisfaction_rate for _, s in weeks], charts.PALETTE[2]),
        ],
    )
    counts = charts.bar_chart(
        "近12周收到反映与按时答复件数",
        labels,
        [
            charts.Series("收到", [s.received for _, s in weeks], charts.PALETTE[0]),
            charts.Series("按时答复", [s.answered_on_time for _, s in weeks], charts.PALETTE[2]),
        ],
    )
    return {"rates": rates, "counts": counts}


@bp.get("/dashboard")
@login_required("supervisor", "office", "unit_head")
def dashboard() -> str:
    rt = runtime()
    v = viewer()
    now = rt.now()
    period = request.args.get("weeks", "4")
    weeks = PERIODS.get(period, 4)
    start = week_monday(now, rt.tz) - timedelta(weeks=weeks - 1)
    trend_start = week_monday(now, rt.tz) - timedelta(weeks=TREND_WEEKS - 1)
    units = visible_units(rt, v)
    with rt.db.transaction() as s:
        facts = load_facts(s, units, min(start, trend_start))
        d = (
            digest_mod.build(rt, s, start=start, end=now, as_of=now, week=figures.week_of(now, rt.tz))
            if units
            else None
        )
    per_unit = figures.unit_stats(facts, start=start, end=now, as_of=now, units=units)
    by_category = figures.unit_stats(
        [dataclasses.replace(f, unit=f.category) for f in facts],
        start=start,
        end=now,
        as_of=now,
        units=[c.code for c in rt.settings.city.categories],
    )
    hot_spots = [h for h in (d.hot_spots if d else []) if h["unit"] in units]
    weekly = trend(facts, units, now)
    return render_template(
        "console/dashboard.html",
        v=v,
        p=Presenter(rt),
        period=str(weeks),
        start=start,
        now=now,
        ranking=figures.rank(per_unit.values()),
        total=combine(per_unit.values()),
        by_category=[by_category[c.code] for c in rt.settings.city.categories],
        hot_spots=hot_spots,
        charts=trend_charts(weekly),
        pct=figures.pct,
        # The office plans ahead: say so while the next 90 days' deadlines rest on an estimated calendar.
        calendar_notice=estimate_notice(rt.calendar, now.astimezone(rt.tz).date()) if v.role == "office" else None,
    )


def _week_bounds(week: str, now: datetime) -> tuple[datetime, datetime]:
    m = _WEEK.match(week)
    if not m:
        abort(404)
    try:
        start = figures.week_start(week, runtime().tz)
    except ValueError:
        abort(404)
    if start > now or not in_range(start):
        abort(404)
    return start, start + timedelta(weeks=1)


@bp.get("/digest/<week>.docx")
@login_required("office")
def digest_docx(week: str) -> Response:
    """The office's Monday paper as a Word document (as sent, for a week that was sent)."""
    from bot.console.digest_docx import paper

    rt = runtime()
    now = rt.now()
    _week_bounds(week, now)
    with rt.db.transaction() as s:
        d, sent_at = digest_mod.issue(rt, s, week, now)
        log_access(s, "export", target="digest", detail=f"{week} Word 版")
    resp = Response(paper(d, rt.settings.city, sent_at=sent_at, made_at=now), mimetype=DOCX)
    resp.headers["Content-Disposition"] = f'attachment; filename="digest-{week}.docx"'
    return resp


@bp.get("/digest")
@login_required("supervisor", "office", "unit_head")
def digest_index() -> str:
    rt = runtime()
    monday = week_monday(rt.now(), rt.tz)
    weeks = [figures.week_of(monday - timedelta(weeks=k), rt.tz) for k in range(1, TREND_WEEKS + 1)]
    return render_template("console/digest_index.html", weeks=weeks, v=viewer())


@bp.get("/digest/<week>")
@login_required("supervisor", "office", "unit_head")
def digest_page(week: str) -> str:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    now = rt.now()
    _week_bounds(week, now)
    units = visible_units(rt, v)
    with rt.db.transaction() as s:
        d, sent_at = digest_mod.issue(rt, s, week, now)
        listed: dict[str, str] = {}
        if v.sees_cases:
            numbers = set(d.overdue) | set(d.escalated) | set(d.typical_good) | set(d.typical_bad)
            numbers |= {r.number for r in d.reveals} | {h.number for h in d.held}
            listed = case_scope.public_ids(session=s, where=case_filter(v, city), numbers=sorted(numbers))
    text = None
    blocked = conflicted_units(v, city)
    held = [h for h in d.held if h.unit in units and h.number in listed] if v.is_office else []
    if v.role == "office":
        # The office's whole paper, less anything about a unit this account must stay away from (回避); the
        # narrative names units, so an account with any unit to stay away from does not get it.
        text = figures.render(dataclasses.replace(
            d, ranking=[u for u in d.ranking if u.unit in units], overdue=[n for n in d.overdue if n in listed],
            escalated=[n for n in d.escalated if n in listed], hot_spots=[h for h in d.hot_spots if h["unit"] in units],
            typical_good=[n for n in d.typical_good if n in listed], typical_bad=[n for n in d.typical_bad if n in listed],
            reveals=[r for r in d.reveals if r.number in listed], held=held,
            narrative=[] if blocked else d.narrative), city)  # fmt: skip
    elif v.supervisor_id and any(sup.id == v.supervisor_id for sup in city.supervisors):
        text = figures.render(d, city, for_supervisor=v.supervisor_id)

    def only_listed(numbers: list[str]) -> list[tuple[str, str]]:
        return [(n, listed[n]) for n in numbers if n in listed]

    return render_template(
        "console/digest.html",
        v=v,
        p=Presenter(rt),
        d=d,
        week=week,
        end_shown=d.end - timedelta(seconds=1),
        ranking=[s for s in d.ranked if s.unit in units],
        few=[s for s in d.unranked if s.unit in units and s.received > 0],
        narrative=d.narrative if v.is_office and not blocked else [],
        held=held,
        sent_at=sent_at,
        overdue=only_listed(d.overdue),
        escalated=only_listed(d.escalated),
        typical_good=only_listed(d.typical_good),
        typical_bad=only_listed(d.typical_bad),
        hot_spots=[h for h in d.hot_spots if h["unit"] in units],
        text=text,
        pct=figures.pct,
        describe_held=figures.describe_held,
    )
