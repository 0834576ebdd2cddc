"""The triage desk (分拣台, 治庸办 only): cases the classifier was unsure of, its top candidates, one click to route.

Routing sets the respondent unit and hands the case to `casework.assign_case`, which applies 回避 and tells the
chosen supervisors. 回避 binds the desk too: nobody routes a case to the unit they belong to. A choice that differs from the classifier's best guess is kept as a training correction.
"""

from __future__ import annotations

from flask import Response
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.console.scope import case_or_404
from bot.console.scope import may_touch
from bot.runtime import runtime
from bot.service import casework
from handlers.lifecycle import TRIAGE_STATES
from handlers.lifecycle import IllegalTransition
from handlers.routing import eligible
from storage import case_lists
from storage import corrections as corrections_repo
from storage.models import Case

MAX_ROWS = 100


def top_unit(case: Case) -> str | None:
    candidates = (case.classification or {}).get("unit_candidates") or []
    return candidates[0].get("code") if candidates and isinstance(candidates[0], dict) else None


class Refused(Exception):
    """The routing choice cannot be applied; the message is shown to the office."""


def _check(v: Viewer, case: Case, unit: str, category: str) -> None:
    city = runtime().settings.city
    if case.state not in TRIAGE_STATES:
        raise Refused("该工单已不在分拣台")
    if city.unit(unit) is None:
        raise Refused("请选择一个单位")
    if not may_touch(v, unit, city):
        raise Refused(f"回避：您所属的单位与{city.unit_name(unit)}有关，不能将工单派至该单位")
    if category and city.category(category) is None:
        raise Refused("请选择一个类别")
    if not eligible(city, unit, unit):
        raise Refused(f"{city.unit_name(unit)}尚未配置可派单的督办员（回避规则已排除本单位人员）")


@bp.get("/triage")
@login_required("office")
def triage_desk() -> str:
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        rows = case_lists.triage_queue(session=s, where=case_filter(v, rt.settings.city), states=TRIAGE_STATES,
                                       limit=MAX_ROWS)  # fmt: skip
    city = rt.settings.city
    units = [u for u in city.units if may_touch(v, u.code, city)]
    known = {u.code for u in units}
    candidates = {
        c.id: [
            (cand["code"], float(cand.get("probability", 0.0)))
            for cand in (c.classification or {}).get("unit_candidates") or []
            if isinstance(cand, dict) and cand.get("code") in known
        ][:3]
        for c in rows
    }
    return render_template("console/triage.html", rows=rows, candidates=candidates, units=units,
                           categories=city.categories, p=Presenter(rt))  # fmt: skip


@bp.post("/triage/<public_id>/route")
@login_required("office")
def triage_route(public_id: str) -> Response:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    unit = request.form.get("unit", "")
    category = request.form.get("category") or ""
    try:
        with rt.db.transaction() as s:
            case = case_or_404(s, v, city, public_id)
            _check(v, case, unit, category)
            now = rt.now()
            new_category = category or case.category
            guess = top_unit(case)
            if unit != guess or new_category != case.category:
                corrections_repo.add(session=s, case=case, at=now, actor=v.actor, from_category=case.category,
                                     to_category=new_category, from_unit=guess, to_unit=unit)  # fmt: skip
            case.respondent_unit, case.category, case.triage, case.unit_source = unit, new_category, False, "chosen"
            try:
                casework.assign_case(s, rt, case, now, actor=v.actor)
            except (IllegalTransition, LookupError):
                # Leaving the block by an exception rolls the whole choice back.
                raise Refused("无法派单：没有可接收该工单的督办员") from None
            casework.reschedule(s, rt, case)
            log_access(s, "route", target=case.number, detail=unit)
            number = case.number
        error = None
    except Refused as exc:
        error = str(exc)
    if error is not None:
        flash(error, "error")
    else:
        flash(f"工单 {number} 已派至{city.unit_name(unit)}。", "ok")
    return redirect(url_for("console.triage_desk"), code=303)  # type: ignore[return-value]
