"""RELIABILITY 5.8 item 61, the backup/restore drill: dump a PostgreSQL database with cases in it, restore it into
a fresh database, and check that every table's rows, the outbox state and the audit hash chain survive.

Uses the PostgreSQL client tools (`pg_dump`, `pg_restore`) of the machine; PostgreSQL itself follows the suite's
rule (skip only when TEST_DATABASE_URL is unset and services are not required).
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from bot import create_app
from storage.db import make_engine
from storage.models import Model
from tests.conftest import REQUIRE_SERVICES
from tests.conftest import WeChat
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres

COMPLAINT = "昨天上午我去不动产登记中心办房产证，3号窗口的工作人员态度特别差，还让我跑了三趟😡𠀀"


@pytest.fixture
def db_url(postgres_url: str) -> str:  # the conftest's app and wechat fixtures run on PostgreSQL here
    return postgres_url


def snapshot(url: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                      for t in Model.metadata.sorted_tables}  # fmt: skip
            outbox = conn.execute(sa.text("SELECT idempotency_key, status FROM outbox ORDER BY id")).all()
            hashes = conn.execute(sa.text("SELECT case_id, seq, hash FROM case_events ORDER BY case_id, seq")).all()
            texts = conn.execute(sa.text("SELECT text FROM cases ORDER BY id")).scalars().all()
    finally:
        engine.dispose()
    return {"counts": counts, "outbox": [tuple(r) for r in outbox], "hashes": [tuple(r) for r in hashes],
            "texts": list(texts)}  # fmt: skip


def test_dump_and_restore_into_a_fresh_database_keeps_everything(
    app, wechat: WeChat, postgres_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        if REQUIRE_SERVICES:
            pytest.fail("pg_dump/pg_restore are not installed")
        pytest.skip("pg_dump/pg_restore are not installed")
    for text in (COMPLAINT, "没有", "1", "确认"):
        wechat.text(text, "o_backup_citizen")
    code = app.test_cli_runner().invoke(args=["supervisor", "bind-code", "sup_bdc"]).output.strip()
    wechat.text(f"绑定 {code}", "o_backup_sup")
    before = snapshot(postgres_url)
    assert before["counts"]["cases"] == 1 and before["counts"]["case_events"] >= 2  # type: ignore[index]

    dump = tmp_path / "zhiyong.dump"
    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), postgres_url.replace("+psycopg", "")],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    name = "zhiyong_restore_" + uuid.uuid4().hex[:10]
    base, _ = postgres_url.rsplit("/", 1)
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    restored = f"{base}/{name}"
    try:
        subprocess.run(["pg_restore", "--no-owner", "-d", restored.replace("+psycopg", ""), str(dump)],
                       check=True, capture_output=True, timeout=120)  # fmt: skip
        after = snapshot(restored)
        restored_app = create_app(make_settings(restored))
        try:
            result = restored_app.test_cli_runner().invoke(args=["audit", "verify"])
        finally:
            restored_app.extensions["zhiyong"].db.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]
    assert after == before
    assert COMPLAINT in after["texts"]  # type: ignore[operator]
    assert result.exit_code == 0 and "0 broken" in result.output, result.output
