"""明查暗访 in the console (on a phone): an inspector records a visit — unit, window, time, the checklist, what they
saw, photos — sees only their own visits, and may open a case from a finding (channel 明查暗访, routed like a
complaint); the office sees every visit of a unit it need not stay away from. `flask --app bot inspection list`.

An inspector never sees a case: the case number they opened is shown, its page is not theirs (403/404 as for any
case outside one's scope). Photos are re-encoded without EXIF/GPS before they are stored (`bot.service.inspections`).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask.cli import AppGroup
from sqlalchemy import orm

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import conflicted_units
from bot.console.scope import member
from bot.console.security import INERT_CSP
from bot.console.security import UPLOAD_LIMITS
from bot.runtime import runtime
from bot.service import inspections as service
from bot.wechat.evidence_store import evidence_dir
from handlers import inspection as rules
from handlers.ranking import month_bounds
from storage import inspections as repo
from storage.models import Inspection

ROLES = ("inspector", "office")
UPLOAD_LIMITS["console.inspection_create"] = service.MAX_UPLOAD_BYTES


def _visible(session: orm.Session, v: Viewer, inspection_id: int) -> Inspection:
    """The inspection, or 404: an inspector's own only; the office's never about a unit it must stay away from."""
    row = repo.get(session=session, inspection_id=inspection_id)
    city = runtime().settings.city
    if row is None or (v.is_inspector and row.inspector_id != v.staff_id):
        abort(404)
    if v.is_office and row.unit in conflicted_units(v, city):
        abort(404)
    return row


def _units(v: Viewer) -> list[tuple[str, str]]:
    city = runtime().settings.city
    return [(u.code, u.name) for u in city.units if rules.may_inspect(member(v), u.code, city)]


@bp.get("/inspections")
@login_required(*ROLES)
def inspections_page() -> str:
    rt = runtime()
    v = viewer()
    blocked = sorted(conflicted_units(v, rt.settings.city)) if v.is_office else []
    with rt.db.transaction() as s:
        found = repo.listing(session=s, inspector_id=v.staff_id if v.is_inspector else None, units_blocked=blocked,
                             limit=200)  # fmt: skip
        counts = repo.photo_counts(session=s, inspection_ids=[i.id for i, _, _ in found])
    limit = rt.settings.city.inspections.wait_limit_minutes
    scores = {i.id: rules.score({k: getattr(i, k) for k in rules.CHECKS}, i.wait_minutes, limit) for i, _, _ in found}
    return render_template("console/inspections.html", rows=found, counts=counts, scores=scores, units=_units(v),
                           checks=rules.CHECKS, limit=limit, now=rt.now().astimezone(rt.tz), v=v, p=Presenter(rt),
                           max_photos=service.MAX_PHOTOS)  # fmt: skip


def _when(raw: str | None) -> datetime | None:
    try:
        local = datetime.fromisoformat((raw or "").strip())
    except ValueError:
        return None
    return local.replace(tzinfo=runtime().tz) if local.tzinfo is None else local


@bp.post("/inspections")
@login_required(*ROLES)
def inspection_create() -> Response:
    rt = runtime()
    v = viewer()
    form = request.form
    now = rt.now()
    try:
        visit = rules.check_visit(rt.settings.city, member(v), unit=form.get("unit", ""), window=form.get("window"),
                                  visited_at=_when(form.get("visited_at")), now=now,
                                  marks={k: form.get(k) for k in rules.CHECKS}, wait=form.get("wait_minutes"),
                                  findings=form.get("findings"))  # fmt: skip
        photos = service.clean_photos([f.read() for f in request.files.getlist("photos") if f])
        with rt.db.transaction() as s:
            row = service.record(s, rt, v.staff_id, visit, photos, now)
            log_access(s, "record_inspection", target=f"inspection:{row.id}")
            new_id = row.id
    except rules.InspectionError as exc:
        flash(str(exc), "error")
        return redirect(url_for("console.inspections_page"), code=303)  # type: ignore[return-value]
    flash(f"暗访记录 #{new_id} 已保存（照片 {len(photos)} 张，已去除拍摄位置等信息）。", "ok")
    return redirect(url_for("console.inspection_page", inspection_id=new_id), code=303)  # type: ignore[return-value]


@bp.get("/inspections/<int:inspection_id>")
@login_required(*ROLES)
def inspection_page(inspection_id: int) -> str:
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        row = _visible(s, v, inspection_id)
        photos = repo.photos(session=s, inspection_id=row.id)
        info = repo.inspector_and_case(session=s, row=row)
        log_access(s, "view_inspection", target=f"inspection:{row.id}")
    limit = rt.settings.city.inspections.wait_limit_minutes
    checks = {k: getattr(row, k) for k in rules.CHECKS}
    return render_template("console/inspection.html", row=row, photos=photos, inspector=info[0], case_number=info[1],
                           case_public_id=info[2],
                           checks=checks, labels=rules.CHECKS, mark=rules.mark_label, limit=limit,
                           score=rules.score(checks, row.wait_minutes, limit),
                           failed=rules.failed(checks, row.wait_minutes, limit), v=v, p=Presenter(rt))  # fmt: skip


@bp.get("/inspections/<int:inspection_id>/photos/<int:photo_id>")
@login_required(*ROLES)
def inspection_photo(inspection_id: int, photo_id: int) -> Response:
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        row = _visible(s, v, inspection_id)
        photo = next((p for p in repo.photos(session=s, inspection_id=row.id) if p.id == photo_id), None)
        if photo is None:
            abort(404)
        rel, content_type = photo.path, photo.content_type
        log_access(s, "view_inspection_photo", target=f"inspection:{row.id}", detail=str(photo_id))
    root = evidence_dir(rt).resolve()
    path = (root / rel).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        abort(404)
    resp = send_file(path, mimetype=content_type, max_age=0, conditional=False,
                     download_name=f"inspection-{inspection_id}-{photo_id}{Path(rel).suffix}")  # fmt: skip
    resp.headers["Content-Security-Policy"] = INERT_CSP
    return resp


@bp.post("/inspections/<int:inspection_id>/case")
@login_required(*ROLES)
def inspection_case(inspection_id: int) -> Response:
    rt = runtime()
    v = viewer()
    try:
        with rt.db.transaction() as s:
            row = _visible(s, v, inspection_id)
            case = service.open_case(s, rt, member(v), row, actor=v.actor, now=rt.now())
            log_access(s, "inspection_case", target=case.number, detail=f"inspection:{row.id}")
            number = case.number
    except rules.InspectionError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已据暗访发现立案：工单 {number}（来源：明查暗访），按投诉件派单办理。", "ok")
    return redirect(url_for("console.inspection_page", inspection_id=inspection_id), code=303)  # type: ignore[return-value]


inspection_cli = AppGroup("inspection", help="明查暗访: the inspectors' visits.")


@inspection_cli.command("list")
@click.option("--month", required=True, help="YYYY-MM (city time).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array instead of lines.")
def inspection_list_cmd(month: str, as_json: bool) -> None:
    """The month's visits: unit, window, time, the checklist, what failed, photos counted, the case opened."""
    rt = runtime()
    try:
        start, end = month_bounds(month, rt.tz)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    with rt.db.transaction() as s:
        items = service.month_rows(s, rt, start, end)
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    for it in items:
        failed = "、".join(it["failed"]) or "全部合格"
        click.echo(f"#{it['id']:<5} {it['visited_at'][:16]} {it['unit_name']} {it['window'] or '-'} "
                   f"{it['passed']}/{it['assessed']} {failed}" + (f" → {it['case']}" if it["case"] else ""))  # fmt: skip
