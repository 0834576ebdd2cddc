"""The queue searches what the viewer may see: `cases.search_text` (the masked text), never the raw text.

Searching four digits of a masked phone number must not tell which case holds it; migration 0007 fills the
column for cases that existed before it.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from handlers.masking import mask_text
from storage import case_lists
from storage import migrate
from storage.case_lists import QueueQuery
from storage.db import Database
from tests.planted import PLANTED_TEXT
from tests.planted import assert_unrecoverable
from tests.storage.test_repositories import new_case

MIGRATION = Path(migrate.MIGRATIONS) / "versions" / "0007_cases_search_text.py"
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TEXT = "不动产登记中心3号窗口态度恶劣，推诿扯皮，我的电话13987654321，身份证42010219900307123X"


def _found(db: Database, q: str) -> list[str]:
    with db.transaction() as s:
        page = case_lists.queue_page(session=s, where=sa.true(), query=QueueQuery(state="all", q=q), now=NOW,
                                     week_end=NOW, open_states=("submitted",), awaiting_answer=("signed",),
                                     page_size=25)  # fmt: skip
        return [c.number for c in page.rows]


def test_the_queue_search_reads_the_masked_text_only(any_db_url: str) -> None:
    db = Database(any_db_url)
    with db.transaction() as s:
        new_case(s, "ZY2611270001", TEXT)
        new_case(s, "ZY2611270002", "车管所窗口让我跑了三趟")
    for hidden in ("5432", "8765", "9876", "139876", "13987654321", "1990", "0307", "19900307"):
        assert _found(db, hidden) == [], hidden
    assert _found(db, "推诿") == ["ZY2611270001"]
    assert _found(db, "4321") == ["ZY2611270001"]  # what the page shows (139****4321) can be searched
    assert _found(db, "zy2611270002") == ["ZY2611270002"]
    db.dispose()


def test_migration_0007_fills_search_text_for_existing_cases(any_db_url: str) -> None:
    db = Database(any_db_url)
    with db.transaction() as s:
        new_case(s, "ZY2611270001", PLANTED_TEXT)
    db.dispose()
    migrate.downgrade(any_db_url, "0006")
    migrate.upgrade(any_db_url)
    db = Database(any_db_url)
    with db.engine.connect() as conn:
        [(text, search_text)] = conn.execute(sa.text("SELECT text, search_text FROM cases")).all()
    db.dispose()
    assert text == PLANTED_TEXT
    # The migration's frozen copy of the masking agrees with handlers.masking as it stands today.
    assert search_text == mask_text(PLANTED_TEXT)
    assert_unrecoverable(search_text)


@pytest.mark.parametrize("text", [TEXT, PLANTED_TEXT, "", "没有号码的反映"])
def test_the_migrations_frozen_masking_matches_today(text: str) -> None:
    spec = importlib.util.spec_from_file_location("migration_0007", MIGRATION)
    assert spec is not None and spec.loader is not None
    frozen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(frozen)
    assert frozen.masked(text) == mask_text(text)
