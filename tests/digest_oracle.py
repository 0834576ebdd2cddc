"""The digest's specification as code: `handlers.digest`'s definitions applied to every relevant case loaded as
an object. `bot.service.digest.build` (SQL aggregates) is checked against it in tests/storage/test_reports.py,
and bench/digest.py times both. It loads every relevant case and active assignment, so it does not scale: it is
an oracle, not a way to build a digest.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service.digest import case_facts
from handlers import digest as figures
from handlers.lifecycle import OPEN_STATES
from handlers.overdue import is_overdue
from storage.models import Assignment
from storage.models import Case


def build_from_objects(
    rt: Runtime, session: orm.Session, *, start: datetime, end: datetime, as_of: datetime, week: str
) -> figures.Digest:
    city = rt.settings.city
    relevant = sa.and_(
        Case.kind.in_(["complaint", "review"]),  # praise and suggestions never count in a unit's figures
        sa.or_(
            Case.created_at.between(start, end), Case.rated_at.between(start, end), Case.state.in_(list(OPEN_STATES))
        ),
    )
    rows = list(session.scalars(sa.select(Case).where(relevant).order_by(Case.id)))
    all_facts = [case_facts(c) for c in rows]
    stats = figures.unit_stats(all_facts, start=start, end=end, as_of=as_of, units=[u.code for u in city.units])
    d = figures.Digest(week, start, end, as_of, stats, figures.rank(stats.values()))
    open_rows = [c for c in rows if c.state in OPEN_STATES]
    d.overdue = [c.number for c in open_rows if is_overdue(c.state, c.answer_due, as_of)]
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
        if is_overdue(case.state, case.answer_due, as_of):
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
        if (c.escalated_at and start <= c.escalated_at < end) or (
            c.rating_conduct == "C" and c.rated_at and start <= c.rated_at < end
        ):
            d.typical_bad.append(c.number)
    return d
