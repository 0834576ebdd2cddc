"""The queue (工单列表): the viewer's cases filtered by state, unit, category, overdue, due this week or keyword,
sorted by the deadline that matters now, with counts per state and paging."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import Any

from flask import render_template
from flask import request
from flask import url_for

from bot.console.auth import login_required
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.console.scope import may_touch
from bot.runtime import runtime
from handlers.lifecycle import AWAITING_ANSWER
from handlers.lifecycle import OPEN_STATES
from handlers.lifecycle import STATES
from storage import case_lists
from storage.case_lists import QueueQuery

PAGE_SIZE = 25


def query_from_args(args: Any) -> QueueQuery:
    state = args.get("state", "open")
    if state not in STATES and state not in ("open", "all"):
        state = "open"
    try:
        page = max(1, min(int(args.get("page", 1)), 10_000))
    except ValueError:
        page = 1
    return QueueQuery(
        state=state,
        unit=args.get("unit", "")[:16],
        category=args.get("category", "")[:16],
        overdue=args.get("overdue") == "1",
        due_week=args.get("due") == "week",
        q=" ".join(args.get("q", "").split())[:50],
        sort="new" if args.get("sort") == "new" else "due",
        page=page,
    )


def query_args(f: QueueQuery, **changes: Any) -> dict[str, Any]:
    data = {"state": f.state, "unit": f.unit, "category": f.category, "overdue": "1" if f.overdue else "",
            "due": "week" if f.due_week else "", "q": f.q, "sort": f.sort, "page": f.page}  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v not in ("", None, 1) or k == "state"}


def week_end(now: datetime, tz: tzinfo) -> datetime:
    """The end of the city's current week (Monday 00:00 next week): "due this week" means before it."""
    local_day = now.astimezone(tz).date()
    sunday = local_day + timedelta(days=6 - local_day.weekday())
    return datetime(sunday.year, sunday.month, sunday.day, tzinfo=tz) + timedelta(days=1)


@bp.get("/cases")
@login_required("supervisor", "office")
def queue() -> str:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    now = rt.now()
    f = query_from_args(request.args)
    with rt.db.transaction() as s:
        result = case_lists.queue_page(session=s, where=case_filter(v, city), query=f, now=now,
                                       week_end=week_end(now, rt.tz), open_states=OPEN_STATES,
                                       awaiting_answer=AWAITING_ANSWER, page_size=PAGE_SIZE)  # fmt: skip
    counts = result.counts
    units = [u for u in city.units if (v.role == "office" or u.code in v.units) and may_touch(v, u.code, city)]
    open_count = sum(n for st, n in counts.items() if st in OPEN_STATES)
    return render_template(
        "console/queue.html",
        f=f,
        rows=result.rows,
        total=result.total,
        page=result.page,
        pages=result.pages,
        counts=counts,
        open_count=open_count,
        all_count=sum(counts.values()),
        states=STATES,
        units=units,
        categories=city.categories,
        p=Presenter(rt),
        page_url=lambda n: url_for("console.queue", **query_args(f, page=n)),
        state_url=lambda st: url_for("console.queue", **query_args(f, state=st, page=1)),
    )
