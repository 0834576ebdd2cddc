"""Floor for bench/webhook.py: the echo plus the two things no implementation of a citizen's turn can leave out.

The bare Flask + wechatpy safe-mode echo (bench/echo_app.py), and in between: the message classified by the
city's own classifier (the reply to a first complaint names its category and unit, so the turn must classify it)
and the push written durably, once, before the answer (one INSERT with the push's MsgId as the unique key and a
COMMIT on bare `sqlite3`, WAL with synchronous=NORMAL like zhiyong's, writers queued on an flock like zhiyong's).
No dialog, no citizen or draft row, no ORM, no timestamp window, no rate limit, no log line: what is left when
everything else of the product is free. Whatever the full turn cannot beat, no turn on this stack can.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

from flask import Flask
from flask import request
from wechatpy import create_reply
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from bot.settings import load_settings
from nlp import load_classifier_from_config

_DDL = "CREATE TABLE IF NOT EXISTS floor_ledger (msg_id TEXT PRIMARY KEY, sender TEXT, body TEXT, category TEXT, unit TEXT)"


class _Store:
    """One connection and one lock file per process, opened after gunicorn's fork."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._pid = 0
        self._local = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._fd = -1

    def write(self, row: tuple[str, str, str, str, str]) -> None:
        with self._local:
            if self._pid != os.getpid():
                self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute(_DDL)
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


def create_app() -> Flask:
    app = Flask(__name__)
    crypto = WeChatCrypto(os.environ["WECHAT_TOKEN"], os.environ["WECHAT_AES_KEY"], os.environ["WECHAT_APP_ID"])
    city = load_settings().city
    classifier = load_classifier_from_config(city)
    names = {x.code: x.name for x in (*city.categories, *city.units)}
    store = _Store(os.environ["FLOOR_DB"])

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
