"""INSERT … ON CONFLICT for the two dialects we run on: the database, not the app, decides duplicates.

The statements are plain SQL text, built once per shape and cached: SQLAlchemy's dialect-specific
`insert().on_conflict_do_nothing()` constructs opt out of its compiled-statement cache and were compiled anew on
every call, which made them the most expensive statements of a webhook turn. The syntax is the same on
PostgreSQL and on SQLite ≥ 3.35 (RETURNING); bind parameters keep the columns' types, so UTC datetimes and JSON
are converted exactly as the ORM converts them.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm


def _with_defaults(table: sa.Table, values: dict[str, Any]) -> dict[str, Any]:
    """Add the scalar Python-side column defaults Core would have added for omitted columns."""
    out = dict(values)
    for column in table.columns:
        if column.name in out or column.default is None:
            continue
        default = column.default
        if not getattr(default, "is_scalar", False):
            raise ValueError(f"column {table.name}.{column.name} has a non-scalar default; pass it explicitly")
        out[column.name] = default.arg  # type: ignore[attr-defined]
    return out


@functools.lru_cache(maxsize=256)
def _statement(table: sa.Table, columns: tuple[str, ...], conflict: tuple[str, ...], returning: str) -> sa.TextClause:
    names = ", ".join(columns)
    binds = ", ".join(f":{c}" for c in columns)
    sql = (
        f"INSERT INTO {table.name} ({names}) VALUES ({binds}) "
        f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING RETURNING {returning}"
    )
    return sa.text(sql).bindparams(*[sa.bindparam(c, type_=table.c[c].type) for c in columns])


def insert_ignore_returning(
    session: orm.Session | sa.Connection, table: sa.Table, values: dict[str, Any], conflict: list[str], returning: str
) -> Any | None:
    """Insert one row unless a row with the same `conflict` columns exists; the new row's `returning` column, or
    None when nothing was inserted. A Connection (the session's own, `session.connection()`) skips the ORM's
    per-statement work (autoflush, events) where nothing is pending: the webhook's hot path."""
    row = _with_defaults(table, values)
    stmt = _statement(table, tuple(row), tuple(conflict), table.c[returning].name)
    return session.execute(stmt, row).scalar()


def insert_ignore(session: orm.Session, table: sa.Table, values: dict[str, Any], conflict: list[str]) -> bool:
    """Insert one row unless a row with the same `conflict` columns exists; True when a row was inserted."""
    row = _with_defaults(table, values)
    # RETURNING rather than rowcount: through the ORM session psycopg reports rowcount -1 for this statement.
    return session.execute(_statement(table, tuple(row), tuple(conflict), "1"), row).first() is not None
