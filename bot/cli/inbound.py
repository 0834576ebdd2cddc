"""Operator commands for the intake ledger: `reconcile` (every accepted push accounted for) and dead letters."""

from __future__ import annotations

import json
import sys

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from flask.cli import with_appcontext

from bot.runtime import runtime
from bot.service import intake
from bot.wechat.protocol import Malformed
from bot.wechat.protocol import kept_pseudonym
from bot.wechat.protocol import with_sender
from storage import citizens
from storage.models import DeadLetter
from storage.models import InboundRecord

deadletters_cli = AppGroup("deadletters", help="Pushes that were authenticated but could not be handled.")


@click.command("reconcile")
@with_appcontext
@click.option("--json", "as_json", is_flag=True)
def reconcile(as_json: bool) -> None:
    """Find accepted pushes without a handled/ignored record or a dead letter; exit 1 if any."""
    rt = runtime()
    with rt.db.transaction() as session:
        by_outcome = dict(
            session.execute(sa.select(InboundRecord.outcome, sa.func.count()).group_by(InboundRecord.outcome)).all()
        )
        dead_keys = sa.select(DeadLetter.msg_key).where(DeadLetter.msg_key.is_not(None))
        orphans = list(
            session.scalars(
                sa.select(InboundRecord.msg_key).where(
                    sa.or_(
                        InboundRecord.outcome == "pending",
                        sa.and_(InboundRecord.outcome == "failed", InboundRecord.msg_key.not_in(dead_keys)),
                    )
                )
            )
        )
        parse_failures = session.scalar(
            sa.select(sa.func.count()).select_from(DeadLetter).where(DeadLetter.stage == "parse")
        )
        unresolved = session.scalar(
            sa.select(sa.func.count()).select_from(DeadLetter).where(DeadLetter.resolved_at.is_(None))
        )
    report = {"accepted": by_outcome, "dead_letters_parse": parse_failures, "dead_letters_unresolved": unresolved,
              "orphans": orphans}  # fmt: skip
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        click.echo(f"accepted pushes by outcome: {by_outcome}")
        click.echo(f"dead letters: {parse_failures} unparseable, {unresolved} unresolved")
        click.echo(f"orphans (accepted, not accounted for): {len(orphans)}")
        for key in orphans:
            click.echo(f"  {key}")
    if orphans:
        sys.exit(1)


@deadletters_cli.command("list")
def deadletters_list() -> None:
    rt = runtime()
    with rt.db.transaction() as session:
        rows = session.scalars(sa.select(DeadLetter).order_by(DeadLetter.id)).all()
        for row in rows:
            state = "resolved" if row.resolved_at else "open"
            click.echo(
                f"{row.id:>6} {row.received_at.isoformat()} {row.stage:<8} {state:<8} {row.msg_key or '-'} {row.reason}"
            )


@deadletters_cli.command("replay")
@click.argument("ids", nargs=-1, type=int, required=True)
def deadletters_replay(ids: tuple[int, ...]) -> None:
    """Handle crashed pushes again from their kept payload (after the bug is fixed)."""
    rt = runtime()
    for dl_id in ids:
        with rt.db.transaction() as session:
            row = session.get(DeadLetter, dl_id)
            if row is None or row.payload is None or row.resolved_at is not None:
                click.echo(f"{dl_id}: nothing to replay")
                continue
            payload, key = row.payload, row.msg_key
            pseudonym = kept_pseudonym(payload)
            openid = citizens.openid_for(session=session, pseudonym=pseudonym) if pseudonym else None
            if pseudonym and openid is None:
                click.echo(f"{dl_id}: the sender is no longer known (anonymised or expired); nothing to replay")
                continue
            if openid is not None:
                payload = with_sender(payload, openid)
            session.execute(sa.delete(InboundRecord).where(InboundRecord.msg_key == key))
        try:
            msg = rt.protocol.parse(payload, rt.pseudonymize, rt.now().timestamp())
        except Malformed as exc:
            click.echo(f"{dl_id}: payload does not parse: {exc}")
            continue
        result = intake.process(rt, msg, payload)
        with rt.db.transaction() as session:
            row = session.get(DeadLetter, dl_id)
            if row is not None and result.outcome != "failed":
                row.resolved_at = rt.now()
        click.echo(f"{dl_id}: {result.outcome}")
