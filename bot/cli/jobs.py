"""Operator commands for time-driven work: the scheduler process, `jobs run --at`, and the weekly digest."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from flask.cli import with_appcontext

from bot.runtime import runtime
from bot.service import digest as digest_mod
from bot.service import dry_run as dry_run_mod
from bot.service import jobs
from handlers import digest as figures
from handlers.masking import mask_text

jobs_cli = AppGroup("jobs", help="Run the scheduler's jobs by hand.")


def parse_at(value: str | None) -> datetime:
    if value is None:
        return runtime().now()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO time like 2026-12-01T09:00") from None
    # A time without a zone is the city's time (Beijing time): that is what operators mean.
    return at if at.tzinfo else at.replace(tzinfo=runtime().tz)


@jobs_cli.command("run")
@click.option("--at", "at_text", default=None, help="ISO time (Beijing if no zone); default now.")
@click.option("--job", "only", multiple=True, type=click.Choice(sorted(jobs.JOBS)), help="Only these jobs.")
@click.option("--dry-run", is_flag=True,
              help="Print what would happen and change nothing: no database change, nothing sent to WeChat, "
                   "no file written.")  # fmt: skip
def jobs_run(at_text: str | None, only: tuple[str, ...], dry_run: bool) -> None:
    """Run every job that is due at that moment, once, and print what it did.

    Without --dry-run this DOES THE WORK, as the scheduler would at that moment: reminders and escalations (督办)
    fire on real cases, notices are queued and the outbox is sent to WeChat. Use --dry-run to see what would
    happen first."""
    rt = runtime()
    at = parse_at(at_text)
    rt.clock = lambda: at  # everything the jobs do happens "at" that moment
    if dry_run:
        _print_dry_run(dry_run_mod.rehearse(rt, at, only or None))
        return
    for name in only or tuple(jobs.JOBS):
        result = jobs.run_job(rt, name, at)
        mark = "ran " if result.ran else "skip"
        click.echo(f"{mark} {name:<10} {result.period or '-':<17} {result.summary}")


def _print_dry_run(report: dry_run_mod.DryRun) -> None:
    for result in report.results:
        mark = "dry " if result.ran else "skip"
        click.echo(f"{mark} {result.job:<10} {result.period or '-':<17} {result.summary}")
    click.echo(f"would record {len(report.events)} audit event(s):")
    for number, action, note in report.events:
        click.echo(f"  {number} {action}" + (f" ({mask_text(note)})" if note else ""))
    click.echo(f"would queue {len(report.queued)} notice(s):")
    for purpose, kind, recipient, number in report.queued:
        # A citizen is a pseudonym; never print it (nor an openid).
        who = recipient if kind == "supervisor" else kind
        click.echo(f"  {purpose} -> {who}" + (f" [{number}]" if number else ""))
    click.echo("dry run: everything above was rolled back; nothing was changed, sent or written.")


@click.command("scheduler")
@with_appcontext
def scheduler_cmd() -> None:
    """Run the scheduler process (one per deployment; a second one is harmless)."""
    from bot import scheduler

    scheduler.serve(current_app._get_current_object())  # type: ignore[attr-defined]


@click.command("digest")
@with_appcontext
@click.option("--week", default=None, help="ISO week, e.g. 2026-W48 (default: last week).")
@click.option("--for", "for_", default=None, help="A supervisor id: that person's digest.")
@click.option("--dry-run", is_flag=True, help="Print only; queue nothing.")
@click.option("--docx", "docx_path", default=None, type=click.Path(dir_okay=False, writable=True),
              help="Write the office's Monday paper as a Word document to this file (queues nothing).")  # fmt: skip
def digest_cmd(week: str | None, for_: str | None, dry_run: bool, docx_path: str | None) -> None:
    """Print the weekly digest (and queue its notices unless --dry-run or --docx).

    A week that was sent is printed as it was sent; any other week as the figures stand now.
    """
    rt = runtime()
    now = rt.now()
    if week is None:
        week = figures.week_of(now - timedelta(days=7), rt.tz)
    try:
        figures.week_start(week, rt.tz)
    except ValueError:
        raise click.BadParameter(f"{week!r} is not an ISO week like 2026-W48") from None
    with rt.db.transaction() as session:
        d, sent_at = digest_mod.issue(rt, session, week, now)
        if docx_path is not None:
            from bot.console.digest_docx import paper

            with open(docx_path, "wb") as fh:
                fh.write(paper(d, rt.settings.city, sent_at=sent_at, made_at=now))
            click.echo(f"wrote {docx_path}: {d.week}" + (f", as sent {sent_at.astimezone(rt.tz):%Y-%m-%d %H:%M}"
                                                          if sent_at else ", not sent yet: as the figures stand now"))  # fmt: skip
            return
        try:
            click.echo(figures.render(d, rt.settings.city, for_supervisor=for_))
        except KeyError:
            raise click.ClickException(f"no supervisor {for_!r}") from None
        if not dry_run:
            n = digest_mod.enqueue(session, rt, d, now)
            click.echo(f"（已排队 {n} 条通知）")
