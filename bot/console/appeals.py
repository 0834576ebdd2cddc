"""好差评 in the console: a unit's 差评 (`/console/ratings`) and their 误评 appeals, the office's desk of appeals
(`/console/appeals`), the appeal from a review case's page, and `flask --app bot ratings summary|appeals|appeal`.

Who rated is never shown: a row is the day, the window, the level and the reason masked. A supervisor sees the units
on their account, a unit head their own unit, the office every unit it need not stay away from (回避). The rules and
the audit are `handlers.ratings` and `bot.service.appeals`'.
"""

from __future__ import annotations

import json
from datetime import timedelta

import click
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.cli import AppGroup

from bot.console.auth import login_required
from bot.console.auth import to_viewer
from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.present import Presenter
from bot.console.scope import case_or_404
from bot.console.scope import conflicted_units
from bot.console.scope import member
from bot.runtime import runtime
from bot.service import appeals as service
from bot.service import ratings as ratings_service
from handlers import ratings as rules
from storage import ratings as repo
from storage import staff as staff_repo

RECENT = timedelta(days=90)
ROLES = ("supervisor", "unit_head", "office")


def _units(v: Viewer) -> list[str] | None:
    """The units whose ratings `v` sees (None: every unit but the conflicted ones, for the office)."""
    if v.role == "office":
        return None
    if v.role == "unit_head":
        return sorted({*v.units, *([v.member_of] if v.member_of else [])})
    return list(v.units)


@bp.get("/ratings")
@login_required(*ROLES)
def ratings_page() -> str:
    rt = runtime()
    v = viewer()
    city = rt.settings.city
    blocked = conflicted_units(v, city) if v.role == "office" else set()
    with rt.db.transaction() as s:
        found = repo.poor_ratings(session=s, units=_units(v), since=rt.now() - RECENT)
    rows = [(r, a) for r, a in found if r.unit not in blocked]
    may = {r.id: a is None and rules.may_appeal(member(v), r.unit) for r, a in rows}
    return render_template("console/ratings.html", rows=rows, may=may, levels=rules.LEVELS,
                           status=rules.STATUS_LABELS, reason=rules.masked_reason, v=v, p=Presenter(rt))  # fmt: skip


@bp.post("/ratings/<int:rating_id>/appeal")
@login_required("supervisor", "unit_head")
def rating_appeal(rating_id: int) -> Response:
    rt = runtime()
    v = viewer()
    try:
        with rt.db.transaction() as s:
            rating = repo.get(session=s, rating_id=rating_id)
            units = _units(v)
            if rating is None or (units is not None and rating.unit not in units):
                abort(404)
            row = service.appeal(s, rt, member(v), rating, request.form.get("reason"), actor=v.actor,
                                 staff_id=v.staff_id, now=rt.now())  # fmt: skip
            message = f"误评申诉 #{row.id} 已提交治庸办认定。"
    except rules.AppealError as exc:
        flash(str(exc), "error")
    else:
        flash(message, "ok")
    return redirect(url_for("console.ratings_page"), code=303)  # type: ignore[return-value]


@bp.post("/cases/<public_id>/appeal")
@login_required("supervisor")
def case_appeal(public_id: str) -> Response:
    """The handler appeals the 差评 behind a review case from its page."""
    rt = runtime()
    v = viewer()
    try:
        with rt.db.transaction() as s:
            case = case_or_404(s, v, rt.settings.city, public_id)
            message = service.appeal_review_case(s, rt, member(v), case, request.form.get("reason"), actor=v.actor,
                                                 staff_id=v.staff_id, now=rt.now())  # fmt: skip
    except rules.AppealError as exc:
        flash(str(exc), "error")
    else:
        flash(message, "ok")
    return redirect(url_for("console.case_page", public_id=public_id) + "#rating", code=303)  # type: ignore[return-value]


@bp.get("/appeals")
@login_required("office")
def appeals_page() -> str:
    rt = runtime()
    v = viewer()
    with rt.db.transaction() as s:
        found = repo.appeals(session=s, status=None, units_blocked=sorted(conflicted_units(v, rt.settings.city)))
    return render_template("console/appeals.html", rows=found, levels=rules.LEVELS, status=rules.STATUS_LABELS,
                           reason=rules.masked_reason, v=v, p=Presenter(rt))  # fmt: skip


@bp.post("/appeals/<int:appeal_id>/<decision>")
@login_required("office")
def appeal_decide(appeal_id: int, decision: str) -> Response:
    if decision not in ("uphold", "reject"):
        abort(404)
    rt = runtime()
    v = viewer()
    try:
        with rt.db.transaction() as s:
            row = repo.appeal(session=s, appeal_id=appeal_id)
            if row is None:
                abort(404)
            message = service.decide(s, rt, member(v), row, uphold=decision == "uphold",
                                     note=request.form.get("note"), actor=v.actor, staff_id=v.staff_id,
                                     now=rt.now())  # fmt: skip
    except rules.AppealError as exc:
        flash(str(exc), "error")
    else:
        flash(message, "ok")
    return redirect(url_for("console.appeals_page"), code=303)  # type: ignore[return-value]


