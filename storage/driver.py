"""The webhook's hot statements sent straight to the database driver, converted by SQLAlchemy's own types.

Every push runs the same four statements (claim the ledger row with the sender's view, touch the citizen, save
the draft, finish the ledger row). Through `Connection.execute` each costs 50–85 µs of SQLAlchemy's execution
machinery (execution context, cache lookup, result object) around 5–20 µs of driver work, and on SQLite all of it
runs while every other writer waits for the lock (bench/README.md). Here a statement is compiled once per dialect
by SQLAlchemy and then executed on the session's own DBAPI connection, in the session's transaction: the
parameters go through each bind's type (UTC datetimes, JSON) and the returned row through each column's type,
exactly as `Connection.execute` would convert them; driver errors come out as SQLAlchemy's exceptions, with the
parameters hidden (`storage.db.make_engine`), and SQLAlchemy's cursor events still fire. `run` sends plain SQL
the same way (`storage.db`'s BEGIN IMMEDIATE). Never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.elements import TextClause
from sqlalchemy.sql.selectable import TextualSelect

Statement = TextClause | TextualSelect | sa.Update


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional parameter order (SQLite's qmark), None for named styles
    binds: tuple[tuple[str, Callable[[Any], Any] | None], ...]  # bind name -> its type's processor
    columns: tuple[Callable[[Any], Any] | None, ...]  # result column -> its type's processor


# By the statement's id, holding the statement itself: a kept reference means no other object can take that id.
_cache: dict[tuple[int, str, str], tuple[Statement, _Compiled]] = {}


def _compile(stmt: Statement, dialect: Dialect) -> _Compiled:
    entry = _cache.get((id(stmt), dialect.name, dialect.driver))
    if entry is not None:
        return entry[1]
    c = stmt.compile(dialect=dialect)
    binds = tuple((name, bind.type.dialect_impl(dialect).bind_processor(dialect)) for name, bind in c.binds.items())
    selected = stmt.selected_columns if isinstance(stmt, TextualSelect) else ()
    columns = tuple(col.type.dialect_impl(dialect).result_processor(dialect, None) for col in selected)
    names = tuple(c.positiontup) if c.positional and c.positiontup is not None else None
    compiled = _Compiled(c.string, names, binds, columns)
    _cache[(id(stmt), dialect.name, dialect.driver)] = (stmt, compiled)
    return compiled


def execute(session: orm.Session, stmt: Statement, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """Run `stmt` with `params` in the session's transaction; the first returned row (converted), or None."""
    conn = session.connection()
    compiled = _compile(stmt, conn.dialect)
    values = {
        name: (process(params[name]) if process is not None else params[name]) for name, process in compiled.binds
    }
    args = values if compiled.names is None else tuple(values[name] for name in compiled.names)
    row = run(conn, compiled.sql, args)
    if row is None:
        return None
    if not compiled.columns:
        return tuple(row)
    return tuple(
        value if process is None else process(value) for value, process in zip(row, compiled.columns, strict=True)
    )


def run(conn: sa.Connection, sql: str, args: Mapping[str, Any] | tuple[Any, ...] = ()) -> Any:
    """Send `sql` as it is to the connection's driver: the first row the driver returns, unconverted, or None."""
    dialect = conn.dialect
    dbapi_conn = conn.connection.driver_connection
    assert dbapi_conn is not None
    cursor = dbapi_conn.cursor()
    try:
        # Listeners of SQLAlchemy's cursor events (statement counters, tracers) see these statements too; there
        # is no execution context to give them.
        conn.dispatch.before_cursor_execute(conn, cursor, sql, args, None, False)
        cursor.execute(sql, args)
        conn.dispatch.after_cursor_execute(conn, cursor, sql, args, None, False)
        return cursor.fetchone() if cursor.description is not None else None
    except dialect.loaded_dbapi.Error as exc:
        disconnected = dialect.is_disconnect(exc, conn.connection.dbapi_connection, cursor)
        if disconnected:
            conn.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            sql,
            args,
            exc,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=disconnected,
            dialect=dialect,
        ) from exc
    finally:
        cursor.close()
