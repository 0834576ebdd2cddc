"""查实 and 问责 in the console: the handler's form on the case page, the office's confirmation (or sending back), and
the office's list of what waits for it at `/console/accountability`.

Every route loads the case through the viewer's scope (a case outside it is a 404) and refuses a case about the
viewer's own unit (回避); the rules and the audit events are `bot.service.accountability`'s.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from sqlalchemy import orm

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.console.scope import case_or_404
from bot.console.scope import may_touch
from bot.console.scope import member
from bot.runtime import runtime
from bot.service import accountability as service
from handlers import accountability as acc
from handlers import ratings as rating_rules
from storage import accountability as repo
from storage import ratings as ratings_repo
from storage.models import Case

FORM_ROWS = 3  # 问责 rows on the form; more can be added by recording again


def case_context(session: orm.Session, v: Viewer, case: Case) -> dict[str, Any]:
    """What the case page shows and offers of the finding and the 问责."""
    found = repo.finding(session=session, case_id=case.id)
    records = repo.records(session=session, case_id=case.id)
    waiting = repo.pending_recorders(session=session, case_id=case.id)
    rating = ratings_repo.for_review_case(session=session, case_id=case.id) if case.kind == "review" else None
    appeal = ratings_repo.appeal_of(session=session, rating_id=rating.id) if rating is not None else None
    return {
        "words": acc.words(case.kind),
        "window_rating": rating,
        "rating_appeal": appeal,
        "rating_levels": rating_rules.LEVELS,
        "appeal_status": rating_rules.STATUS_LABELS,
        "may_appeal": rating is not None
        and appeal is None
        and v.role == "supervisor"
        and rating.level in rating_rules.POOR_LEVELS
        and rating_rules.may_appeal(member(v), rating.unit),
        "finding": found,
        "acc_records": records,
        "verdicts": acc.VERDICTS,
        "measures": acc.MEASURES,
        "acc_status": acc.STATUS_LABELS,
        "acc_rows": range(FORM_ROWS),
        "may_record": v.role in ("supervisor", "office") and acc.may_record(case.state),
        "may_review": v.is_office and bool(waiting) and v.actor not in waiting,
        "own_waiting": v.is_office and v.actor in waiting,
    }


def _back(public_id: str) -> Response:
    return redirect(url_for("console.case_page", public_id=public_id) + "#outcome", code=303)  # type: ignore[return-value]


def _run(public_id: str, action: str, step: Any) -> Response:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    try:
        with rt.db.transaction() as s:
            case = case_or_404(s, v, city, public_id)
            if not may_touch(v, case.respondent_unit, city):
                abort(404)
            message = step(s, rt, v, case)
            log_access(s, action, target=case.number)
    except acc.RecordError as exc:
        flash(str(exc), "error")
    else:
        flash(message, "ok")
    return _back(public_id)


@bp.post("/cases/<public_id>/finding")
@login_required("supervisor", "office")
def record_finding(public_id: str) -> Response:
    form = request.form

    def step(s, rt, v, case):  # type: ignore[no-untyped-def]
        finding = acc.check_finding(form.get("verdict", ""), form.get("measures"), case.kind)
        service.record_finding(s, rt, case, finding, actor=v.actor, now=rt.now())
        return f"已记录{acc.words(case.kind).finding}（{acc.VERDICTS[finding.verdict]}），待治庸办确认。"

    return _run(public_id, "record_finding", step)


@bp.post("/cases/<public_id>/accountability")
@login_required("supervisor", "office")
def record_accountability(public_id: str) -> Response:
    measures, posts = request.form.getlist("measure"), request.form.getlist("post")
    items = [(m, (posts[i] if i < len(posts) else "") or None) for i, m in enumerate(measures) if m]

    def step(s, rt, v, case):  # type: ignore[no-untyped-def]
        checked = acc.check_measures(items)
        service.record_measures(s, rt, case, checked, actor=v.actor, now=rt.now())
        return "已记录问责处理：" + "；".join(acc.describe(m.measure, m.post) for m in checked) + "，待治庸办确认。"

    return _run(public_id, "record_accountability", step)


@bp.post("/cases/<public_id>/outcome/<decision>")
@login_required("office")
def review_outcome(public_id: str, decision: str) -> Response:
    if decision not in ("confirm", "return"):
        abort(404)
    note = request.form.get("note")

    def step(s, rt, v, case):  # type: ignore[no-untyped-def]
        return service.review(s, rt, case, confirm=decision == "confirm", actor=v.actor, now=rt.now(), note=note)

    return _run(public_id, f"outcome_{decision}", step)


@bp.get("/accountability")
@login_required("office")
def pending_list() -> str:
    """The office's desk: cases whose finding or 问责 waits for confirmation, oldest first (within scope)."""
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        pending = repo.pending_reviews(session=s, where=case_filter(v, rt.settings.city))
    return render_template("console/accountability.html", pending=pending, verdicts=acc.VERDICTS, v=v,
                           p=Presenter(rt))  # fmt: skip
