"""gunicorn.conf.py picks its thread count by the database, as measured in bench/README.md (issue 18)."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

CONF = str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py")


@pytest.mark.parametrize(
    ("env", "threads"),
    [
        ({}, 1),  # no DATABASE_URL: the embedded SQLite default
        ({"DATABASE_URL": "sqlite:////srv/zhiyong/zhiyong.db"}, 1),
        ({"DATABASE_URL": "postgresql://zhiyong@db/zhiyong"}, 2),
        ({"DATABASE_URL": "postgres://zhiyong@db/zhiyong"}, 2),
        ({"DATABASE_URL": "sqlite:////srv/z.db", "GUNICORN_THREADS": "4"}, 4),  # the operator's word wins
        ({"DATABASE_URL": "postgresql://zhiyong@db/zhiyong", "GUNICORN_THREADS": "1"}, 1),
    ],
)
def test_threads_follow_the_database(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], threads: int) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("GUNICORN_THREADS", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert runpy.run_path(CONF)["threads"] == threads


def test_the_preloaded_app_is_frozen_before_each_fork() -> None:
    import gc

    conf = runpy.run_path(CONF)
    gc.unfreeze()
    try:
        conf["pre_fork"](None, None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
