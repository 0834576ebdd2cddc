"""Operator commands for what leaves the system: `flask --app bot outbox drain|list|unpark`,
`flask --app bot evidence fetch|verify`, and the development-only `flask --app bot fake-wechat`.

Listings show ids, recipients (pseudonyms or supervisor ids), states and errors — never payloads or openids.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from bot.cli.jobs import parse_at
from bot.runtime import runtime
from storage import outbox

outbox_cli = AppGroup("outbox", help="The outbox: send what is due, list rows, release parked rows.")
evidence_cli = AppGroup(
    "evidence", help="Evidence media: download from WeChat before it expires; verify stored files by SHA-256."
)


@outbox_cli.command("drain")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10000))
@click.option("--at", "at", default=None, help="Run as if it were this time (ISO 8601; default: now).")
@click.option("--rate", default=20.0, show_default=True, type=click.FloatRange(1, 1000), help="Sends per second.")
def drain_command(limit: int, at: str | None, rate: float) -> None:
    """Send the due outbox rows once and report what happened."""
    from bot.wechat.sender import drain

    report = drain(runtime(), now=parse_at(at), limit=limit, rate_per_second=rate)
    click.echo(" ".join(f"{k}={v}" for k, v in report.as_dict().items() if v is not None))
    if report.stopped:
        raise click.ClickException(f"drain stopped: {report.stopped}")


def _row(m: Any) -> dict[str, Any]:
    def iso(v: datetime | None) -> str | None:
        return v.isoformat() if v else None

    return {
        "id": m.id,
        "key": m.idempotency_key,
        "recipient_kind": m.recipient_kind,
        "recipient": m.recipient,
        "purpose": m.purpose,
        "channel": m.channel,
        "status": m.status,
        "attempts": m.attempts,
        "next_attempt_at": iso(m.next_attempt_at),
        "parked_until": iso(m.parked_until),
        "last_error": m.last_error,
        "sent_at": iso(m.sent_at),
        "sent_channel": m.sent_channel,
        "wechat_msgid": m.wechat_msgid,
        "delivery_status": m.delivery_status,
        "case_id": m.case_id,
    }


@outbox_cli.command("list")
@click.option("--status", type=click.Choice(outbox.STATUSES), default=None)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10000))
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
def list_command(status: str | None, limit: int, as_json: bool) -> None:
    """Recent outbox rows, newest first."""
    with runtime().db.transaction() as session:
        rows = [_row(m) for m in outbox.listing(session=session, status=status, limit=limit)]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo("(no rows)")
        return
    for r in rows:
        when = r["sent_at"] or r["parked_until"] or r["next_attempt_at"]
        error = f"  {r['last_error']}" if r["last_error"] and r["status"] != "sent" else ""
        click.echo(
            f"{r['id']:>6} {r['status']:<8} {r['recipient_kind']:<10} {r['recipient']:<20} "
            f"{r['purpose']:<20} try {r['attempts']}  {when}{error}"
        )


@outbox_cli.command("unpark")
@click.option("--id", "ids", multiple=True, type=int, help="Row id (repeatable).")
@click.option("--recipient", default=None, help="All parked rows for this pseudonym or supervisor id.")
@click.option("--all", "all_rows", is_flag=True, help="Every parked row.")
def unpark_command(ids: tuple[int, ...], recipient: str | None, all_rows: bool) -> None:
    """Put parked rows back in the queue (after fixing their cause: binding, template id, quota)."""
    if not (ids or recipient or all_rows):
        raise click.UsageError("give --id, --recipient or --all")
    rt = runtime()
    with rt.db.transaction() as session:
        released = outbox.unpark(session=session, now=rt.now(), ids=list(ids) or None, recipient=recipient)
    click.echo(f"unparked {len(released)} row(s)")


@evidence_cli.command("fetch")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--at", "at", default=None, help="Run as if it were this time (ISO 8601; default: now).")
@click.option(
    "--id",
    "ids",
    multiple=True,
    type=int,
    help="Re-download this stored row and compare with its recorded SHA-256 (repeatable; within 72 h).",
)
def evidence_fetch_command(limit: int, at: str | None, ids: tuple[int, ...]) -> None:
    """Download pending evidence (photos, voice) from WeChat, strip images, store with SHA-256.

    A download that differs from a recorded SHA-256 never replaces the original: it is reported, logged as an
    alert, and the command exits 1.
    """
    from bot.wechat.evidence_fetch import fetch_pending
    from bot.wechat.evidence_fetch import refetch

    if ids:
        report = refetch(runtime(), ids=sorted(set(ids)), now=parse_at(at))
    else:
        report = fetch_pending(runtime(), now=parse_at(at), limit=limit)
    click.echo(" ".join(f"{k}={v}" for k, v in report.as_dict().items() if v is not None))
    if report.stopped:
        raise click.ClickException(f"fetch stopped: {report.stopped}")
    if report.mismatch:
        raise click.ClickException(f"{report.mismatch} download(s) differ from what is recorded; originals kept")


@evidence_cli.command("verify")
@click.option("--json", "as_json", is_flag=True, help="One JSON report on stdout, for scripts.")
def evidence_verify_command(as_json: bool) -> None:
    """Re-read every stored evidence file and compare its SHA-256 with the recorded one; exit 1 on any problem.

    Problems name the evidence id and case number (never case text, openids or phones) and are logged as alerts.
    Progress goes to stderr.
    """
    from bot.wechat.evidence_store import verify_store

    def progress(checked: int, total: int) -> None:
        click.echo(f"verified {checked}/{total}", err=True)

    report = verify_store(runtime(), progress=progress)
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        for p in report.problems:
            click.echo(f"{p.problem.upper():<10} evidence {p.evidence_id} (case {p.case_number}): {p.description}"
                       f"  {p.path or ''}")  # fmt: skip
        click.echo(f"checked {report.checked} stored files, {len(report.problems)} problem(s)")
    if report.problems:
        sys.exit(1)


@click.command("fake-wechat")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
def fake_wechat_command(host: str, port: int) -> None:
    """Development only: serve a loopback fake of WeChat's API (point WECHAT_API_BASE_URL at it)."""
    from werkzeug.serving import make_server

    from bot.dev.fake_wechat import FakeWechat
    from bot.dev.fake_wechat import QuietRequestHandler
    from bot.dev.fake_wechat import create_fake_app

    settings = runtime().settings
    if settings.env.environment == "production":
        raise click.ClickException("fake-wechat is for development and tests (ZHIYONG_ENV=development)")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise click.ClickException("the fake has no authentication; it only binds a loopback address")
    state = FakeWechat(
        settings.env.wechat_app_id,
        settings.env.wechat_app_secret,
        templates=set(settings.city.wechat.templates.values()) or None,
    )
    server = make_server(host, port, create_fake_app(state), threaded=True, request_handler=QuietRequestHandler)
    state.base_url = f"http://{host}:{server.port}"
    click.echo(f"fake WeChat API on {state.base_url}  (set WECHAT_API_BASE_URL={state.base_url})")
    click.echo(f"messages it received: {state.base_url}/_fake/messages?openid=…&since=0   Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def register(app: Flask) -> None:
    """Called from `bot.cli.init_app`."""
    app.cli.add_command(outbox_cli)
    app.cli.add_command(evidence_cli)
    app.cli.add_command(fake_wechat_command)
