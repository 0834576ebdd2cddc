"""Operator commands for cases, supervisors and the audit chain.

`case show|list --json` print what operators and scripts need — never the citizen's openid, phone or name.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import timedelta
from typing import Any

import click
from flask.cli import AppGroup

from bot.runtime import runtime
from bot.service import accountability
from bot.service import audit_anchor
from bot.service import casework
from bot.service import notify
from handlers import binding
from handlers.deadlines import working_days_left
from handlers.lifecycle import STATES
from handlers.lifecycle import IllegalTransition
from handlers.masking import mask_text
from handlers.overdue import is_overdue
from handlers.overdue import overdue_working_days
from storage import cases as cases_repo
from storage import supervisors as sup_repo
from storage.models import Case

case_cli = AppGroup("case", help="Cases (工单): show and list.")
security_log = logging.getLogger("zhiyong.security")
supervisor_cli = AppGroup("supervisor", help="Supervisors (督办员) and their WeChat bindings.")
audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


def case_summary(case: Case, *, detail: bool = False) -> dict[str, Any]:
    rt = runtime()
    data: dict[str, Any] = {
        "number": case.number,
        "kind": case.kind,
        "channel": case.channel,  # wechat | open311 | inspection (明查暗访)
        "state": case.state,
        "state_label": STATES.get(case.state, case.state),
        "unit": case.respondent_unit,
        "unit_name": rt.settings.city.unit_name(case.respondent_unit),
        "category": case.category,
        "confidence": round(case.confidence, 4),
        "triage": case.triage,
        "created_at": case.created_at.isoformat(),
        "sign_due": case.sign_due.isoformat() if case.sign_due else None,
        "answer_due": case.answer_due.isoformat() if case.answer_due else None,
        "overdue": is_overdue(case.state, case.answer_due, rt.now()),  # 超期 by the one definition
        "anonymous": case.anonymous,
    }
    if case.answer_due is not None:
        data["working_days_left"] = round(working_days_left(rt.now(), case.answer_due, rt.calendar), 2)
        if data["overdue"]:
            data["overdue_working_days"] = overdue_working_days(case.answer_due, rt.now(), rt.calendar)
    if detail:
        data.update(
            text=mask_text(case.text),
            window=mask_text(case.window) if case.window else case.window,
            occurred_on=case.occurred_on.isoformat() if case.occurred_on else None,
            occurred_text=mask_text(case.occurred_text) if case.occurred_text else case.occurred_text,
            evidence=case.classification.get("evidence", []),
            unit_source=case.unit_source,
            person=mask_text(case.person) if case.person else None,
        )
    return data


@case_cli.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def case_show(number: str, as_json: bool) -> None:
    rt = runtime()
    with rt.db.transaction() as session:
        case = cases_repo.by_number(session=session, number=number)
        if case is None:
            raise click.ClickException(f"no case {number}")
        data = case_summary(case, detail=True)
        data["timeline"] = [
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
            }  # fmt: skip
            for e in cases_repo.events(session=session, case_id=case.id)
        ]
        data["assignees"] = [
            {"supervisor": a.supervisor_id, "role": a.role}
            for a in cases_repo.assignees(session=session, case_id=case.id)
        ]
        data.update(accountability.outcome(session, rt, case))  # "finding", "accountability": null until recorded
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for key, value in data.items():
        if key != "timeline":
            click.echo(f"{key}: {value}")
    for e in data["timeline"]:
        click.echo(f"  {e['seq']:>3} {e['at']} {e['actor']:<12} {e['action']:<16} {e['from']} -> {e['to']}")


@case_cli.command("list")
@click.option("--state", default=None)
@click.option("--unit", default=None)
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def case_list(state: str | None, unit: str | None, limit: int, as_json: bool) -> None:
    import sqlalchemy as sa

    rt = runtime()
    with rt.db.transaction() as session:
        stmt = sa.select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)
        if state:
            stmt = stmt.where(Case.state == state)
        if unit:
            stmt = stmt.where(Case.respondent_unit == unit)
        rows = [case_summary(c) for c in session.scalars(stmt)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['number']}  {r['state_label']:<5} {r['unit'] or '-':<5} {r['category']:<13} {r['created_at']}")


@case_cli.command("act")
@click.argument("number")
@click.argument("action")
@click.option("--actor", default="operator", show_default=True)
@click.option("--note", default=None)
@click.option("--days", type=int, default=None)
def case_act(number: str, action: str, actor: str, note: str | None, days: int | None) -> None:
    """Apply a lifecycle ACTION (e.g. approve_extension, reject, approve_close_early) to a case, audited."""
    rt = runtime()
    with rt.db.transaction() as session:
        case = cases_repo.by_number(session=session, number=number)
        if case is None:
            raise click.ClickException(f"no case {number}")
        try:
            casework.act(session, rt, case, action, actor=actor, now=rt.now(), note=note, days=days)
        except IllegalTransition as exc:
            raise click.ClickException(exc.reason) from None
        click.echo(f"{case.number}: {STATES[case.state]}")


@supervisor_cli.command("list")
@click.option("--json", "as_json", is_flag=True)
def supervisor_list(as_json: bool) -> None:
    rt = runtime()
    with rt.db.transaction() as session:
        bound = sup_repo.bindings(session=session)
    rows = [
        {
            "id": s.id,
            "name": s.name,
            "member_of": s.member_of,
            "units": list(s.units),
            "role": s.role,
            "bound": bool(bound.get(s.id) and bound[s.id].openid),
            "rebind_waiting": bool(bound.get(s.id) and bound[s.id].pending_openid),
        }  # fmt: skip
        for s in rt.settings.city.supervisors
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        waiting = "  （改绑待确认）" if r["rebind_waiting"] else ""
        click.echo(
            f"{r['id']:<12} {r['name']:<10} {','.join(r['units']):<16} {'已绑定' if r['bound'] else '未绑定'}{waiting}"
        )


@supervisor_cli.command("bind-code")
@click.argument("supervisor_id")
def supervisor_bind_code(supervisor_id: str) -> None:
    """Print a one-time code (10 characters, valid 24 h); the supervisor sends 绑定 <code> to the account.

    For a supervisor already bound to a WeChat the code only files a request: the binding moves when the office
    runs `supervisor confirm-rebind`, and the WeChat bound so far is warned at once.
    """
    rt = runtime()
    if not any(s.id == supervisor_id for s in rt.settings.city.supervisors):
        raise click.ClickException(f"no supervisor {supervisor_id!r} in {rt.settings.config_file}")
    code = binding.new_code()
    now = rt.now()
    with rt.db.transaction() as session:
        sup_repo.issue_code(session=session, supervisor_id=supervisor_id, code=code,
                            expires_at=now + timedelta(hours=binding.CODE_HOURS))  # fmt: skip
        bound = sup_repo.bindings(session=session).get(supervisor_id)
    if bound is not None and bound.openid:
        click.echo(f"note: {supervisor_id} is bound; a new WeChat waits for `supervisor confirm-rebind`", err=True)
    click.echo(binding.display(code))


@supervisor_cli.command("confirm-rebind")
@click.argument("supervisor_id")
def supervisor_confirm_rebind(supervisor_id: str) -> None:
    """The office's confirmation: move SUPERVISOR_ID's binding to the WeChat that asked for it."""
    rt = runtime()
    now = rt.now()
    with rt.db.transaction() as session:
        previous = sup_repo.confirm_rebind(session=session, supervisor_id=supervisor_id, now=now)
        if previous is None:
            raise click.ClickException(f"no rebind is waiting for {supervisor_id}")
        notify.warn_former_binding(session, rt, previous, binding.OLD_BINDING_MOVED, now,
                                   key=f"rebind-moved:{supervisor_id}:{now.isoformat()}")  # fmt: skip
    security_log.warning("supervisor %s rebound to a new WeChat by the office", supervisor_id)
    click.echo(f"{supervisor_id}: binding moved; the former WeChat is told")


@supervisor_cli.command("reject-rebind")
@click.argument("supervisor_id")
def supervisor_reject_rebind(supervisor_id: str) -> None:
    """Refuse the waiting rebind of SUPERVISOR_ID (the binding stays where it is)."""
    rt = runtime()
    with rt.db.transaction() as session:
        if not sup_repo.reject_rebind(session=session, supervisor_id=supervisor_id):
            raise click.ClickException(f"no rebind is waiting for {supervisor_id}")
    security_log.warning("rebind of supervisor %s refused by the office", supervisor_id)
    click.echo(f"{supervisor_id}: rebind refused")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check every case's keyed hash chain and the latest signed checkpoint; exit 1 and name each broken case."""
    rt = runtime()
    report = audit_anchor.verify_all(rt)
    for problem in report.problems:
        click.echo(f"CHECKPOINT {problem}")
    for number, problem in report.broken:
        click.echo(f"BROKEN {number}: {problem}")
    anchor = f" (anchored by checkpoint {report.checkpoint})" if report.checkpoint else " (no checkpoint yet)"
    click.echo(f"checked {report.checked} cases, {len(report.broken)} broken{anchor}")
    if report.broken or report.problems:
        sys.exit(1)


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Write today's signed checkpoint (every case's event count and head) to AUDIT_CHECKPOINT_DIR."""
    rt = runtime()
    click.echo(audit_anchor.write_checkpoint(rt, rt.now()))
