"""Shared fixtures: fresh settings, a fresh migrated database and app per test, an injected clock, a WeChat.

PostgreSQL tests use TEST_DATABASE_URL. They skip when it is unset, unless ZHIYONG_REQUIRE_SERVICES is set
(as `.ci/run` does), in which case a missing service fails the run instead of hiding behind a skip.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import create_app
from bot.settings import Settings
from bot.settings import load_settings
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from storage import migrate
from storage.db import make_engine
from storage.models import Model

TEST_TOKEN = "zhiyongtesttoken"
TEST_AES_KEY = "Zq7bXk2LmN9pR4sT6vW8yA1cE3gH5jK0dF2hJ4lM6nP"
TEST_APP_ID = "wx0123456789abcdef"
REQUIRE_SERVICES = bool(os.environ.get("ZHIYONG_REQUIRE_SERVICES"))


def base_environ(database_url: str, **overrides: str) -> dict[str, str]:
    env = {
        "WECHAT_TOKEN": TEST_TOKEN,
        "WECHAT_AES_KEY": TEST_AES_KEY,
        "WECHAT_APP_ID": TEST_APP_ID,
        "WECHAT_APP_SECRET": "test-app-secret-0001",
        "SECRET_KEY": "test-secret-key-0123456789",
        "PSEUDONYM_KEY": "test-pseudonym-key-0123456789",
        "AUDIT_KEY": "test-audit-key-9876543210",
        "DATABASE_URL": database_url,
        "ZHIYONG_ENV": "test",
        "WECHAT_API_BASE_URL": "http://127.0.0.1:9",
        # Each app its own checkpoint folder: checkpoints describe one database.
        "AUDIT_CHECKPOINT_DIR": tempfile.mkdtemp(prefix="zy-audit-"),
    }
    env.update(overrides)
    return env


def make_settings(database_url: str, **overrides: str) -> Settings:
    return load_settings(base_environ(database_url, **overrides), env_file=None)


@pytest.fixture(autouse=True)
def _isolated_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("ZHIYONG_CONFIG", "WECHAT_MODE", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(var, raising=False)


# -- databases ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; every test gets a copy of the file (fast, and still the real migrations)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def sqlite_url(_sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "zhiyong.db"
    shutil.copy(_sqlite_template, target)
    return f"sqlite:///{target}"


def redis_url_or_skip() -> str:
    """TEST_REDIS_URL when it answers; otherwise skip (or fail when ZHIYONG_REQUIRE_SERVICES is set)."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail("ZHIYONG_REQUIRE_SERVICES is set but TEST_REDIS_URL is not")
        pytest.skip("Redis not configured (set TEST_REDIS_URL)")
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"Redis at TEST_REDIS_URL is unreachable: {exc}")
        pytest.skip("Redis unreachable")
    finally:
        client.close()
    return url


def _postgres_url_or_skip() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if REQUIRE_SERVICES:
            pytest.fail("ZHIYONG_REQUIRE_SERVICES is set but TEST_DATABASE_URL is not")
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    return url


@pytest.fixture(scope="session")
def _postgres_migrated() -> Iterator[str]:
    url = _postgres_url_or_skip()
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    except sa.exc.OperationalError as exc:
        engine.dispose()
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL at TEST_DATABASE_URL is unreachable: {exc}")
        pytest.skip("PostgreSQL unreachable")
    engine.dispose()
    migrate.upgrade(url)
    yield url


@pytest.fixture
def postgres_url(_postgres_migrated: str) -> str:
    engine = make_engine(_postgres_migrated)
    tables = ", ".join(t.name for t in Model.metadata.sorted_tables)
    with engine.begin() as conn:
        # case_events refuses a TRUNCATE unless the transaction holds the audit unlock (migration 0006).
        conn.exec_driver_sql("INSERT INTO audit_unlock (id, reason, at) VALUES (1, 'test reset', now())")
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    engine.dispose()
    return _postgres_migrated


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


def tamper_audit(url: str, *statements: str) -> None:
    """Edit `case_events` as an attacker with the owner's rights would: in one transaction, switch the append-only
    triggers off (SQLite: drop them; PostgreSQL: DISABLE TRIGGER USER), run the statements, switch them on again."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                triggers = conn.exec_driver_sql(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'case_events'"
                ).all()
                assert triggers, "case_events has no triggers to switch off"
                for name, _ in triggers:
                    conn.exec_driver_sql(f"DROP TRIGGER {name}")
                for sql in statements:
                    conn.exec_driver_sql(sql)
                for _, sql in triggers:
                    conn.exec_driver_sql(sql)
            else:
                conn.exec_driver_sql("ALTER TABLE case_events DISABLE TRIGGER USER")
                for sql in statements:
                    conn.exec_driver_sql(sql)
                conn.exec_driver_sql("ALTER TABLE case_events ENABLE TRIGGER USER")
    finally:
        engine.dispose()


# -- the app -----------------------------------------------------------------------------------------------


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> Clock:
    # A Friday morning in Beijing (2026-11-27 10:00 +08:00).
    return Clock(datetime(2026, 11, 27, 2, 0, tzinfo=UTC))


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def app(settings: Settings, clock: Clock, tmp_path: Path):  # type: ignore[no-untyped-def]
    app = create_app(settings, clock=clock)
    # Files a test makes (evidence, inspection photos, the demo's) stay in its own folder, never in instance/.
    app.extensions["zhiyong"].services.setdefault("evidence_dir", tmp_path / "evidence")
    yield app
    app.extensions["zhiyong"].db.dispose()


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


class WeChat:
    """Plays WeChat's servers against the in-process app: builds, signs, encrypts, posts, decrypts."""

    def __init__(self, client, clock: Clock, settings: Settings) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.clock = clock
        self.signer = PushSigner(
            token=settings.env.wechat_token,
            aes_key=settings.env.wechat_aes_key,
            app_id=settings.env.wechat_app_id,
            mode=settings.wechat_mode,
        )

    def post_xml(self, xml: str, *, nonce: str | None = None, timestamp: int | None = None):  # type: ignore[no-untyped-def]
        ts = int(self.clock.now.timestamp()) if timestamp is None else timestamp
        push = self.signer.sign(xml, timestamp=ts, nonce=nonce)
        return self.client.post("/wechat?" + push.query_string, data=push.body, content_type="text/xml")

    def send(self, msg_type: str, openid: str = "o_citizen_1", **fields: str | float | None) -> str | None:
        xml = message_xml(msg_type, sender=openid, create_time=int(self.clock.now.timestamp()), **fields)
        resp = self.post_xml(xml)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return reply_content(self.signer.open_reply(resp.get_data(as_text=True)))

    def text(self, content: str, openid: str = "o_citizen_1") -> str | None:
        return self.send("text", openid, Content=content)

    def event(self, event: str, openid: str = "o_citizen_1", key: str | None = None) -> str | None:
        return self.send("event", openid, Event=event, EventKey=key)


@pytest.fixture
def wechat(client, clock: Clock, settings: Settings) -> WeChat:  # type: ignore[no-untyped-def]
    return WeChat(client, clock, settings)
