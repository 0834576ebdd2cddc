"""Alembic environment: runs migrations against the URL given by storage.migrate, online only."""

from __future__ import annotations

from alembic import context

from storage.db import make_engine
from storage.models import Model

config = context.config
target_metadata = Model.metadata


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
