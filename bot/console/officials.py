"""活档案 in the console: the organisation department's (组织部) 日常管理台帐 of each official in config.yaml.

`/console/officials` lists them; `/console/officials/<id>` is one official's record, printable, with the form for
what the 组织部 enters by hand (民主测评, 民意测验, 考评, 奖惩, 急难险重任务表现, 督查信息); `.xlsx` exports one or all.
Only the organisation role may open any of it (`handlers.visibility.reads_dossier`); every view, entry and export is
a line of the console's access log (`staff_events`). `flask --app bot dossier export` writes the workbook too.
"""

from __future__ import annotations

import io
from datetime import date
from datetime import datetime

import click
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.cli import AppGroup
from openpyxl import Workbook
from openpyxl.styles import Alignment

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.ledger import BORDER
from bot.console.ledger import XLSX
from bot.console.ledger import _sheet_setup
from bot.console.ledger import neutralise
from bot.console.present import Presenter
from bot.runtime import Runtime
from bot.runtime import runtime
from handlers import dossier as rules
from handlers.config import Official
from storage import dossier as dossier_repo
from storage.models import DossierEntry

COLUMNS = (("干部", 10), ("职务", 14), ("单位", 24), ("日期", 12), ("类别", 14), ("内容", 60), ("来源", 20),
           ("录入方式", 9), ("录入人", 12), ("录入时间", 17))  # fmt: skip


def _official(rt: Runtime, official_id: str) -> Official:
    found = rt.settings.city.official(official_id)
    if found is None:
        abort(404)
    return found


def _origin(entry: DossierEntry) -> str:
    return "自动" if entry.origin == "auto" else "手工"


def workbook(rt: Runtime, officials: list[Official], entries: list[DossierEntry]) -> bytes:
    city = rt.settings.city
    p = Presenter(rt)
    by_id = {o.id: o for o in officials}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "活档案"
    made = (
        f"生成时间：{rt.now().astimezone(rt.tz):%Y-%m-%d %H:%M}（北京时间）　共 {len(officials)} 人、{len(entries)} 条"
    )
    _sheet_setup(ws, f"{city.city.name}市管干部日常管理台帐（活档案）", made, COLUMNS)
    for r, e in enumerate(entries, start=4):
        o = by_id[e.official_id]
        row = [o.name, o.post, city.unit_name(o.unit), e.on_date, rules.KINDS.get(e.kind, e.kind), e.summary,
               e.source, _origin(e), p.actor(e.recorded_by),
               e.recorded_at.astimezone(rt.tz).replace(tzinfo=None)]  # fmt: skip
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col, value=neutralise(value))
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=col == 6)
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx(body: bytes, name: str) -> Response:
    resp = Response(body, mimetype=XLSX)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@bp.get("/officials")
@login_required("organisation")
def officials() -> str:
    rt = runtime()
    city = rt.settings.city
    with rt.db.transaction() as s:
        counts = dossier_repo.counts(session=s)
        log_access(s, "view_dossier_list")
    by_unit = [(u, [o for o in city.officials if o.unit == u.code]) for u in city.units]
    return render_template("console/officials.html", by_unit=[(u, os) for u, os in by_unit if os], counts=counts,
                           v=viewer())  # fmt: skip


@bp.get("/officials/<official_id>")
@login_required("organisation")
def official_page(official_id: str) -> str:
    rt = runtime()
    official = _official(rt, official_id)
    with rt.db.transaction() as s:
        entries = dossier_repo.entries(session=s, official_ids=[official.id])
        log_access(s, "view_dossier", target=official.id)
    return render_template("console/official.html", o=official, entries=entries, kinds=rules.KINDS,
                           manual_kinds=rules.MANUAL_KINDS, today=rt.now().astimezone(rt.tz).date(),
                           origin=_origin, p=Presenter(rt), v=viewer())  # fmt: skip


@bp.post("/officials/<official_id>/entries")
@login_required("organisation")
def official_entry(official_id: str) -> Response:
    rt = runtime()
    v = viewer()
    official = _official(rt, official_id)
    now = rt.now()
    form = request.form
    try:
        on = date.fromisoformat(form.get("on_date", ""))
    except ValueError:
        on = None
    try:
        entry = rules.check_manual(form.get("kind", ""), on, form.get("summary", ""), form.get("source", ""),
                                   today=now.astimezone(rt.tz).date())  # fmt: skip
    except rules.EntryError as exc:
        flash(str(exc), "error")
    else:
        with rt.db.transaction() as s:
            dossier_repo.add(session=s, official_id=official.id, on_date=entry.on_date, kind=entry.kind,
                             summary=entry.summary, source=entry.source, origin="manual", recorded_by=v.actor,
                             now=now)  # fmt: skip
            log_access(s, "dossier_entry", target=official.id, detail=rules.KINDS[entry.kind])
        flash(f"已记入{official.name}的活档案：{rules.KINDS[entry.kind]}。", "ok")
    return redirect(url_for("console.official_page", official_id=official.id), code=303)  # type: ignore[return-value]


@bp.get("/officials/<official_id>.xlsx")
@login_required("organisation")
def official_xlsx(official_id: str) -> Response:
    rt = runtime()
    official = _official(rt, official_id)
    with rt.db.transaction() as s:
        entries = dossier_repo.entries(session=s, official_ids=[official.id])
        log_access(s, "export_dossier", target=official.id, detail=f"{len(entries)} 条")
    return _xlsx(workbook(rt, [official], entries), f"dossier-{official.id}.xlsx")


@bp.get("/officials.xlsx")
@login_required("organisation")
def officials_xlsx() -> Response:
    rt = runtime()
    everyone = list(rt.settings.city.officials)
    with rt.db.transaction() as s:
        entries = dossier_repo.entries(session=s, official_ids=[o.id for o in everyone])
        log_access(s, "export_dossier", target="all", detail=f"{len(entries)} 条")
    return _xlsx(workbook(rt, everyone, entries), "dossier-all.xlsx")


dossier_cli = AppGroup("dossier", help="活档案: the officials' daily records (日常管理台帐).")


@dossier_cli.command("export")
@click.option("--official", "official_id", default=None, help="One official's id (default: every official).")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The .xlsx to write.")
def dossier_export(official_id: str | None, out: str) -> None:
    """Write the 活档案 of one official (or of all) as an xlsx workbook."""
    rt = runtime()
    city = rt.settings.city
    chosen = list(city.officials) if official_id is None else [o for o in city.officials if o.id == official_id]
    if not chosen:
        raise click.ClickException(f"no official {official_id!r} in {rt.settings.config_file}")
    with rt.db.transaction() as s:
        entries = dossier_repo.entries(session=s, official_ids=[o.id for o in chosen])
    with open(out, "wb") as fh:
        fh.write(workbook(rt, chosen, entries))
    click.echo(f"wrote {out}: {len(chosen)} officials, {len(entries)} entries")
