"""The units' monthly standing in the console (`/console/ranking?month=YYYY-MM`): the office reads a month — as
approved, or as today's figures make it — and approves it once the month is over; then `/public/` shows it. The
组织部 reads it too. Computation and approval are `bot.service.ranking`'s.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.runtime import runtime
from bot.service import ranking as service
from handlers import ranking as rules


@bp.get("/ranking")
@login_required("office", "organisation")
def ranking_page() -> str:
    rt = runtime()
    v = viewer()
    now = rt.now()
    month = request.args.get("month") or rules.ended_months(now, rt.tz, 1)[0]
    try:
        _, end = rules.month_bounds(month, rt.tz)
    except ValueError:
        abort(404)
    with rt.db.transaction() as s:
        doc = service.standing(s, rt, month, now)
        log_access(s, "view_ranking", target=month)
    approved_at = datetime.fromisoformat(doc["approved"]["at"]) if doc.get("approved") else None
    return render_template("console/ranking.html", doc=doc, month=month, components=rules.COMPONENTS,
                           previous=rules.previous_month(month), ended=end <= now, approved_at=approved_at, v=v,
                           p=Presenter(rt))  # fmt: skip


@bp.post("/ranking/<month>/approve")
@login_required("office")
def ranking_approve(month: str) -> Response:
    rt = runtime()
    v = viewer()
    try:
        with rt.db.transaction() as s:
            doc = service.approve(s, rt, month, v.username, rt.now())
    except rules.RankingError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已审定 {month} 月度排名（{len(doc['rows'])} 个单位参与排名），公开页面已显示。", "ok")
    return redirect(url_for("console.ranking_page", month=month), code=303)  # type: ignore[return-value]
