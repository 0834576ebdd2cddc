"""The operator's interface, `flask --app bot <command>`: one module per command group, registered here."""

from __future__ import annotations

from flask import Flask


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
    from bot.console.corrections import corrections_cli
    from bot.console.ledger import ledger_cli
    from bot.console.open311 import open311_cli
    from bot.console.reveals import reveal_cli
    from bot.console.staff_admin import staff_cli

    for command in (db_cli, chat, calendar_cli, case_cli, supervisor_cli, audit_cli, jobs_cli, scheduler_cmd,
                    digest_cmd, reconcile, deadletters_cli, nlp_cli, staff_cli, ledger_cli, open311_cli,
                    corrections_cli, clock_cli, reveal_cli):  # fmt: skip
        app.cli.add_command(command)
    register_outbox(app)
    register_demo(app)
