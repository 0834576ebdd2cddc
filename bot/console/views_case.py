"""The case page and everything served from a case: evidence files, lifecycle actions, reclassify (查看身份 lives
in `reveals.py`).

Each route loads the case through `scope.case_or_404`, so a case outside the viewer's scope and a case that
does not exist give the same 404 on every path.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from sqlalchemy import orm

from bot.console import actions
from bot.console import outcome
from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.console.scope import case_or_404
from bot.console.scope import find_case
from bot.console.security import INERT_CSP
from bot.runtime import runtime
from bot.wechat.evidence_store import evidence_dir
from storage import case_lists
from storage import cases as cases_repo
from storage import corrections as corrections_repo
from storage import requests as requests_repo
from storage import reveals as reveals_repo
from storage.models import Case
from storage.models import Evidence

INLINE_IMAGES = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}
RELATED_SPAN = timedelta(days=30)


def related_cases(session: orm.Session, v: Viewer, case: Case) -> list[tuple[str, Case]]:
    """Merged-into, merged-here, and recent cases about the same unit (same window first), all within scope."""
    return case_lists.related_to(session=session, where=case_filter(v, runtime().settings.city), case=case,
                                 span=RELATED_SPAN, same_reporter=v.is_office)  # fmt: skip


@bp.get("/cases/<public_id>")
@login_required("supervisor", "office")
def case_page(public_id: str) -> str:
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        case = case_or_404(s, v, rt.settings.city, public_id)
        events = cases_repo.events(session=s, case_id=case.id)
        context = {
            "case": case,
            "events": events,
            "chain_problem": cases_repo.verify_chain(session=s, case=case),
            "messages": cases_repo.messages(session=s, case_id=case.id),
            "evidence": cases_repo.evidence_for(session=s, case_id=case.id),
            "assignees": cases_repo.assignees(session=s, case_id=case.id),
            "related": related_cases(s, v, case),
            "corrections": corrections_repo.for_case(session=s, case_id=case.id),
            "pending": requests_repo.pending(session=s, case_id=case.id),
            "has_contact": cases_repo.contact(session=s, case_id=case.id) is not None,
            "reveal_open": reveals_repo.open_for(session=s, case_id=case.id, staff_id=v.staff_id, now=rt.now())
            if v.is_office
            else None,
            **outcome.case_context(s, v, case),
        }
        log_access(s, "view_case", target=case.number)
    klass = case.classification or {}
    return render_template(
        "console/case.html",
        **context,
        v=v,
        p=Presenter(rt),
        actions=actions.available(case, v, frozenset(r.kind for r in context["pending"])),
        may_reclassify=actions.may_reclassify(case, v),
        categories=rt.settings.city.categories,
        evidence_words=list(klass.get("evidence") or [])[:20],
        unit_candidates=list(klass.get("unit_candidates") or [])[:5],
        category_candidates=list(klass.get("category_candidates") or [])[:5],
        extension_days=_requested_days(context["pending"]),
        inline_images=INLINE_IMAGES,
    )


def _requested_days(pending: list[Any]) -> int:
    """The days asked for in the waiting extension request (kept on the request), to prefill the forms."""
    for row in reversed(pending):
        if row.kind == "extension" and row.days:
            return int(row.days)
    return 5


@bp.get("/cases/<public_id>/evidence/<int:evidence_id>")
@login_required("supervisor", "office")
def evidence_file(public_id: str, evidence_id: int) -> Response:
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        case = case_or_404(s, v, rt.settings.city, public_id)
        ev = s.get(Evidence, evidence_id)
        if ev is None or ev.case_id != case.id or ev.status != "stored" or not ev.path:
            abort(404)
        number, rel, content_type = case.number, ev.path, ev.content_type or "application/octet-stream"
        log_access(s, "view_evidence", target=number, detail=str(evidence_id))
    root = evidence_dir(rt).resolve()
    path = (root / rel).resolve()
    # The stored path is ours, but a file outside the evidence folder is never served, whatever the row says.
    if not path.is_relative_to(root) or not path.is_file():
        abort(404)
    inline = content_type in INLINE_IMAGES and request.args.get("download") != "1"
    ext = INLINE_IMAGES.get(content_type) or Path(rel).suffix.lstrip(".") or "bin"
    resp = send_file(path, mimetype=content_type if inline else "application/octet-stream", as_attachment=not inline,
                     download_name=f"{number}-{evidence_id}.{ext}", max_age=0, conditional=False)  # fmt: skip
    resp.headers["Content-Security-Policy"] = INERT_CSP
    return resp


def _back(public_id: str) -> Response:
    return redirect(url_for("console.case_page", public_id=public_id), code=303)  # type: ignore[return-value]


@bp.post("/cases/<public_id>/actions/<action>")
@login_required("supervisor", "office")
def case_action(public_id: str, action: str) -> Response:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    if action not in actions.ACTIONS and action != "reclassify":
        abort(404)
    spec = actions.ACTIONS.get(action)
    try:
        with rt.db.transaction() as s:
            case = case_or_404(s, v, city, public_id)
            if spec is not None and v.role not in spec.roles:
                abort(403)
            if action == "reclassify":
                message = actions.reclassify(s, rt, v, case, request.form.get("category", ""), rt.now())
            else:
                message = actions.apply(s, rt, v, case, action, note=request.form.get("note"),
                                        days=request.form.get("days"), target=request.form.get("target"),
                                        now=rt.now())  # fmt: skip
            log_access(s, f"act:{action}", target=case.number)
            still_visible = find_case(s, v, city, public_id) is not None
        error = None
    except actions.ActionError as exc:
        # Raised inside the transaction, so whatever the step had begun to change is rolled back.
        error = str(exc)
    if error is not None:
        flash(error, "error")
        return _back(public_id)
    flash(message, "ok")
    if not still_visible:
        return redirect(url_for("console.queue"), code=303)  # type: ignore[return-value]
    return _back(public_id)
