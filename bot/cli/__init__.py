"""The operator's interface, `flask --app bot <command>`: one module per command group, registered here.

Every command is guarded once, here: run against a database that was never migrated, it prints one line that
says what to do instead of a traceback.
"""

from __future__ import annotations

import functools
from typing import Any

import click
from flask import Flask
from sqlalchemy import exc as sa_exc

NOT_MIGRATED = "数据库尚未初始化：请先运行 flask --app bot db upgrade"
_GUARDED = "_zhiyong_schema_guard"


def missing_schema(exc: BaseException) -> bool:
    """True for the error a query gives when its table (or column) is not there: SQLite's "no such table",
    PostgreSQL's "relation … does not exist" (42P01) or "column … does not exist" (42703)."""
    if not isinstance(exc, sa_exc.OperationalError | sa_exc.ProgrammingError):
        return False
    text = str(exc.orig).lower()
    return (
        getattr(exc.orig, "sqlstate", None) in ("42P01", "42703")
        or "no such table" in text
        or ("does not exist" in text and ("relation" in text or "column" in text))
    )


def _guard(command: click.Command) -> None:
    """Wrap `command.invoke` (once: the command objects outlive each app) to turn a missing schema into one line."""
    if getattr(command, _GUARDED, False):
        return
    invoke = command.invoke

    @functools.wraps(invoke)
    def guarded(ctx: click.Context) -> Any:
        try:
            return invoke(ctx)
        except (sa_exc.OperationalError, sa_exc.ProgrammingError) as exc:
            if missing_schema(exc):
                raise click.ClickException(NOT_MIGRATED) from None
            raise

    command.invoke = guarded  # type: ignore[method-assign]
    setattr(command, _GUARDED, True)


def init_app(app: Flask) -> None:
    from bot.cli.calendar import calendar_cli
    from bot.cli.cases import audit_cli
    from bot.cli.cases import case_cli
    from bot.cli.cases import supervisor_cli
    from bot.cli.chat import chat
    from bot.cli.clock import clock_cli
    from bot.cli.db import db_cli
    from bot.cli.demo import register as register_demo
    from bot.cli.inbound import deadletters_cli
    from bot.cli.inbound import reconcile
    from bot.cli.jobs import digest_cmd
    from bot.cli.jobs import jobs_cli
    from bot.cli.jobs import scheduler_cmd
    from bot.cli.nlp import nlp_cli
    from bot.cli.outbox import register as register_outbox
    from bot.cli.ranking import ranking_cli
    from bot.cli.surveys import survey_cli
    from bot.console.appeals import ratings_cli
    from bot.console.corrections import corrections_cli
    from bot.console.inspections import inspection_cli
    from bot.console.ledger import ledger_cli
    from bot.console.officials import dossier_cli
    from bot.console.open311 import open311_cli
    from bot.console.reveals import reveal_cli
    from bot.console.staff_admin import staff_cli

    for command in (db_cli, chat, calendar_cli, case_cli, supervisor_cli, audit_cli, jobs_cli, scheduler_cmd,
                    digest_cmd, reconcile, deadletters_cli, nlp_cli, staff_cli, ledger_cli, open311_cli,
                    corrections_cli, clock_cli, reveal_cli, dossier_cli, survey_cli, ratings_cli,
                    inspection_cli, ranking_cli):  # fmt: skip
        app.cli.add_command(command)
    register_outbox(app)
    register_demo(app)
    for command in app.cli.commands.values():
        _guard(command)
