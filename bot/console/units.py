"""A unit's record (`/console/units/<code>`): over the last twelve weeks its cases, what was found, who was held to
account, how citizens rated it, how often it was escalated, and the weekly trends — one printable page.

Who sees what is `handlers.visibility.unit_record_access`: the office and supervisors (for the units they oversee
and are not conflicted with) see the figures and the cases within their case scope; the organisation department
(组织部) sees every unit's figures and 问责 by post, with the unit's officials; a unit head sees their own unit's
figures only, never a case number. Anything else is the same 404 as a unit that does not exist. Views are logged.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from flask import abort
from flask import render_template

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.dashboard import TREND_WEEKS
from bot.console.dashboard import combine
from bot.console.dashboard import load_facts
from bot.console.dashboard import trend
from bot.console.dashboard import trend_charts
from bot.console.dashboard import week_monday
from bot.console.present import RATING_CONDUCT
from bot.console.present import RATING_OUTCOME
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.console.scope import member
from bot.runtime import runtime
from handlers import accountability as acc
from handlers import digest as figures
from handlers.visibility import unit_record_access
from storage import unit_record as repo

ROLES = ("office", "supervisor", "unit_head", "organisation")


@bp.get("/units")
@login_required(*ROLES)
def unit_index() -> str:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    units = [u for u in city.units if unit_record_access(member(v), u.code, city)]
    return render_template("console/units.html", units=units, v=v)


@bp.get("/units/<code>")
@login_required(*ROLES)
def unit_record(code: str) -> str:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    access = unit_record_access(member(v), code, city)
    if access is None:
        abort(404)
    now = rt.now()
    since = week_monday(now, rt.tz) - timedelta(weeks=TREND_WEEKS - 1)
    with rt.db.transaction() as s:
        facts = load_facts(s, [code], since)
        escalations = repo.escalations_since(session=s, unit=code, since=since)
        findings = repo.findings_since(session=s, unit=code, since=since)
        records = repo.records_since(session=s, unit=code, since=since)
        outcome, conduct = repo.rating_counts(session=s, unit=code, since=since)
        cases = repo.recent_cases(session=s, where=case_filter(v, city), unit=code) if access == "cases" else []
        verdicts = repo.finding_verdicts(session=s, case_ids=[c.id for c in cases])
        log_access(s, "view_unit", target=code)
    weekly = trend(facts, [code], now)
    per_week: dict[str, Counter[str]] = {w: Counter() for w, _ in weekly}
    for at in escalations:
        per_week.setdefault(figures.week_of(at, rt.tz), Counter())["escalations"] += 1
    for at, verdict in findings:
        c = per_week.setdefault(figures.week_of(at, rt.tz), Counter())
        c["findings"] += 1
        c["substantiated"] += verdict in acc.SUBSTANTIATED
    for r in records:
        if r.measure != "none":
            per_week.setdefault(figures.week_of(r.recorded_at, rt.tz), Counter())["held"] += 1
    total = combine([s for _, s in weekly])
    found = Counter(v for _, v in findings)
    substantiated = sum(n for v, n in found.items() if v in acc.SUBSTANTIATED)
    return render_template(
        "console/unit.html",
        v=v,
        p=Presenter(rt),
        unit=city.unit(code),
        access=access,
        since=since,
        total=total,
        weekly=weekly,
        per_week=per_week,
        charts=trend_charts(weekly),
        escalation_count=len(escalations),
        found=found,
        substantiation=figures.pct(None if not findings else substantiated / len(findings)),
        held=[r for r in records if r.measure != "none"],
        records=records,
        outcome=outcome,
        conduct=conduct,
        rating_outcome=RATING_OUTCOME,
        rating_conduct=RATING_CONDUCT,
        cases=cases,
        verdicts=verdicts,
        verdict_labels=acc.VERDICTS,
        measure_labels=acc.MEASURES,
        status_labels=acc.STATUS_LABELS,
        officials=city.officials_of(code) if v.is_organisation else (),
        pct=figures.pct,
    )
