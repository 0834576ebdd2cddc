"""查看身份 in the console and the terminal: ask on the case page, decide at `/console/reveals` (office only) or with
`flask --app bot reveal list|approve|decline`, then see the reporter for a limited time. Rules: `reveal_rules`.
"""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask.cli import AppGroup

from bot.console import reveal_rules as rules
from bot.console.auth import log_access
from bot.console.auth import login_required
from bot.console.auth import to_viewer
from bot.console.base import bp
from bot.console.base import viewer
from bot.console.scope import case_filter
from bot.console.scope import case_or_404
from bot.runtime import runtime
from storage import reveals as reveals_repo
from storage import staff as staff_repo

HISTORY = 50


def _back(public_id: str) -> Response:
    return redirect(url_for("console.case_page", public_id=public_id), code=303)  # type: ignore[return-value]


@bp.post("/cases/<public_id>/reveal")
@login_required("office")
def reveal(public_id: str) -> Response:
    """Ask to see the reporter: a request that another office account must approve."""
    rt = runtime()
    v = viewer()
    try:
        with rt.db.transaction() as s:
            case = case_or_404(s, v, rt.settings.city, public_id)
            row = rules.request(s, rt, v, case, request.form.get("reason", ""), rt.now())
            log_access(s, "reveal_request", target=case.number, detail=f"#{row.id}")
    except rules.RevealError as exc:
        flash(str(exc), "error")
    else:
        flash("已提交查看申请：需另一位治庸办人员在「身份审批」中批准，批准后 30 分钟内可查看。", "ok")
    return _back(public_id)


@bp.post("/cases/<public_id>/reveal/<int:request_id>/view")
@login_required("office")
def reveal_view(public_id: str, request_id: int) -> str | Response:
    rt = runtime()
    v = viewer()
    try:
        with rt.db.transaction() as s:
            case = case_or_404(s, v, rt.settings.city, public_id)
            contact, row = rules.view(s, rt, v, case, request_id, rt.now())
            shown = {"real_name": contact.real_name, "phone": contact.phone} if contact else None
            log_access(s, "reveal_view", target=case.number, detail=f"#{row.id}")
            number, until = case.number, row.expires_at
    except rules.RevealError as exc:
        flash(str(exc), "error")
        return _back(public_id)
    return render_template("console/reveal.html", number=number, public_id=public_id, contact=shown, until=until,
                           v=v)  # fmt: skip


@bp.get("/reveals")
@login_required("office")
def reveal_list() -> str:
    """Pending requests to decide (never one's own), and the latest decisions, within the viewer's scope."""
    rt = runtime()
    v = viewer()
    where = case_filter(v, rt.settings.city)
    with rt.db.transaction() as s:
        pending = reveals_repo.listing(session=s, where=where)
        recent = [r for r in reveals_repo.listing(session=s, where=where, status=None, limit=HISTORY)
                  if r.status != reveals_repo.PENDING]  # fmt: skip
    return render_template("console/reveals.html", pending=pending, recent=recent, v=v)


@bp.post("/reveals/<int:request_id>/<decision>")
@login_required("office")
def reveal_decide(request_id: int, decision: str) -> Response:
    if decision not in ("approve", "decline"):
        abort(404)
    rt = runtime()
    v = viewer()
    try:
        with rt.db.transaction() as s:
            row, case = rules.decide(s, rt, v, request_id, approve=decision == "approve", now=rt.now(),
                                     note=request.form.get("note"))  # fmt: skip
            log_access(s, f"reveal_{decision}", target=case.number, detail=f"#{row.id}")
            number = case.number
    except rules.RevealError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已{'批准' if decision == 'approve' else '驳回'}工单 {number} 的查看申请 #{request_id}。", "ok")
    return redirect(url_for("console.reveal_list"), code=303)  # type: ignore[return-value]


reveal_cli = AppGroup("reveal", help="Two-person 查看身份: list, approve or decline office accounts' requests.")


@reveal_cli.command("list")
@click.option("--all", "everything", is_flag=True, help="Decided requests too (latest first).")
@click.option("--json", "as_json", is_flag=True, help="JSON lines.")
def reveal_list_cmd(everything: bool, as_json: bool) -> None:
    """Pending requests (never the identity: case number, requester, reason)."""
    rt = runtime()
    with rt.db.transaction() as s:
        found = reveals_repo.listing(session=s, where=sa.true(), status=None if everything else reveals_repo.PENDING,
                                     limit=500)  # fmt: skip
    for r in found:
        if as_json:
            click.echo(json.dumps({"id": r.id, "case": r.case_number, "status": r.status, "requester": r.requester,
                                   "reason": r.reason, "requested_at": r.requested_at.isoformat(),
                                   "decider": r.decider}, ensure_ascii=False))  # fmt: skip
        else:
            click.echo(f"#{r.id:<5} {r.case_number} {r.status:<8} {r.requester}  {r.reason}"
                       + (f"  → {r.decider}" if r.decider else ""))  # fmt: skip


def _decide_cmd(request_id: int, username: str, approve: bool, note: str | None) -> None:
    rt = runtime()
    now = rt.now()
    try:
        with rt.db.transaction() as s:
            account = staff_repo.by_username(session=s, username=username)
            if account is None or not account.active or account.role != "office":
                raise rules.RevealError(f"{username} 不是可用的治庸办账号")
            v = to_viewer(account)
            row, case = rules.decide(s, rt, v, request_id, approve=approve, now=now, note=note)
            staff_repo.log_event(session=s, at=now, staff_id=account.id,
                                 action="reveal_approve" if approve else "reveal_decline", target=case.number,
                                 detail=f"#{row.id}（命令行）")  # fmt: skip
            number, until = case.number, row.expires_at
    except rules.RevealError as exc:
        raise click.ClickException(str(exc)) from None
    if approve and until is not None:
        click.echo(f"approved #{request_id} for {number}; the requester may view until {until.astimezone(rt.tz):%H:%M}")
    else:
        click.echo(f"declined #{request_id} for {number}")


@reveal_cli.command("approve")
@click.argument("request_id", type=int)
@click.option("--as", "username", required=True, help="The approving office account (not the requester).")
def reveal_approve_cmd(request_id: int, username: str) -> None:
    """Approve a pending request as another office account."""
    _decide_cmd(request_id, username, True, None)


@reveal_cli.command("decline")
@click.argument("request_id", type=int)
@click.option("--as", "username", required=True, help="The declining office account (not the requester).")
@click.option("--note", default=None, help="Why (audited; never an identity).")
def reveal_decline_cmd(request_id: int, username: str, note: str | None) -> None:
    """Decline a pending request as another office account."""
    _decide_cmd(request_id, username, False, note)
