"""The ledger (台帐) as xlsx: a sheet of cases and a per-unit summary, formatted for printing.

Served at `/console/ledger.xlsx` and `/ledger.xlsx` (the viewer's scope; unit heads get the summary of their own
unit only) and written by `flask --app bot ledger export --from … --to … --out FILE.xlsx` (every case). No
reporter identity; complaint text is masked; any text a spreadsheet could run as a formula is neutralised.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import Any

import click
import sqlalchemy as sa
from flask import Response
from flask import abort
from flask import render_template
from flask import request
from flask.cli import AppGroup
from openpyxl import Workbook
from openpyxl.styles import Alignment
from openpyxl.styles import Border
from openpyxl.styles import Font
from openpyxl.styles import PatternFill
from openpyxl.styles import Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import orm

from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import root_bp
from bot.console.base import viewer
from bot.console.dashboard import visible_units
from bot.console.ledger_rows import CASE_COLUMNS
from bot.console.ledger_rows import WRAPPED
from bot.console.ledger_rows import case_row
from bot.console.present import Presenter
from bot.console.scope import case_filter
from bot.console.security import InvalidInput
from bot.console.security import in_range
from bot.runtime import Runtime
from bot.runtime import runtime
from bot.service import digest as digest_mod
from handlers import digest as figures
from handlers.lifecycle import AWAITING_ANSWER
from storage import case_lists
from storage import ledger_rows as ledger_rows_repo
from storage.ledger_rows import LedgerExtras
from storage.models import Case

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# ASVS 1.2.10 / OWASP CSV injection: these make a spreadsheet treat text as a formula or a DDE call.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_DAYS = 400
SUMMARY_COLUMNS: Sequence[tuple[str, int]] = (
    ("排名", 6), ("单位", 30), ("收到", 8), ("按时签收率（响应率）", 20), ("按时答复率（办结率）", 20),
    ("满意率", 10), ("评价件数", 10), ("超期（在办）", 12),
)  # fmt: skip
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would evaluate (also after leading spaces) gets a leading quote; else unchanged."""
    if isinstance(value, str) and value.lstrip(" \u3000").startswith(_FORMULA_START):
        return "'" + value
    return value


