"""The 10-second version of `make load`: gunicorn with 2 workers on the production database, a mixed stream of
safe-mode pushes at a steady rate, then every push accounted for (RELIABILITY 5.7 item 54, 5.8 item 59).

It asserts correctness, not speed: zero failed requests, nothing lost, every answered push in the ledger, no
pending rows, `flask --app bot reconcile` clean, cases == completed complaint dialogs, and exactly one
"new case" notice per assignment. Speed is measured by `make load` and `bench/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import loadgen
from bench.services import server_env
from tests.live.server import LiveServer
from tests.live.server import start

pytestmark = pytest.mark.live

RATE = 15  # pushes/s: comfortably inside what 2 workers sustain on a busy 2-core CI machine
SECONDS = 10


@pytest.fixture
def served(production_db_url: str, tmp_path: Path) -> Iterator[tuple[LiveServer, dict[str, str]]]:
    env = server_env(production_db_url, GUNICORN_ACCESSLOG="/dev/null")
    srv = start(env, tmp_path, workers=2)
    yield srv, env
    srv.stop()


def test_ten_seconds_of_mixed_pushes_are_all_answered_and_accounted_for(
    served: tuple[LiveServer, dict[str, str]], production_db_url: str
) -> None:
    srv, env = served
    factory = loadgen.PushFactory(env)
    try:
        result = loadgen.run_load(srv.url, factory, rate=RATE, seconds=SECONDS, concurrency=32)
        accounting = loadgen.account(production_db_url, env, result, run_id=factory.run)
    finally:
        factory.close()
    summary = result.summary()
    print(summary, accounting.summary())  # shown with -s or on failure: the numbers behind the verdict
    assert len(result.pushes) >= RATE * SECONDS * 0.9
    assert result.first_attempt_failures == 0, summary["statuses"]
    assert result.lost == 0
    assert result.out_of_order == 0
    assert result.completed_sequences > 0
    assert accounting.missing == [] and accounting.recorded_keys == len(result.pushes)
    assert accounting.pending == 0 and accounting.failed_without_dead_letter == 0
    assert accounting.reconcile_exit == 0 and accounting.reconcile.get("orphans") == []
    assert accounting.cases == result.completed_sequences
    assert accounting.case_new_notices == accounting.assignments
    assert accounting.cases_with_notice == accounting.cases
