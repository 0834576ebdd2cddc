"""Lists of cases the console shows: the queue page with its per-state counts, the triage desk, the cases
related to one case, and the rows the dashboard and the ledger compute figures from.

Every function takes the viewer's scope as a WHERE clause (`storage.case_scope.visible`) and the lifecycle's
state sets as parameters: the rules come from `handlers`, the queries live here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Case
from storage.models.cases import LOOP_KINDS
from storage.overdue import overdue_clause

# Digits that look like a phone or ID number: searching the text for them would confirm who reported.
_IDENTIFYING_DIGITS = re.compile(r"\d{5,}")
_CASE_NUMBER = re.compile(r"ZY\d{10}")
# A window this short cannot hold a phone or ID number, so it is shown (and searched) as written.
_SHOWN_AS_IS = 10


@dataclass(frozen=True)
class QueueQuery:
    """The queue's filters, as the viewer chose them."""

    state: str = "open"  # a state, "open" or "all"
    unit: str = ""
    category: str = ""
    overdue: bool = False
    due_week: bool = False
    q: str = ""
    sort: str = "due"  # "due" (the deadline that matters now) or "new"
    page: int = 1


@dataclass
class QueuePage:
    rows: list[Case]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)  # per state, over every filter but the state one


def deadline_expr() -> sa.ColumnElement[Any]:
    """The deadline that matters now: sign-for while only assigned, else the answer deadline."""
    return sa.case((Case.state == "assigned", Case.sign_due), else_=Case.answer_due)


def _filters(
    f: QueueQuery, *, now: datetime, week_end: datetime, open_states: Iterable[str], awaiting_answer: Iterable[str]
) -> list[sa.ColumnElement[bool]]:
    clauses: list[sa.ColumnElement[bool]] = []
    if f.unit:
        clauses.append(Case.respondent_unit == f.unit)
    if f.category:
        clauses.append(Case.category == f.category)
    awaiting = sorted(awaiting_answer)
    if f.overdue:
        clauses.append(overdue_clause(now=now, awaiting_states=awaiting))
    if f.due_week:
        clauses += [Case.state.in_(awaiting), Case.answer_due >= now, Case.answer_due < week_end]
    if f.q:
        term = f.q.upper()
        if _IDENTIFYING_DIGITS.search(f.q) and not _CASE_NUMBER.fullmatch(term):
            clauses.append(Case.number == term)
        else:
            like = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            # Only what the viewer may see: the masked text, and a window short enough never to be masked.
            clauses.append(sa.or_(Case.number.ilike(like, escape="\\"), Case.search_text.ilike(like, escape="\\"),
                                  sa.and_(sa.func.length(Case.window) <= _SHOWN_AS_IS,
                                          Case.window.ilike(like, escape="\\"))))  # fmt: skip
    return clauses


def _state_clause(state: str, open_states: Iterable[str]) -> sa.ColumnElement[bool]:
    if state == "open":
        return Case.state.in_(sorted(open_states))
    if state == "all":
        return sa.true()
    return Case.state == state