def period_bounds(start_day: date, end_day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) in Beijing time."""
    start = datetime(start_day.year, start_day.month, start_day.day, tzinfo=tz)
    end = datetime(end_day.year, end_day.month, end_day.day, tzinfo=tz) + timedelta(days=1)
    return start, end


def _sheet_setup(ws: Worksheet, title: str, subtitle: str, columns: Sequence[tuple[str, int]]) -> None:
    last = get_column_letter(len(columns))
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = neutralise(title)
    ws["A1"].font = Font(size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = neutralise(subtitle)
    ws["A2"].alignment = Alignment(horizontal="center")
    for i, (name, width) in enumerate(columns, start=1):
        cell = ws.cell(row=3, column=i, value=name)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"  # the header row repeats on every printed page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    ws.auto_filter.ref = f"A3:{last}3"


def ledger_extras(session: orm.Session, case_ids: list[int]) -> dict[int, LedgerExtras]:
    return ledger_rows_repo.extras(session=session, case_ids=case_ids)


def build_workbook(rt: Runtime, cases: Sequence[Case], stats: Sequence[figures.UnitStats], *, start: datetime,
                   end: datetime, include_cases: bool = True, session: orm.Session | None = None) -> bytes:  # fmt: skip
    city = rt.settings.city
    p = Presenter(rt)
    as_of = min(rt.now(), end)  # 超期 (handlers.overdue) as of the period's end, or now for a period still running
    span = f"{start.astimezone(rt.tz):%Y-%m-%d} 至 {(end - timedelta(seconds=1)).astimezone(rt.tz):%Y-%m-%d}"
    made = f"统计区间：{span}（北京时间）　生成时间：{rt.now().astimezone(rt.tz):%Y-%m-%d %H:%M}"
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if include_cases:
        ws.title = "工单台帐"
        _sheet_setup(ws, f"{city.city.name}治庸问责工单台帐", made, CASE_COLUMNS)
        extras = ledger_extras(session, [c.id for c in cases]) if session is not None else {}
        for r, c in enumerate(cases, start=4):
            row = case_row(rt, p, r - 3, c, extras.get(c.id) or LedgerExtras(), as_of)
            for col, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=col, value=neutralise(value))
                cell.border = BORDER
                cell.alignment = Alignment(vertical="top", wrap_text=CASE_COLUMNS[col - 1][0] in WRAPPED)
                if isinstance(value, datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
        ws = wb.create_sheet("单位汇总")
    else:
        ws.title = "单位汇总"
    _sheet_setup(ws, f"{city.city.name}治庸问责单位汇总", made, SUMMARY_COLUMNS)
    for r, s in enumerate(stats, start=4):
        row = [r - 3, city.unit_name(s.unit), s.received, s.response_rate, s.completion_rate, s.satisfaction_rate,
               s.rated, s.overdue]  # fmt: skip
        for col, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=col, value=neutralise("—" if value is None else value))
            cell.border = BORDER
            if col in (4, 5, 6) and value is not None:
                cell.number_format = "0.0%"
                cell.alignment = Alignment(horizontal="right")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def collect(session: orm.Session, rt: Runtime, *, where: sa.ColumnElement[bool], units: list[str] | None,
            start: datetime, end: datetime, as_of: datetime) -> tuple[list[Case], list[figures.UnitStats]]:  # fmt: skip
    """Cases created in [start, end) within `where`, and the summary of `units` (None: every configured unit)."""
    city = rt.settings.city
    cases = case_lists.ledger_cases(session=session, where=where, start=start, end=end)
    unit_codes = units if units is not None else [u.code for u in city.units]
    rows = case_lists.ledger_fact_rows(
        session=session, units=unit_codes, start=start, end=end, as_of=as_of, awaiting_answer=AWAITING_ANSWER
    )
    stats = figures.unit_stats([digest_mod.case_facts(r) for r in rows], start=start, end=end, as_of=as_of,
                               units=unit_codes)  # fmt: skip
    return cases, figures.rank(stats.values())


def _parse_day(raw: str | None, default: date) -> date:
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        abort(400)
    if not in_range(datetime(day.year, day.month, day.day, tzinfo=UTC)):
        raise InvalidInput("请求无效：日期超出范围（应在 1900 年至 9000 年之间）。")
    return day


def _serve(v: Viewer) -> Response:
    rt = runtime()
    now = rt.now()
    today = now.astimezone(rt.tz).date()
    start_day = _parse_day(request.args.get("from"), today.replace(day=1))
    end_day = _parse_day(request.args.get("to"), today)
    if end_day < start_day or (end_day - start_day).days > MAX_DAYS:
        abort(400)
    start, end = period_bounds(start_day, end_day, rt.tz)
    units = visible_units(rt, v)
    with rt.db.transaction() as s:
        cases, stats = collect(s, rt, where=case_filter(v, rt.settings.city), units=units, start=start, end=end,
                               as_of=min(now, end))  # fmt: skip
        log_access(s, "export", target="ledger", detail=f"{start_day} 至 {end_day}，{len(cases)} 件")
        body = build_workbook(rt, cases, stats, start=start, end=end, include_cases=v.sees_cases, session=s)
    name = f"ledger-{start_day:%Y%m%d}-{end_day:%Y%m%d}.xlsx"
    resp = Response(body, mimetype=XLSX)
    resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp


@bp.get("/ledger")
@login_required("supervisor", "office", "unit_head")
def ledger_page() -> str:
    """The date-range picker: choose the period, download the workbook (the form GETs /console/ledger.xlsx)."""
    rt = runtime()
    today = rt.now().astimezone(rt.tz).date()
    return render_template("console/ledger.html", start=today.replace(day=1), end=today, max_days=MAX_DAYS,
                           v=viewer())  # fmt: skip


@bp.get("/ledger.xlsx")
@login_required("supervisor", "office", "unit_head")
def ledger_xlsx() -> Response:
    return _serve(viewer())


@root_bp.get("/ledger.xlsx")
@login_required("supervisor", "office", "unit_head")
def ledger_root() -> Response:
    return _serve(viewer())


ledger_cli = AppGroup("ledger", help="The ledger (台帐) as an xlsx workbook.")


@ledger_cli.command("export")
@click.option("--from", "from_day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="First day.")
@click.option("--to", "to_day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The .xlsx to write.")
def ledger_export(from_day: datetime, to_day: datetime, out: str) -> None:
    """Write every case received between --from and --to (Beijing days, inclusive) and the unit summary."""
    if to_day < from_day:
        raise click.BadParameter("--to is before --from")
    rt = runtime()
    start, end = period_bounds(from_day.date(), to_day.date(), rt.tz)
    with rt.db.transaction() as s:
        cases, stats = collect(s, rt, where=sa.true(), units=None, start=start, end=end, as_of=min(rt.now(), end))
        body = build_workbook(rt, cases, stats, start=start, end=end, session=s)
    with open(out, "wb") as fh:
        fh.write(body)
    click.echo(f"wrote {out}: {len(cases)} cases, {len(stats)} units")
