"""Operator commands for the first five minutes and for the long run: `demo seed`, `qr`, `retention run`.

`demo seed` builds the demo city (development and tests only); `qr` makes a window QR code (WeChat's permanent
code in production, a local PNG for the simulator in development); `retention run` anonymises finished cases
past the retention period. Output carries case numbers and counts — never openids, phone numbers or text.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from flask.cli import with_appcontext

from bot.runtime import runtime

demo_cli = AppGroup("demo", help="The demo city (development only).")
retention_cli = AppGroup("retention", help="Anonymise finished cases past the retention period.")


@demo_cli.command("seed")
@click.option("--weeks", default=6, show_default=True, type=click.IntRange(1, 26), help="How far back cases go.")
@click.option("--force", is_flag=True, help="Remove the demo citizens' cases (o_demo_…) and seed again.")
@click.option("--logins-file", type=click.Path(dir_okay=False), default=None,
              help="Also write the demo logins (who each one is) to this file, e.g. instance/demo-logins.txt.")  # fmt: skip
def demo_seed(weeks: int, force: bool, logins_file: str | None) -> None:
    """Seed a few weeks of plausible cases in every state, bind demo supervisors, print the demo logins.

    Does nothing when the demo is already there (so `make run` keeps your data), unless --force.
    """
    from bot.dev import demo

    rt = runtime()
    try:
        report = demo.seed(rt, weeks=weeks, force=force)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from None
    for line in demo.describe(report, rt.settings.env.public_base_url):
        click.echo(line)
    if logins_file:
        path = Path(logins_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(report.logins) + "\n", "utf-8")


@click.command("qr")
@click.option("--unit", required=True, help="Unit code from config.yaml, e.g. bdc.")
@click.option("--window", type=click.IntRange(1, 99), default=None, help="Window number 1–99 (omit: the whole hall).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="PNG to write (default: <unit>-<window>.png, rate-<unit>-<window>.png with --rate).")  # fmt: skip
@click.option("--rate", is_flag=True, help="A rating code (好差评): the scan asks for a five-level rating.")
@with_appcontext
def qr_cmd(unit: str, window: int | None, out: Path | None, rate: bool) -> None:
    """Make a window QR code whose scan starts a report about that unit and window (or, with --rate, a rating)."""
    from bot.wechat import qr

    rt = runtime()
    try:
        code = qr.window_code(rt.settings.city, unit, window, rate=rate)
    except qr.QrError as exc:
        raise click.BadParameter(str(exc), param_hint="--unit" if "unit" in str(exc) else "--window") from None
    stem = f"{code.unit}-{code.window}" if code.window is not None else code.unit
    out = out or Path(f"rate-{stem}.png" if rate else f"{stem}.png")
    lines = [code.caption, "扫码评价本窗口的服务" if rate else "扫码反映办事中遇到的问题"]
    if rt.settings.development:
        data = qr.simulator_url(rt.settings.env.public_base_url, code)
        lines.append(f"dev: {code.scene}")
        where = "simulator URL (development)"
    else:
        from bot.wechat.api import WechatApi
        from bot.wechat.errors import WechatApiError

        try:
            with WechatApi.from_runtime(rt) as api:
                data = api.create_qrcode(code.scene).url
        except WechatApiError as exc:
            raise click.ClickException(f"WeChat refused the QR code: {exc}") from None
        lines.append(code.scene)  # the only caption line left when the host has no Chinese font
        where = "WeChat permanent QR code"
    size = qr.render_png(data, lines, out)
    click.echo(f"wrote {out} ({size[0]}x{size[1]}, {where}, scene {code.scene})")


@retention_cli.command("run")
@click.option("--dry-run", is_flag=True, help="Print what would change; change nothing.")
@click.option("--older-than-days", type=click.IntRange(1, 36500), default=None,
              help="Override retention.closed_case_days from config.yaml.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
def retention_run(dry_run: bool, older_than_days: int | None, as_json: bool) -> None:
    """Anonymise closed, merged and rejected cases finished more than N days ago."""
    from bot.service import retention

    report = retention.run(runtime(), days=older_than_days, dry_run=dry_run)
    if as_json:
        data = report.counts()
        data["cases_list"] = [p.number for p in report.plans]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    verb = "would anonymise" if dry_run else "anonymised"
    for p in report.plans if dry_run else []:
        click.echo(f"  {p.number} {p.state:<8} finished {p.finished_at.date()}  contacts={p.contacts} "
                   f"evidence={p.evidence_rows} files={p.evidence_files} messages={p.messages}")  # fmt: skip
    click.echo(
        f"{verb} {report.cases} case(s) finished before {report.cutoff.date()} ({report.days} days): "
        f"contacts={report.contacts} evidence_rows={report.evidence_rows} files={report.evidence_files} "
        f"messages={report.messages} outbox_rows={report.outbox_rows}"
        + ("" if dry_run else f" files_deleted={report.files_deleted} file_errors={report.file_errors}")
    )


def register(app: Flask) -> None:
    """Called from `bot.cli.init_app`."""
    app.cli.add_command(demo_cli)
    app.cli.add_command(qr_cmd)
    app.cli.add_command(retention_cli)
