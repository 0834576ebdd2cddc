"""The queue (工单列表): the viewer's cases filtered by state, unit, category, overdue, due this week or keyword,
sorted by the deadline that matters now, with counts per state and paging."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import Any

import sqlalchemy as sa
from flask import render_template
from flask import request
from flask import url_for

from bot.console.auth import login_required
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.runtime import runtime
from handlers.lifecycle import AWAITING_ANSWER
from handlers.lifecycle import OPEN_STATES
from handlers.lifecycle import STATES
from storage.models import Case

PAGE_SIZE = 25
# Digits that look like a phone or ID number: searching the text for them would confirm who reported.
_IDENTIFYING_DIGITS = re.compile(r"\d{5,}")


@dataclass(frozen=True)
class QueueFilter:
    state: str = "open"
    unit: str = ""
    category: str = ""
    overdue: bool = False
    due_week: bool = False
    q: str = ""
    sort: str = "due"
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> QueueFilter:
        state = args.get("state", "open")
        if state not in STATES and state not in ("open", "all"):
            state = "open"
        try:
            page = max(1, min(int(args.get("page", 1)), 10_000))
        except ValueError:
            page = 1
        return cls(
            state=state,
            unit=args.get("unit", "")[:16],
            category=args.get("category", "")[:16],
            overdue=args.get("overdue") == "1",
            due_week=args.get("due") == "week",
            q=" ".join(args.get("q", "").split())[:50],
            sort="new" if args.get("sort") == "new" else "due",
            page=page,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        data = {"state": self.state, "unit": self.unit, "category": self.category, "overdue": "1" if self.overdue
                else "", "due": "week" if self.due_week else "", "q": self.q, "sort": self.sort, "page": self.page}  # fmt: skip
        data.update(changes)
        return {k: v for k, v in data.items() if v not in ("", None, 1) or k == "state"}


def deadline_expr() -> sa.ColumnElement[Any]:
    """The deadline that matters now: sign-for while only assigned, else the answer deadline."""
    return sa.case((Case.state == "assigned", Case.sign_due), else_=Case.answer_due)


def week_end(now: datetime, tz: tzinfo) -> datetime:
    local_day = now.astimezone(tz).date()
    sunday = local_day + timedelta(days=6 - local_day.weekday())
    return datetime(sunday.year, sunday.month, sunday.day, tzinfo=tz) + timedelta(days=1)


def filter_clauses(f: QueueFilter, now: datetime) -> list[sa.ColumnElement[bool]]:
    """Every filter except the state one (the per-state counts are taken over these)."""
    clauses: list[sa.ColumnElement[bool]] = []
    if f.unit:
        clauses.append(Case.respondent_unit == f.unit)
    if f.category:
        clauses.append(Case.category == f.category)
    if f.overdue:
        late_sign = sa.and_(Case.state == "assigned", Case.sign_due < now)
        late_answer = sa.and_(Case.state.in_(sorted(AWAITING_ANSWER)), Case.answer_due < now)
        clauses.append(sa.or_(sa.and_(Case.overdue.is_(True), Case.state.in_(sorted(OPEN_STATES))), late_sign,
                              late_answer))  # fmt: skip
    if f.due_week:
        clauses.append(Case.state.in_(sorted(AWAITING_ANSWER)))
        clauses.append(Case.answer_due >= now)
        clauses.append(Case.answer_due < week_end(now, runtime().tz))
    if f.q:
        term = f.q.upper()
        if _IDENTIFYING_DIGITS.search(f.q) and not re.fullmatch(r"ZY\d{10}", term):
            clauses.append(Case.number == term)
        else:
            like = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            clauses.append(sa.or_(Case.number.ilike(like, escape="\\"), Case.text.ilike(like, escape="\\"),
                                  Case.window.ilike(like, escape="\\")))  # fmt: skip
    return clauses


def state_clause(state: str) -> sa.ColumnElement[bool]:
    if state == "open":
        return Case.state.in_(sorted(OPEN_STATES))
    if state == "all":
        return sa.true()
    return Case.state == state


@bp.get("/cases")
@login_required("supervisor", "office")
def queue() -> str:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    now = rt.now()
    f = QueueFilter.from_args(request.args)
    base = [case_filter(v, city), *filter_clauses(f, now)]
    with rt.db.transaction() as s:
        counts = dict(s.execute(sa.select(Case.state, sa.func.count()).where(*base).group_by(Case.state)).all())
        where = [*base, state_clause(f.state)]
        total = s.scalar(sa.select(sa.func.count()).select_from(Case).where(*where)) or 0
        stmt = sa.select(Case).where(*where)
        if f.sort == "new":
            stmt = stmt.order_by(Case.created_at.desc(), Case.id.desc())
        else:
            due = deadline_expr()
            stmt = stmt.order_by(due.is_(None), due, Case.id)
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(f.page, pages)
        rows = list(s.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    units = [u for u in city.units if v.role == "office" or u.code in v.units]
    open_count = sum(n for st, n in counts.items() if st in OPEN_STATES)
    return render_template(
        "console/queue.html",
        f=f,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        counts=counts,
        open_count=open_count,
        all_count=sum(counts.values()),
        states=STATES,
        units=units,
        categories=city.categories,
        p=Presenter(rt),
        page_url=lambda n: url_for("console.queue", **f.args(page=n)),
        state_url=lambda st: url_for("console.queue", **f.args(state=st, page=1)),
    )
