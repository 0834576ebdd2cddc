"""Floor for bench/webhook.py: the echo plus the two things no implementation of a citizen's turn can leave out.

The bare Flask + wechatpy safe-mode echo (bench/echo_app.py), and in between: the message classified by the
city's own classifier (the reply to a first complaint names its category and unit, so the turn must classify it)
and the push written durably, once, before the answer: one INSERT with the push's MsgId as the unique key and a
COMMIT, straight on the driver. `FLOOR_DB` is an SQLite path (WAL, synchronous=NORMAL and writers queued on an
flock, like zhiyong's) or a PostgreSQL URL (psycopg, a connection per thread, like zhiyong's pool). No dialog, no
citizen or draft row, no ORM, no timestamp window, no rate limit, no log line: what is left when everything else
of the product is free. Whatever the full turn cannot beat, no turn on this stack can.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from typing import Protocol

from flask import Flask
from flask import request
from wechatpy import create_reply
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from bot.settings import load_settings
from nlp import load_classifier_from_config

_DDL = "CREATE TABLE IF NOT EXISTS floor_ledger (msg_id TEXT PRIMARY KEY, sender TEXT, body TEXT, category TEXT, unit TEXT)"
Row = tuple[str, str, str, str, str]


class _Store(Protocol):
    def write(self, row: Row) -> None: ...

    def close(self) -> None: ...


class _SqliteStore:
    """One connection and one lock file per process, opened after gunicorn's fork."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._pid = 0
        self._local = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._fd = -1
        with sqlite3.connect(path) as conn:  # before the fork: the workers never race to create it
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_DDL)
        conn.close()

    def write(self, row: Row) -> None:
        with self._local:
            if self._pid != os.getpid():
                self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._fd = os.open(self.path + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            assert self._conn is not None
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    self._conn.execute("INSERT OR IGNORE INTO floor_ledger VALUES (?, ?, ?, ?, ?)", row)
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
            os.close(self._fd)
            self._conn, self._pid = None, 0


class _PostgresStore:
    """A psycopg connection per thread, opened on its first push (after the fork)."""

    def __init__(self, url: str) -> None:
        import psycopg

        self._connect = lambda: psycopg.connect(url)
        self._local = threading.local()
        self._opened: list[psycopg.Connection] = []
        with self._connect() as conn:
            conn.execute(_DDL)

    def write(self, row: Row) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            self._opened.append(conn)
        with conn.transaction():
            conn.execute("INSERT INTO floor_ledger VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING", row)

    def close(self) -> None:
        for conn in self._opened:
            conn.close()


def create_app() -> Flask:
    app = Flask(__name__)
    crypto = WeChatCrypto(os.environ["WECHAT_TOKEN"], os.environ["WECHAT_AES_KEY"], os.environ["WECHAT_APP_ID"])
    city = load_settings().city
    classifier = load_classifier_from_config(city)
    names = {x.code: x.name for x in (*city.categories, *city.units)}
    target = os.environ["FLOOR_DB"]
    store: _Store = (
        _PostgresStore(target) if target.startswith(("postgresql://", "postgres://")) else _SqliteStore(target)
    )

    app.extensions["floor_store"] = store  # for a test to close what it opened

    @app.post("/wechat")
    def wechat() -> str:
        a = request.args
        xml = crypto.decrypt_message(request.data, a["msg_signature"], a["timestamp"], a["nonce"])
        msg = parse_message(xml)
        text = getattr(msg, "content", "")
        c = classifier.classify(text)
        store.write((str(msg.id), msg.source, text, c.category, c.unit or ""))
        reply = create_reply(f"收到：{names[c.category]}，{names[c.unit] if c.unit else '单位待确认'}", msg)
        return crypto.encrypt_message(reply.render(), a["nonce"], a["timestamp"])

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app
