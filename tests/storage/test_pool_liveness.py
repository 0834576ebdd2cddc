"""storage.db's PostgreSQL pool: a pooled connection the server ended is replaced at checkout, without the
SELECT 1 that pool_pre_ping would send on every checkout (a round trip of each webhook turn)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.db import Database
from storage.db import server_hung_up

pytestmark = pytest.mark.postgres


def _terminate(url: str, pid: int) -> None:
    other = sa.create_engine(url)
    with other.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # pg_terminate_backend only signals; wait until the backend is gone, as after a server restart
        for _ in range(200):
            gone = conn.execute(sa.text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid})
            if gone.scalar():
                break
    other.dispose()


def test_a_backend_ended_while_its_connection_sat_in_the_pool_costs_no_error(postgres_url: str) -> None:
    db = Database(postgres_url, pool_size=1)
    with db.transaction() as s:
        first = s.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    assert first is not None
    _terminate(db.url, first)
    with db.transaction() as s:  # the same pool slot: the dead connection is discarded at checkout
        second = s.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    assert second != first
    db.dispose()


def test_a_checkout_sends_nothing_but_the_transactions_own_statements(postgres_url: str, tmp_path: Path) -> None:
    """What goes over the wire, read from libpq's own trace of the pooled connection."""
    db = Database(postgres_url, pool_size=1)
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
    trace = tmp_path / "wire.log"
    with trace.open("w") as fh:
        raw.pgconn.trace(fh.fileno())  # type: ignore[union-attr]
        with db.transaction() as s:  # the same connection: the pool holds one
            s.execute(sa.text("SELECT 2"))
        raw.pgconn.untrace()  # type: ignore[union-attr]
    sent = [line for line in trace.read_text().splitlines() if "\tF\t" in line and ("Query" in line or "Parse" in line)]
    assert len(sent) == 3, sent  # BEGIN, the statement, COMMIT
    assert "SELECT 2" in sent[1] and not any("SELECT 1" in line for line in sent)
    db.dispose()


def test_a_live_idle_connection_is_not_taken_for_dead(postgres_url: str) -> None:
    db = Database(postgres_url, pool_size=1)
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        conn.commit()
        raw = conn.connection.dbapi_connection
        assert not server_hung_up(raw)
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        conn.commit()
        assert isinstance(pid, int)
        _terminate(db.url, pid)
        assert server_hung_up(raw)
    db.dispose()
