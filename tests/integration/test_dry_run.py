"""`jobs run --at T --dry-run` is dry: it prints the rungs that would fire, the audit events and notices they
would write, and leaves the database exactly as it was — every row of every table on SQLite and PostgreSQL, and
the SQLite file byte for byte — with nothing sent to WeChat and no file written. Without --dry-run the same
command does the work (and says so in its help).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.runtime import runtime
from bot.service.audit_anchor import checkpoint_dir
from storage.db import make_engine
from storage.models import Model
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_cases_flow import rows
from tests.integration.test_time import bj

WHEN = "2026-12-03T08:30"  # every rung of a case filed on Monday 23 November and never touched is due


@pytest.fixture
def db_url(any_db_url: str) -> str:
    return any_db_url


def snapshot(url: str) -> dict[str, list[str]]:
    """Every row of every table, in primary-key order, as text."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in Model.metadata.sorted_tables:
                order = [c for c in table.primary_key.columns] or list(table.columns)
                out[table.name] = [repr(tuple(r)) for r in conn.execute(sa.select(table).order_by(*order))]
            return out
    finally:
        engine.dispose()


def sqlite_file_digest(url: str) -> str | None:
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_dry_run_that_would_fire_rungs_changes_nothing(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")
    number = file_complaint(wechat, "今天上午在不动产登记中心办过户，窗口工作人员态度很差还骂人")
    assert rows(db_url, "SELECT count(*) FROM outbox WHERE status = 'pending'")[0][0] >= 1  # a drain would send
    folder = checkpoint_dir(runtime(app))
    files_before = sorted(folder.rglob("*")) if folder.exists() else []
    before, digest_before = snapshot(db_url), sqlite_file_digest(db_url)

    result = app.test_cli_runner().invoke(args=["jobs", "run", "--at", WHEN, "--dry-run"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "1 cases checked, 4 rungs fired" in out
    for step in ("sign_urge", "answer_remind", "answer_urge", "answer_supervise", "escalate"):
        assert f"{number} {step}" in out, step
    assert f"case_answer_supervise -> sup_triage [{number}]" in out
    assert "would send" in out and "nothing sent" in out and "would write checkpoint-2026-12-03.json" in out
    assert "nothing was changed, sent or written" in out

    assert snapshot(db_url) == before
    assert sqlite_file_digest(db_url) == digest_before
    assert (sorted(folder.rglob("*")) if folder.exists() else []) == files_before

    # The same command without --dry-run does the work.
    done = app.test_cli_runner().invoke(args=["jobs", "run", "--at", WHEN, "--job", "reminders"])
    assert done.exit_code == 0 and "4 rungs fired" in done.output
    assert rows(db_url, f"SELECT state FROM cases WHERE number = '{number}'") == [("escalated",)]
    assert snapshot(db_url) != before


def test_the_help_says_which_run_does_the_work(app) -> None:  # type: ignore[no-untyped-def]
    help_text = " ".join(app.test_cli_runner().invoke(args=["jobs", "run", "--help"]).output.split())
    assert "Without --dry-run this DOES THE WORK" in help_text
    assert "--dry-run Print what would happen and change nothing" in help_text
