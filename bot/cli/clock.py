"""`flask --app bot clock check`: how far the host clock is off NTP and the database (RELIABILITY 43)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from bot.host_clock import NTP_TIMEOUT_S
from bot.host_clock import ClockCheck
from bot.host_clock import measure
from bot.runtime import runtime

clock_cli = AppGroup("clock", help="The host clock against NTP_SERVERS and the database.")


def _describe(check: ClockCheck) -> list[str]:
    lines = []
    for r in check.readings:
        if r.offset_s is None:
            lines.append(f"{r.reference:<32} no answer: {r.error}")
        else:
            lines.append(f"{r.reference:<32} host {r.offset_s:+.3f} s (round trip {r.delay_s or 0:.3f} s)")
    if check.status == "unknown":
        lines.append("unknown: no reference answered (set NTP_SERVERS; a PostgreSQL database is one too)")
    else:
        ahead = "ahead of" if (check.offset_s or 0) >= 0 else "behind"
        lines.append(
            f"{check.status}: the host clock is {abs(check.offset_s or 0):.3f} s {ahead} {check.reference} "
            f"(threshold {check.threshold_s:g} s)"
        )
    return lines


@clock_cli.command("check")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@click.option("--timeout", type=float, default=NTP_TIMEOUT_S, show_default=True, help="Seconds per NTP server.")
def clock_check(as_json: bool, timeout: float) -> None:
    """Measure now (not the cached /healthz value) and print each offset; exit 1 when skewed beyond 60 s."""
    rt = runtime()
    check = measure(rt.settings.env.ntp_servers, rt.db, timeout=timeout)
    if as_json:
        readings = [
            {"reference": r.reference, "offset_s": r.offset_s, "delay_s": r.delay_s, "error": r.error}
            for r in check.readings
        ]
        click.echo(json.dumps({**check.as_health(), "threshold_s": check.threshold_s, "readings": readings}))
    else:
        for line in _describe(check):
            click.echo(line)
    if check.status == "skewed":
        sys.exit(1)
