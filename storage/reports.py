"""The weekly digest's figures as SQL aggregates, each one query returning one row per unit, supervisor or listed
case, whatever the size of the history (a province's 1,000,000 cases included).

The definitions are `handlers.digest`'s; tests/digest_oracle.py applies them to every case loaded as an object,
and tests/storage/test_reports.py checks the two agree field by field. The caller passes the open and awaiting
states (`handlers.lifecycle.OPEN_STATES`, `AWAITING_ANSWER`) and gets plain rows back: storage decides nothing.

Definitions:
- the relevant cases: created in [start, end], or rated in [start, end], or open (same filter as `build`);
- per unit: received, 响应率 / 办结率 counts, 满意率 counts, 超期 at `as_of`, exactly as `unit_stats`;
- overdue / escalated: cases 超期 at `as_of` (`storage.overdue`) / open cases in state escalated, by case id;
- per supervisor: their active assignments on open cases: all, answer due in [end, end + 7 days), 超期 at `as_of`;
- hot spots: three or more distinct reporters about one unit (or one window of it) among cases created in
  [start, end);
- typical good: closed in [start, end), answered by the deadline, rated 1 (solved) and A (satisfied);
- typical bad: escalated in [start, end), or rated C (unsatisfied with conduct) in [start, end).
Never commits; read-only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Assignment
from storage.models import Case
from storage.models.cases import LOOP_KINDS
from storage.overdue import overdue_clause


@dataclass
class UnitCounts:
    """One unit's counters over the relevant cases (the numerators and denominators of its rates)."""

    unit: str
    received: int = 0
    sign_counted: int = 0
    signed_on_time: int = 0
    answer_counted: int = 0
    answered_on_time: int = 0
    rated: int = 0
    satisfied: int = 0
    overdue: int = 0


@dataclass
class DigestRows:
    """What the digest reads from the database; `bot.service.digest` turns it into a `handlers.digest.Digest`."""

    units: dict[str, UnitCounts]
    per_supervisor: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    overdue: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    hot_spots: list[dict[str, Any]] = field(default_factory=list)
    typical_good: list[str] = field(default_factory=list)
    typical_bad: list[str] = field(default_factory=list)


def _in(column: Any, start: datetime, end: datetime) -> Any:
    return sa.and_(column >= start, column < end)


