"""Databases and servers for the benchmarks and `make load` / `make soak`: fresh PostgreSQL databases that are
dropped afterwards, the Redis URL when Redis answers, and the real server under gunicorn.

Everything is loopback: PostgreSQL at 127.0.0.1:5432 (`BENCH_PG_ADMIN_URL` to change), Redis at 127.0.0.1:6379.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


BENCH_APP_ID, BENCH_APP_SECRET = "wxbench0000000001", "bench-app-secret-7f3a"


def server_env(database_url: str, redis_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a production-like server (safe mode, production settings) with bench secrets."""
    env = {
        "WECHAT_TOKEN": "benchtoken",
        "WECHAT_AES_KEY": "Zq7bXk2LmN9pR4sT6vW8yA1cE3gH5jK0dF2hJ4lM6nP",
        "WECHAT_APP_ID": BENCH_APP_ID,
        "WECHAT_APP_SECRET": BENCH_APP_SECRET,
        "SECRET_KEY": "bench-secret-key-000000",
        "PSEUDONYM_KEY": "bench-pseudonym-key-0000",
        "AUDIT_KEY": "bench-audit-key-4242",
        "DATABASE_URL": database_url,
        "ZHIYONG_ENV": "production",
        "WECHAT_API_BASE_URL": "http://127.0.0.1:9",  # the webhook never calls WeChat; nothing listens there
        "GUNICORN_LOGLEVEL": "warning",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def redis_available(url: str = REDIS_URL) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextmanager
def fresh_postgres(name: str) -> Iterator[str]:
    """CREATE DATABASE `name` (dropping a leftover), yield its URL, DROP it afterwards whatever happens."""
    import psycopg

    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain database name: {name!r}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]

    def admin(sql: str) -> None:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(f"CREATE DATABASE {name}")
    try:
        yield f"{base}/{name}"
    finally:
        admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
