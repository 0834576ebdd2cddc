"""公开通报 in the console: the office drafts a 通报 of a typical case from the case page, edits it at
`/console/bulletins/<id>`, and a SECOND office account approves it; then it is on `/public/` and in its Atom feed
(`bot.console.public`). Withdrawing one takes it off at once. Every step is an audit event on the case's chain and
a line of the console's access log. The text rules (staff names → posts, no reporter, numbers masked) are
`handlers.bulletin`'s; the case is always read through the viewer's scope (回避 included).
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
from sqlalchemy import orm

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import ROLE_LABELS
from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.console.scope import case_or_404
from bot.runtime import Runtime
from bot.runtime import runtime
from handlers import bulletin as rules
from handlers.masking import mask_text
from storage import accountability as acc_repo
from storage import bulletins as repo
from storage import cases as cases_repo
from storage import staff as staff_repo
from storage.models import Bulletin
from storage.models import Case


def staff_names(session: orm.Session, rt: Runtime, case: Case) -> dict[str, str]:
    """Every staff name the text could hold → the post it becomes."""
    city = rt.settings.city
    names = {s.name: "督办人员" for s in city.supervisors}
    names.update({o.name: f"{city.unit_name(o.unit)}{o.post}" for o in city.officials})
    names.update({a.display_name: f"{ROLE_LABELS.get(a.role, '')}工作人员" for a in staff_repo.list_all(session=session)
                  if a.display_name not in names})  # fmt: skip
    if case.person:
        names[case.person] = "窗口工作人员"
    return names


def reporter_strings(session: orm.Session, case: Case) -> list[str]:
    contact = cases_repo.contact(session=session, case_id=case.id)
    return [s for s in (contact.real_name, contact.phone) if s] if contact else []


def facts(session: orm.Session, rt: Runtime, case: Case) -> rules.BulletinFacts:
    city = rt.settings.city
    category = city.category(case.category)
    found = acc_repo.finding(session=session, case_id=case.id)
    found = found if found is not None and found.status != acc_repo.RETURNED else None
    held = [(r.measure, r.post) for r in acc_repo.records(session=session, case_id=case.id, current_only=True)]
    satisfied = None if case.rating_outcome is None else case.rating_outcome != "3" and case.rating_conduct != "C"
    return rules.BulletinFacts(unit_name=city.unit_name(case.respondent_unit),
                               category_name=category.name if category else "作风",
                               account_name=city.city.account_name, window=case.window, occurred_on=case.occurred_on,
                               verdict=found.verdict if found else None, measures=found.measures if found else None,
                               held=held, satisfied=satisfied)  # fmt: skip


def _event(session: orm.Session, case: Case, v: Viewer, action: str, note: str, now: datetime) -> None:
    cases_repo.append_event(session=session, case=case, at=now, actor=v.actor, action=action, from_state=case.state,
                            to_state=case.state, note=note)  # fmt: skip


def _load(session: orm.Session, v: Viewer, bulletin_id: int) -> tuple[Bulletin, Case]:
    found = repo.get(session=session, bulletin_id=bulletin_id, where=case_filter(v, runtime().settings.city))
    if found is None:
        abort(404)
    return found


def _to(bulletin_id: int) -> Response:
    return redirect(url_for("console.bulletin_page", bulletin_id=bulletin_id), code=303)  # type: ignore[return-value]


@bp.post("/cases/<public_id>/bulletin")
@login_required("office")
def bulletin_draft(public_id: str) -> Response:
    rt = runtime()
    v = viewer()
    now = rt.now()
    tone = request.form.get("tone", "")
    with rt.db.transaction() as s:
        case = case_or_404(s, v, rt.settings.city, public_id)
        try:
            title, body = rules.draft(facts(s, rt, case), tone)
        except rules.BulletinError as exc:
            flash(str(exc), "error")
            return redirect(url_for("console.case_page", public_id=public_id), code=303)  # type: ignore[return-value]
        names, remove = staff_names(s, rt, case), reporter_strings(s, case)
        row = repo.add(session=s, case_id=case.id, tone=tone, title=rules.scrub(title, names=names, remove=remove),
                       body=rules.scrub(body, names=names, remove=remove), unit=case.respondent_unit,
                       staff_id=v.staff_id, now=now)  # fmt: skip
        _event(s, case, v, "bulletin_draft", f"起草{rules.TONES[tone]}通报 #{row.id}", now)
        log_access(s, "bulletin_draft", target=case.number, detail=f"#{row.id}")
        bulletin_id = row.id
    flash("已生成通报草稿：请核对修改，再请另一位治庸办人员审核发布。", "ok")
    return _to(bulletin_id)


@bp.get("/bulletins")
@login_required("office")
def bulletin_list() -> str:
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        items = repo.listing(session=s, where=case_filter(v, rt.settings.city))
    return render_template("console/bulletins.html", items=items, tones=rules.TONES, v=v, p=Presenter(rt))


@bp.get("/bulletins/<int:bulletin_id>")
@login_required("office")
def bulletin_page(bulletin_id: int) -> str:
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        b, case = _load(s, v, bulletin_id)
        drafter = staff_repo.get(session=s, staff_id=b.drafted_by)
        log_access(s, "view_bulletin", target=case.number, detail=f"#{b.id}")
        return render_template("console/bulletin.html", b=b, case=case, tones=rules.TONES, v=v, p=Presenter(rt),
                               drafter=drafter.username if drafter else "—", max_title=rules.MAX_TITLE,
                               max_body=rules.MAX_BODY)  # fmt: skip


@bp.post("/bulletins/<int:bulletin_id>/edit")
@login_required("office")
def bulletin_edit(bulletin_id: int) -> Response:
    rt = runtime()
    v = viewer()
    now = rt.now()
    with rt.db.transaction() as s:
        b, case = _load(s, v, bulletin_id)
        if b.status != repo.DRAFT:
            flash("只有草稿可以修改；已发布的通报请先撤回。", "error")
            return _to(b.id)
        try:
            title, body = rules.check(request.form.get("title", ""), request.form.get("body", ""))
        except rules.BulletinError as exc:
            flash(str(exc), "error")
            return _to(b.id)
        names, remove = staff_names(s, rt, case), reporter_strings(s, case)
        b.title = rules.scrub(title, names=names, remove=remove)[: rules.MAX_TITLE]
        b.body = rules.scrub(body, names=names, remove=remove)
        b.drafted_by, b.drafted_at = v.staff_id, now  # the text is now this account's: another one approves it
        _event(s, case, v, "bulletin_edit", f"修改通报 #{b.id}", now)
        log_access(s, "bulletin_edit", target=case.number, detail=f"#{b.id}")
    flash("已保存（人员姓名已替换为岗位，号码已脱敏）。", "ok")
    return _to(bulletin_id)


@bp.post("/bulletins/<int:bulletin_id>/approve")
@login_required("office")
def bulletin_approve(bulletin_id: int) -> Response:
    rt = runtime()
    v = viewer()
    now = rt.now()
    with rt.db.transaction() as s:
        b, case = _load(s, v, bulletin_id)
        if b.drafted_by == v.staff_id:
            flash("不能审核发布自己起草或修改的通报，请由另一位治庸办人员审核。", "error")
            return _to(b.id)
        if b.status != repo.DRAFT:
            flash("该通报不是待审核的草稿。", "error")
            return _to(b.id)
        b.status, b.approved_by, b.approved_at = repo.APPROVED, v.staff_id, now
        _event(s, case, v, "bulletin_approve", f"审核发布通报 #{b.id}", now)
        log_access(s, "bulletin_approve", target=case.number, detail=f"#{b.id}")
    flash("已发布：通报已出现在公开页面和订阅源中。", "ok")
    return _to(bulletin_id)


@bp.post("/bulletins/<int:bulletin_id>/withdraw")
@login_required("office")
def bulletin_withdraw(bulletin_id: int) -> Response:
    rt = runtime()
    v = viewer()
    now = rt.now()
    reason = mask_text(" ".join((request.form.get("reason") or "").split()))
    with rt.db.transaction() as s:
        b, case = _load(s, v, bulletin_id)
        if not reason or len(reason) > rules.MAX_WITHDRAW_REASON:
            flash(f"请写明撤回理由（最多 {rules.MAX_WITHDRAW_REASON} 字）。", "error")
            return _to(b.id)
        if b.status == repo.WITHDRAWN:
            flash("该通报已撤回。", "error")
            return _to(b.id)
        b.status, b.withdrawn_by, b.withdrawn_at, b.withdraw_reason = repo.WITHDRAWN, v.staff_id, now, reason
        _event(s, case, v, "bulletin_withdraw", f"撤回通报 #{b.id}：{reason}", now)
        log_access(s, "bulletin_withdraw", target=case.number, detail=f"#{b.id}")
    flash("已撤回：通报已从公开页面和订阅源中移除。", "ok")
    return _to(bulletin_id)
