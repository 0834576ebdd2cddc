"""`flask --app bot db upgrade|downgrade|current`: the database schema (Alembic migrations)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.runtime import runtime
from storage import migrate

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    url = runtime().settings.env.database_url
    migrate.upgrade(url, revision)
    click.echo(f"database at revision {migrate.current(url)}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base)."""
    url = runtime().settings.env.database_url
    migrate.downgrade(url, revision)
    click.echo(f"database at revision {migrate.current(url)}")


@db_cli.command("current")
def db_current() -> None:
    click.echo(migrate.current(runtime().settings.env.database_url) or "(empty database)")
