"""The database part of a new citizen's first turn, three ways, in one process on one SQLite file.

A first turn's writes are one transaction: the ledger claim with the sender's view (one INSERT … RETURNING), the
citizen's insert, the draft's upsert, the ledger row's finish, COMMIT. This times that transaction
(`Database.transaction()`, the writers' lock included):

- `storage.driver` — what the webhook runs: the statements on the session's DBAPI connection;
- `Connection.execute` — the same statements through SQLAlchemy Core on the session's connection (the path before
  storage.driver), as the baseline;
- `sqlite3 alone` — the same SQL on a bare sqlite3 connection with no SQLAlchemy at all: the floor;
- `session, no statement` — a transaction that checks out its connection, begins and commits, and runs nothing:
  what the ORM session's own life costs of the gap between the first and the floor;
- `Core connection, no statement` — the same with SQLAlchemy Core's `engine.begin()` instead of a session.

Rounds alternate between the three (the machine is shared; compare within one run). On SQLite all of it runs while
every other worker waits for the writers' lock, so each microsecond here is one the other worker waits too.

    .venv/bin/python bench/turn_db.py [--turns 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage import citizens  # noqa: E402
from storage import dialogs  # noqa: E402
from storage import inbound  # noqa: E402
from storage import migrate  # noqa: E402
from storage import turn  # noqa: E402
from storage.db import Database  # noqa: E402

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
DRAFT = {"version": 1, "stage": "unit", "slots": {"text": "窗口的工作人员一直在玩手机，叫了几次都不理人" * 3}}
REPLY = "您反映的情况已经记下了。请问是哪个单位、哪个窗口？" * 2


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=2000, help="turns per variant per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp()) / "turn_db.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    db = Database(url)
    keys = itertools.count()

    def claim_fields(i: int) -> dict:  # type: ignore[type-arg]
        return dict(msg_key=f"k{i}", msg_id=str(i), msg_type="text", event=None, pseudonym=f"p{i}",
                    created_at=NOW, received_at=NOW)  # fmt: skip

    def via_driver() -> None:
        i = next(keys)
        with db.transaction() as s:
            claimed = turn.claim_with_view(session=s, **claim_fields(i))  # type: ignore[arg-type]
            assert claimed is not None
            citizens.touch(session=s, pseudonym=f"p{i}", openid=f"o{i}", at=NOW, message=True)
            dialogs.save(session=s, pseudonym=f"p{i}", data=DRAFT, at=NOW)
            inbound.finish(session=s, record_id=claimed[0], outcome="draft", reply_text=REPLY, at=NOW)

    def via_core() -> None:
        i = next(keys)
        with db.transaction() as s:
            c = s.connection()
            row = c.execute(turn._CLAIM_AND_VIEW, inbound.claim_values(**claim_fields(i))).one()  # type: ignore[arg-type]
            c.execute(citizens._TOUCH_MESSAGE, {"pseudonym": f"p{i}", "openid": f"o{i}", "subscribed": True, "at": NOW})
            c.execute(dialogs._SAVE, {"pseudonym": f"p{i}", "data": DRAFT, "at": NOW})
            c.execute(inbound._FINISH, {"record_id": row.id, "outcome": "draft", "reply_text": REPLY, "at": NOW})

    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
        raw.execute(f"PRAGMA {pragma}")
    claim_sql = turn._CLAIM_AND_VIEW.element.text  # type: ignore[attr-defined]
    stamp = NOW.strftime("%Y-%m-%d %H:%M:%S.%f")
    draft_json = json.dumps(DRAFT)

    def bare() -> None:
        i = next(keys)
        cur = raw.cursor()
        cur.execute("BEGIN IMMEDIATE")
        cur.execute(claim_sql, dict(msg_key=f"k{i}", msg_id=str(i), msg_type="text", event=None, pseudonym=f"p{i}",
                                    created_at=stamp, received_at=stamp, outcome="pending"))  # fmt: skip
        record_id = cur.fetchone()[0]
        cur.execute(citizens._TOUCH_MESSAGE.text, dict(pseudonym=f"p{i}", openid=f"o{i}", subscribed=1, at=stamp))
        cur.execute(dialogs._SAVE.text, dict(pseudonym=f"p{i}", data=draft_json, at=stamp))
        cur.execute("UPDATE inbound_messages SET outcome = ?, reply_text = ?, reply_created_at = ? WHERE id = ?",
                    ("draft", REPLY, stamp, record_id))  # fmt: skip
        raw.commit()

    def no_statement() -> None:
        with db.transaction() as s:
            s.connection()

    def core_no_statement() -> None:
        with db.engine.begin():  # the begin event sends BEGIN IMMEDIATE, as in a session
            pass

    variants: dict[str, Callable[[], None]] = {
        "storage.driver (the webhook)": via_driver,
        "Connection.execute (baseline)": via_core,
        "sqlite3 alone (floor)": bare,
        "session, no statement": no_statement,
        "Core connection, no statement": core_no_statement,
    }
    for fn in variants.values():  # warm up: compiled statements, pages in the cache
        for _ in range(200):
            fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            started = time.perf_counter()
            for _ in range(args.turns):
                fn()
            times[name].append((time.perf_counter() - started) / args.turns * 1e6)
    baseline = statistics.median(times["Connection.execute (baseline)"])
    print(
        f"first turn's transaction on SQLite, {args.rounds} rounds x {args.turns} turns, µs per turn (median; all rounds)"
    )
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<32} {median:8.1f}  {median / baseline:5.2f}x   [{', '.join(f'{v:.0f}' for v in values)}]")
    db.dispose()
    raw.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
