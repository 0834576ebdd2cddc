"""storage.driver: the hot statements on the session's DBAPI connection, converted as SQLAlchemy converts them."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
import sqlalchemy as sa

from storage import dialogs
from storage import driver
from storage import inbound
from storage import turn
from storage.db import Database
from storage.models import Citizen
from storage.models import Dialog
from storage.models import InboundRecord

NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)

_ROUND_TRIP = sa.text(
    "INSERT INTO citizens (pseudonym, openid, subscribed, first_seen_at, last_message_at) "
    "VALUES (:pseudonym, :openid, :subscribed, :at, :at) RETURNING pseudonym, subscribed, last_message_at"
).bindparams(sa.bindparam("at", type_=Citizen.__table__.c.last_message_at.type))
_TYPED = _ROUND_TRIP.columns(
    sa.column("pseudonym", sa.String()),
    sa.column("subscribed", sa.Boolean()),
    sa.column("last_message_at", Citizen.__table__.c.last_message_at.type),
)
_NO_OPENID = sa.text("INSERT INTO citizens (pseudonym, subscribed) VALUES (:pseudonym, :subscribed)")


def test_values_and_rows_are_converted_as_sqlalchemy_converts_them(any_db_url: str) -> None:
    """A datetime in another zone goes in as the column's type stores it and comes back as the same instant in UTC;
    a typed row comes back as Python values (a bool, not SQLite's 1); the draft's JSON is the ORM's JSON."""
    db = Database(any_db_url)
    east8 = timezone(timedelta(hours=8))
    draft = {"stage": "describe", "slots": {"text": "門難進 窗口😀𠀀", "n": 3, "ok": True, "none": None}}
    with db.transaction() as s:
        row = driver.execute(
            s, _TYPED, {"pseudonym": "p1", "openid": "o1", "subscribed": True, "at": NOW.astimezone(east8)}
        )
        assert row == ("p1", True, NOW)
        assert row is not None and row[2].utcoffset() == timedelta(0) and type(row[1]) is bool
        # The same row read back through the ORM agrees.
        assert s.get(Citizen, "p1", populate_existing=True).last_message_at == NOW
        # Without declared columns a row comes back as the driver gave it.
        raw = driver.execute(s, _ROUND_TRIP, {"pseudonym": "p2", "openid": "o2", "subscribed": False, "at": NOW})
        assert raw is not None and raw[0] == "p2"
        dialogs.save(session=s, pseudonym="p1", data=draft, at=NOW)
        assert s.get(Dialog, "p1", populate_existing=True).data == draft
        assert turn.sender_view(session=s, pseudonym="p1").dialog == draft
        # A statement without rows answers None.
        assert driver.execute(s, dialogs._SAVE, {"pseudonym": "p1", "data": {}, "at": NOW}) is None
    db.dispose()


def test_the_statements_run_in_the_sessions_transaction(any_db_url: str) -> None:
    """Nothing the driver wrote survives a rollback, and what it wrote is committed with the session's work."""
    db = Database(any_db_url)
    fields = dict(msg_id="1", msg_type="text", event=None, pseudonym="p", created_at=NOW, received_at=NOW)
    with pytest.raises(RuntimeError), db.transaction() as s:
        assert turn.claim_with_view(session=s, msg_key="gone", **fields) is not None  # type: ignore[arg-type]
        raise RuntimeError("the turn failed")
    with db.transaction() as s:
        claimed = turn.claim_with_view(session=s, msg_key="kept", **fields)  # type: ignore[arg-type]
        assert claimed is not None
        inbound.finish(session=s, record_id=claimed[0], outcome="handled", reply_text="好的", at=NOW)
    with db.transaction() as s:
        assert inbound.get(session=s, msg_key="gone") is None
        kept = inbound.get(session=s, msg_key="kept")
        assert kept is not None and (kept.outcome, kept.reply_text, kept.reply_created_at) == ("handled", "好的", NOW)
        assert s.scalar(sa.select(sa.func.count()).select_from(InboundRecord)) == 1
    db.dispose()


def test_a_driver_error_is_sqlalchemys_and_names_no_value(any_db_url: str) -> None:
    """The webhook tells a database that is down (OperationalError: 503, WeChat retries) from a bug by
    SQLAlchemy's exception classes; SQLAlchemy adds no parameter (an openid, a complaint) to the message, as the
    engine promises (`hide_parameters`). What the server itself says is its own: PostgreSQL quotes the failing row,
    which is why the webhook logs only the exception's class."""
    db = Database(any_db_url)
    with pytest.raises(sa.exc.IntegrityError) as caught, db.transaction() as s:
        driver.execute(s, _NO_OPENID, {"pseudonym": "o-secret-openid-value", "subscribed": True})
    message = str(caught.value)
    assert "[SQL parameters hidden due to hide_parameters=True]" in message and "[parameters:" not in message
    assert isinstance(caught.value.orig, db.engine.dialect.loaded_dbapi.Error)
    with db.transaction() as s:  # the connection is usable afterwards
        assert s.get(Citizen, "o-secret-openid-value") is None
    db.dispose()


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_invalidated_and_the_next_turn_gets_a_fresh_one(
    postgres_url: str,
) -> None:
    db = Database(postgres_url)
    fields = dict(msg_id="1", msg_type="text", event=None, pseudonym="p", created_at=NOW, received_at=NOW)
    with pytest.raises(sa.exc.OperationalError) as caught, db.transaction() as s:
        pid = s.execute(sa.text("SELECT pg_backend_pid()")).scalar()
        other = sa.create_engine(db.url)
        with other.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        other.dispose()
        turn.claim_with_view(session=s, msg_key="k1", **fields)  # type: ignore[arg-type]
    assert caught.value.connection_invalidated
    with db.transaction() as s:
        assert turn.claim_with_view(session=s, msg_key="k2", **fields) is not None  # type: ignore[arg-type]
    db.dispose()


def test_the_transaction_benchmark_runs_all_three_ways() -> None:
    """bench/turn_db.py times the same first-turn transaction through storage.driver, SQLAlchemy Core and bare
    sqlite3; it must keep running as the statements change (each variant asserts its claim succeeded)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, str(root / "bench" / "turn_db.py"), "--turns", "20", "--rounds", "1"],
        capture_output=True, text=True, timeout=120, check=True, cwd=root,
    ).stdout  # fmt: skip
    lines = [line for line in out.splitlines() if "µs" not in line]
    assert [line.split("  ")[0].strip() for line in lines] == [
        "storage.driver (the webhook)",
        "Connection.execute (baseline)",
        "sqlite3 alone (floor)",
        "session, no statement",
        "Core connection, no statement",
    ]
    assert " 1.00x" in lines[1]
