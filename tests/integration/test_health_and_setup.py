"""What the server tells strangers, and how it starts: /healthz shows only its status to anyone but the admin or
the office; a new SQLite database file is readable by its owner only; a CLI command against a database that was
never migrated says what to do in one line instead of a traceback."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot import create_app
from storage import migrate
from storage.db import Database
from tests.conftest import Clock
from tests.conftest import make_settings
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login

DETAILS = {"database", "dialect", "clock", "version"}


def test_healthz_tells_strangers_only_the_status(app, client) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}
    assert "sqlite" not in resp.get_data(as_text=True).lower()


@pytest.mark.parametrize(("role", "extra", "sees"), [
    ("admin", (), True),
    ("office", (), True),
    ("supervisor", ("--supervisor-id", "sup_bdc"), False),
    ("unit_head", ("--units", "bdc", "--member-of", "bdc"), False),
])  # fmt: skip
def test_healthz_details_are_for_the_admin_and_the_office(app, role: str, extra: tuple[str, ...], sees: bool) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "someone", role, *extra)
    body = login(app, "someone").get("/healthz").get_json()
    assert body["status"] == "ok"
    if sees:
        assert DETAILS <= set(body) and body["dialect"] == "sqlite" and body["database"] == "ok"
    else:
        assert body == {"status": "ok"}


def test_a_disabled_admin_sees_the_status_only(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "ops", "admin")
    ops = login(app, "ops")
    assert DETAILS <= set(ops.get("/healthz").get_json())
    assert app.test_cli_runner().invoke(args=["staff", "disable", "ops"]).exit_code == 0
    assert ops.get("/healthz").get_json() == {"status": "ok"}


def test_a_degraded_server_is_503_with_the_status_only(app, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(app.extensions["zhiyong"].db, "ping", lambda: False)
    resp = client.get("/healthz")
    assert resp.status_code == 503 and resp.get_json() == {"status": "degraded"}


def test_a_new_sqlite_database_file_is_for_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "zhiyong.db"
    old = os.umask(0o022)  # the usual umask, which would leave the file readable by every local user
    try:
        migrate.upgrade(f"sqlite:///{path}")
        db = Database(f"sqlite:///{path}")
        assert db.ping()
        db.dispose()
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for sidecar in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if sidecar.exists():
            assert stat.S_IMODE(sidecar.stat().st_mode) & 0o077 == 0, sidecar


def test_an_existing_database_file_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    path.touch(mode=0o640)
    os.chmod(path, 0o640)
    db = Database(f"sqlite:///{path}")
    assert db.ping()
    db.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("args", [["case", "list"], ["supervisor", "list"], ["case", "show", "ZY2611270001"]])
def test_a_cli_command_on_a_database_never_migrated_says_what_to_do(tmp_path: Path, clock: Clock, args) -> None:  # type: ignore[no-untyped-def]
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'fresh.db'}"), clock=clock)
    try:
        result = app.test_cli_runner().invoke(args=args)
    finally:
        app.extensions["zhiyong"].db.dispose()
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "flask --app bot db upgrade" in lines[0] and "数据库尚未初始化" in lines[0]
    assert "Traceback" not in result.output and not isinstance(result.exception, AssertionError)
    assert isinstance(result.exception, SystemExit)
