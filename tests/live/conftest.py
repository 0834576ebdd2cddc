"""Fixtures for the live tests: the production database choice and Redis, under the suite's skip/fail rule."""

from __future__ import annotations

import os

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.conftest import redis_url_or_skip


@pytest.fixture
def production_db_url(request: pytest.FixtureRequest) -> str:
    """PostgreSQL (production's database) when configured or required by CI; SQLite otherwise, never a skip."""
    if os.environ.get("TEST_DATABASE_URL") or REQUIRE_SERVICES:
        return request.getfixturevalue("postgres_url")  # type: ignore[no-any-return]
    return request.getfixturevalue("sqlite_url")  # type: ignore[no-any-return]


@pytest.fixture
def redis_url() -> str:
    return redis_url_or_skip()