def _count(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def relevant(start: datetime, end: datetime, open_states: Iterable[str]) -> Any:
    """The digest's row filter: created or rated in [start, end] (BETWEEN, inclusive), or open."""
    return sa.and_(
        Case.kind.in_(LOOP_KINDS),
        sa.or_(
            Case.created_at.between(start, end),
            Case.rated_at.between(start, end),
            Case.state.in_(sorted(open_states)),
        ),
    )


def unit_counts(
    session: orm.Session,
    *,
    start: datetime,
    end: datetime,
    as_of: datetime,
    open_states: Iterable[str],
    awaiting_states: Iterable[str],
    units: Iterable[str] = (),
) -> dict[str, UnitCounts]:
    """`handlers.digest.unit_stats` over the relevant cases, as one GROUP BY."""
    open_states = sorted(open_states)
    created = _in(Case.created_at, start, end)
    sign_counted = sa.and_(
        created, Case.sign_due.is_not(None), sa.or_(Case.signed_at.is_not(None), Case.sign_due <= as_of)
    )
    answer_counted = sa.and_(
        created, Case.answer_due.is_not(None), sa.or_(Case.answered_at.is_not(None), Case.answer_due <= as_of)
    )
    rated = sa.and_(_in(Case.rated_at, start, end), Case.rating_outcome.is_not(None))
    stmt = (
        sa.select(
            Case.respondent_unit,
            _count(created),
            _count(sign_counted),
            _count(sa.and_(sign_counted, Case.signed_at.is_not(None), Case.signed_at <= Case.sign_due)),
            _count(answer_counted),
            _count(sa.and_(answer_counted, Case.answered_at.is_not(None), Case.answered_at <= Case.answer_due)),
            _count(rated),
            _count(sa.and_(rated, Case.rating_outcome != "3", sa.func.coalesce(Case.rating_conduct, "") != "C")),
            _count(overdue_clause(now=as_of, awaiting_states=awaiting_states)),
        )
        .where(relevant(start, end, open_states), Case.respondent_unit.is_not(None))
        .group_by(Case.respondent_unit)
    )
    stats = {u: UnitCounts(u) for u in units}
    for unit, *counts in session.execute(stmt):
        s = stats.setdefault(unit, UnitCounts(unit))
        (s.received, s.sign_counted, s.signed_on_time, s.answer_counted, s.answered_on_time, s.rated, s.satisfied,
         s.overdue) = (int(c or 0) for c in counts)  # fmt: skip
    return stats


def digest_rows(
    session: orm.Session,
    *,
    start: datetime,
    end: datetime,
    as_of: datetime,
    open_states: Iterable[str],
    awaiting_states: Iterable[str],
    units: Iterable[str] = (),
) -> DigestRows:
    """Everything the weekly digest lists and counts, from aggregate queries."""
    open_states = sorted(open_states)
    late = overdue_clause(now=as_of, awaiting_states=awaiting_states)
    d = DigestRows(unit_counts(session, start=start, end=end, as_of=as_of, open_states=open_states,
                               awaiting_states=awaiting_states, units=units))  # fmt: skip

    open_rows = session.execute(
        sa.select(Case.number, Case.state, late).where(Case.state.in_(open_states)).order_by(Case.id)
    ).all()
    d.overdue = [number for number, _state, overdue in open_rows if overdue]
    d.escalated = [number for number, state, _overdue in open_rows if state == "escalated"]

    week_end = end + timedelta(days=7)
    mine: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"open": [], "due_this_week": [], "overdue": []})
    assigned = session.execute(
        sa.select(Assignment.supervisor_id, Case.number, Case.answer_due, late)
        .join(Case, Case.id == Assignment.case_id)
        .where(Assignment.active.is_(True), Case.state.in_(open_states))
        .order_by(Assignment.id)
    )
    for sup, number, answer_due, overdue in assigned:
        mine[sup]["open"].append(number)
        if answer_due is not None and end <= answer_due < week_end:
            mine[sup]["due_this_week"].append(number)
        if overdue:
            mine[sup]["overdue"].append(number)
    d.per_supervisor = dict(mine)

    created = sa.and_(_in(Case.created_at, start, end), Case.respondent_unit.is_not(None), Case.kind.in_(LOOP_KINDS))
    reporters = sa.func.count(sa.distinct(Case.pseudonym))
    spots: list[dict[str, Any]] = [
        {"unit": unit, "window": None, "reporters": int(n)}
        for unit, n in session.execute(
            sa.select(Case.respondent_unit, reporters)
            .where(created)
            .group_by(Case.respondent_unit)
            .having(reporters >= 3)  # fmt: skip
        )
    ]
    spots += [
        {"unit": unit, "window": window, "reporters": int(n)}
        for unit, window, n in session.execute(
            sa.select(Case.respondent_unit, Case.window, reporters)
            .where(created, Case.window.is_not(None), Case.window != "")
            .group_by(Case.respondent_unit, Case.window)
            .having(reporters >= 3)
        )
    ]
    d.hot_spots = sorted(spots, key=lambda h: (-h["reporters"], h["unit"], h["window"] or ""))

    rel = relevant(start, end, open_states)
    d.typical_good = list(
        session.scalars(
            sa.select(Case.number)
            .where(
                rel,
                Case.state == "closed",
                _in(Case.closed_at, start, end),
                Case.answered_at.is_not(None),
                Case.answer_due.is_not(None),
                Case.answered_at <= Case.answer_due,
                Case.rating_outcome == "1",
                Case.rating_conduct == "A",
            )
            .order_by(Case.id)
        )
    )
    d.typical_bad = list(
        session.scalars(
            sa.select(Case.number)
            .where(
                rel,
                sa.or_(
                    _in(Case.escalated_at, start, end),
                    sa.and_(Case.rating_conduct == "C", _in(Case.rated_at, start, end)),
                ),
            )
            .order_by(Case.id)
        )
    )
    return d
