"""Operator commands for cases, supervisors and the audit chain.

`case show|list --json` print what operators and scripts need — never the citizen's openid, phone or name.
"""

from __future__ import annotations

import json
import secrets
import sys
from datetime import timedelta
from typing import Any

import click
from flask.cli import AppGroup

from bot.runtime import runtime
from bot.service import casework
from handlers.deadlines import working_days_left
from handlers.lifecycle import STATES
from handlers.lifecycle import IllegalTransition
from handlers.masking import mask_text
from storage import cases as cases_repo
from storage import supervisors as sup_repo
from storage.models import Case

case_cli = AppGroup("case", help="Cases (工单): show and list.")
supervisor_cli = AppGroup("supervisor", help="Supervisors (督办员) and their WeChat bindings.")
audit_cli = AppGroup("audit", help="The hash-chained audit trail.")


def case_summary(case: Case, *, detail: bool = False) -> dict[str, Any]:
    rt = runtime()
    data: dict[str, Any] = {
        "number": case.number,
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
        "overdue": case.overdue,
        "anonymous": case.anonymous,
    }
    if case.answer_due is not None:
        data["working_days_left"] = round(working_days_left(rt.now(), case.answer_due, rt.calendar), 2)
    if detail:
        data.update(
            text=mask_text(case.text),
            window=mask_text(case.window) if case.window else case.window,
            occurred_on=case.occurred_on.isoformat() if case.occurred_on else None,
            occurred_text=mask_text(case.occurred_text) if case.occurred_text else case.occurred_text,
            evidence=case.classification.get("evidence", []),
            unit_source=case.unit_source,
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
    """Apply a lifecycle ACTION (e.g. approve_extension, reject, close) to a case, audited."""
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
        }  # fmt: skip
        for s in rt.settings.city.supervisors
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(f"{r['id']:<12} {r['name']:<10} {','.join(r['units']):<16} {'已绑定' if r['bound'] else '未绑定'}")


@supervisor_cli.command("bind-code")
@click.argument("supervisor_id")
def supervisor_bind_code(supervisor_id: str) -> None:
    """Print a 6-digit one-time code (valid 24 h); the supervisor sends 绑定 <code> to the account."""
    rt = runtime()
    if not any(s.id == supervisor_id for s in rt.settings.city.supervisors):
        raise click.ClickException(f"no supervisor {supervisor_id!r} in {rt.settings.config_file}")
    code = f"{secrets.randbelow(10**6):06d}"
    now = rt.now()
    with rt.db.transaction() as session:
        sup_repo.issue_code(
            session=session, supervisor_id=supervisor_id, code=code, expires_at=now + timedelta(hours=24)
        )
    click.echo(code)


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check every case's hash chain; exit 1 and name each broken case."""
    rt = runtime()
    broken = 0
    checked = 0
    with rt.db.transaction() as session:
        for case in cases_repo.all_cases(session=session):
            checked += 1
            problem = cases_repo.verify_chain(session=session, case=case)
            if problem:
                broken += 1
                click.echo(f"BROKEN {case.number}: {problem}")
    click.echo(f"checked {checked} cases, {broken} broken")
    if broken:
        sys.exit(1)
