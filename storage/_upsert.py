"""INSERT … ON CONFLICT DO NOTHING for the two dialects we run on: the database, not the app, decides duplicates."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite


def insert_ignore(session: orm.Session, table: sa.Table, values: dict[str, Any], conflict: list[str]) -> bool:
    """Insert one row unless a row with the same `conflict` columns exists; True when a row was inserted."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise RuntimeError(f"unsupported database dialect {dialect}")
    # RETURNING rather than rowcount: through the ORM session psycopg reports rowcount -1 for this statement.
    return session.execute(stmt.returning(sa.literal_column("1"))).first() is not None