def queue_page(
    *,
    session: orm.Session,
    where: sa.ColumnElement[bool],
    query: QueueQuery,
    now: datetime,
    week_end: datetime,
    open_states: Iterable[str],
    awaiting_answer: Iterable[str],
    page_size: int,
) -> QueuePage:
    """One page of the viewer's queue, sorted by the deadline that matters now (or newest first)."""
    base = [where, *_filters(query, now=now, week_end=week_end, open_states=open_states,
                             awaiting_answer=awaiting_answer)]  # fmt: skip
    counts = dict(session.execute(sa.select(Case.state, sa.func.count()).where(*base).group_by(Case.state)).all())
    chosen = [*base, _state_clause(query.state, open_states)]
    total = session.scalar(sa.select(sa.func.count()).select_from(Case).where(*chosen)) or 0
    stmt = sa.select(Case).where(*chosen)
    if query.sort == "new":
        stmt = stmt.order_by(Case.created_at.desc(), Case.id.desc())
    else:
        due = deadline_expr()
        stmt = stmt.order_by(due.is_(None), due, Case.id)
    pages = max(1, -(-total // page_size))
    page = min(query.page, pages)
    rows = list(session.scalars(stmt.limit(page_size).offset((page - 1) * page_size)))
    return QueuePage(rows=rows, total=total, page=page, pages=pages, counts={k: int(v) for k, v in counts.items()})


def triage_queue(
    *, session: orm.Session, where: sa.ColumnElement[bool], states: Iterable[str], limit: int
) -> list[Case]:
    """The triage desk: cases in the triage states, oldest first."""
    stmt = sa.select(Case).where(where, Case.state.in_(sorted(states))).order_by(Case.created_at, Case.id)
    return list(session.scalars(stmt.limit(limit)))


def related_to(
    *, session: orm.Session, where: sa.ColumnElement[bool], case: Case, span: timedelta, same_reporter: bool
) -> list[tuple[str, Case]]:
    """Merged-into, merged-here, recent cases about the same unit (same window first) and, when asked, the
    reporter's other cases, each labelled, each within `where`."""
    found: list[tuple[str, Case]] = []
    seen = {case.id}

    def add(label: str, rows: Iterable[Case]) -> None:
        for row in rows:
            if row.id not in seen:
                seen.add(row.id)
                found.append((label, row))

    if case.duplicate_of:
        add("主件", session.scalars(sa.select(Case).where(where, Case.id == case.duplicate_of)))
    add("重复件", session.scalars(sa.select(Case).where(where, Case.duplicate_of == case.id).limit(20)))
    if case.respondent_unit:
        lo, hi = case.created_at - span, case.created_at + span
        near = list(
            session.scalars(
                sa.select(Case)
                .where(where, Case.respondent_unit == case.respondent_unit, Case.created_at.between(lo, hi))
                .order_by(Case.created_at.desc())
                .limit(12)
            )
        )
        if case.window:
            add("同窗口", [c for c in near if c.window == case.window])
        add("同单位", near[:8])
    if same_reporter and case.pseudonym:
        add("同一反映人", session.scalars(sa.select(Case).where(where, Case.pseudonym == case.pseudonym).limit(10)))
    return found


FACT_COLUMNS = (Case.number, Case.respondent_unit, Case.category, Case.state, Case.created_at, Case.sign_due,
                Case.signed_at, Case.answer_due, Case.answered_at, Case.escalated_at, Case.rated_at,
                Case.rating_outcome, Case.rating_conduct, Case.window)  # fmt: skip


def fact_rows_since(
    *, session: orm.Session, units: Sequence[str], since: datetime, open_states: Iterable[str]
) -> list[sa.Row[Any]]:
    """The dashboard's rows: cases about `units` created or rated since `since`, or still open."""
    if not units:
        return []
    stmt = sa.select(*FACT_COLUMNS).where(
        Case.respondent_unit.in_(list(units)),
        Case.kind.in_(LOOP_KINDS),
        sa.or_(Case.created_at >= since, Case.rated_at >= since, Case.state.in_(sorted(open_states))),
    )
    return list(session.execute(stmt))


def ledger_cases(*, session: orm.Session, where: sa.ColumnElement[bool], start: datetime, end: datetime) -> list[Case]:
    """The ledger's case sheet: cases received in [start, end) within `where`, oldest first."""
    stmt = sa.select(Case).where(where, Case.created_at >= start, Case.created_at < end).order_by(Case.created_at)
    return list(session.scalars(stmt))


def ledger_fact_rows(
    *, session: orm.Session, units: Sequence[str], start: datetime, end: datetime, as_of: datetime,
    awaiting_answer: Iterable[str],
) -> list[sa.Row[Any]]:  # fmt: skip
    """The ledger's summary rows: cases about `units` created or rated in [start, end], or 超期 at `as_of`."""
    stmt = sa.select(*FACT_COLUMNS).where(
        Case.respondent_unit.in_(list(units)),
        Case.kind.in_(LOOP_KINDS),
        sa.or_(Case.created_at.between(start, end), Case.rated_at.between(start, end),
               overdue_clause(now=as_of, awaiting_states=awaiting_answer)),
    )  # fmt: skip
    return list(session.execute(stmt))


def recent_open_texts(
    *, session: orm.Session, unit: str, since: datetime, exclude_id: int, open_states: Iterable[str]
) -> list[tuple[str, str]]:
    """(number, text) of the open cases about `unit` created since `since`, newest first: link candidates."""
    stmt = (
        sa.select(Case.number, Case.text)
        .where(Case.respondent_unit == unit, Case.id != exclude_id, Case.created_at >= since,
               Case.state.in_(sorted(open_states)), Case.kind.in_(LOOP_KINDS))
        .order_by(Case.created_at.desc(), Case.id.desc())
    )  # fmt: skip
    return [(n, t) for n, t in session.execute(stmt)]


def reporter_counts(
    *, session: orm.Session, scopes: Sequence[tuple[str, str | None]], since: datetime
) -> list[tuple[str, str | None, int]]:
    """Distinct reporters about each (unit, window or None) since `since`."""
    out = []
    for unit, window in scopes:
        stmt = sa.select(sa.func.count(sa.distinct(Case.pseudonym))).where(
            Case.respondent_unit == unit, Case.created_at >= since, Case.kind.in_(LOOP_KINDS)
        )
        if window is not None:
            stmt = stmt.where(Case.window == window)
        out.append((unit, window, int(session.scalar(stmt) or 0)))
    return out


def duplicates_of(*, session: orm.Session, case_id: int, states: Iterable[str]) -> list[Case]:
    """The 重复件 merged into case `case_id` that are in one of `states`, oldest first."""
    stmt = sa.select(Case).where(Case.duplicate_of == case_id, Case.state.in_(sorted(states))).order_by(Case.id)
    return list(session.scalars(stmt))


def with_deadlines(*, session: orm.Session, states: Iterable[str]) -> list[Case]:
    """Cases in `states` that have a sign-for or answer deadline, oldest first (a calendar change moves them)."""
    stmt = (
        sa.select(Case)
        .where(Case.state.in_(sorted(states)), sa.or_(Case.sign_due.is_not(None), Case.answer_due.is_not(None)))
        .order_by(Case.id)
    )
    return list(session.scalars(stmt))