# -- the command line --------------------------------------------------------------------------------------------

ratings_cli = AppGroup("ratings", help="好差评: a month's summary per unit and window, and 误评 appeals.")


@ratings_cli.command("summary")
@click.option("--month", required=True, help="YYYY-MM (city time).")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def summary_cmd(month: str, as_json: bool) -> None:
    """Counts by level (1–5), 满意率 (非常满意 + 满意) and 差评率 per unit and window; 误评 upheld left out."""
    rt = runtime()
    try:
        with rt.db.transaction() as s:
            data = ratings_service.summary(s, rt, month)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"好差评 {month}（{data['definition']}）")
    head = "  ".join(f"{w:>4}" for w in rules.LEVELS.values())
    click.echo(f"{'单位 / 窗口':<24}{head}  合计  满意率  差评率  误评  表扬")
    for unit in data["units"]:
        click.echo(_line(unit["name"], unit))
        for w in unit["windows"]:
            click.echo(_line(f"  {w['window']}号窗口" if w["window"] else "  （未注明窗口）", w))
    click.echo(_line("合计", data["totals"]))


def _line(label: str, t: dict) -> str:  # type: ignore[type-arg]
    counts = "  ".join(f"{n:>4}" for n in t["counts"].values())
    rate = rules.pct(t["satisfaction_rate"])
    poor = rules.pct(t["poor_rate"])
    return f"{label:<24}{counts}  {t['total']:>4}  {rate:>5}  {poor:>5}  {t['excluded_misjudged']:>4}  {t['praise']:>4}"


@ratings_cli.command("appeals")
@click.option("--all", "everything", is_flag=True, help="Decided appeals too.")
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
def appeals_cmd(everything: bool, as_json: bool) -> None:
    """误评 appeals (never who rated: the level, the window, the day and the reason masked)."""
    rt = runtime()
    with rt.db.transaction() as s:
        found = repo.appeals(session=s, status=None if everything else repo.PENDING)
    for a, r in found:
        item = {"id": a.id, "rating": r.id, "unit": a.unit, "window": r.window, "level": r.level,
                "level_label": rules.LEVELS[r.level], "rated_on": r.rated_at.astimezone(rt.tz).date().isoformat(),
                "rating_reason": rules.masked_reason(r.reason), "appeal_reason": a.reason, "status": a.status,
                "appealed_by": a.appealed_by, "decided_by": a.decided_by}  # fmt: skip
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False))
        else:
            click.echo(f"#{a.id:<5} {a.unit:<6} {r.window or '-':<4} {rules.LEVELS[r.level]:<6} {a.status:<9} "
                       f"{a.reason}" + (f"  → {a.decided_by}" if a.decided_by else ""))  # fmt: skip


appeal_cli = AppGroup("appeal", help="Decide a 误评 appeal as an office account.")
ratings_cli.add_command(appeal_cli)


def _decide_cmd(appeal_id: int, username: str, uphold: bool, note: str | None) -> None:
    rt = runtime()
    try:
        with rt.db.transaction() as s:
            account = staff_repo.by_username(session=s, username=username)
            if account is None or not account.active or account.role != "office":
                raise rules.AppealError(f"{username} 不是可用的治庸办账号")
            row = repo.appeal(session=s, appeal_id=appeal_id)
            if row is None:
                raise rules.AppealError(f"没有误评申诉 #{appeal_id}")
            v = to_viewer(account)
            message = service.decide(s, rt, member(v), row, uphold=uphold, note=note, actor=v.actor,
                                     staff_id=account.id, now=rt.now())  # fmt: skip
    except rules.AppealError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(message)


@appeal_cli.command("uphold")
@click.argument("appeal_id", type=int)
@click.option("--as", "username", required=True, help="The deciding office account.")
@click.option("--note", default=None, help="Why (audited).")
def uphold_cmd(appeal_id: int, username: str, note: str | None) -> None:
    """Uphold: the rating was a 误评 and leaves the unit's 好差评 figures."""
    _decide_cmd(appeal_id, username, True, note)


@appeal_cli.command("reject")
@click.argument("appeal_id", type=int)
@click.option("--as", "username", required=True, help="The deciding office account.")
@click.option("--note", required=True, help="Why the rating stands (audited).")
def reject_cmd(appeal_id: int, username: str, note: str) -> None:
    """Reject: the rating stands."""
    _decide_cmd(appeal_id, username, False, note)
