"""Faults under load against the real server (RELIABILITY 5.5): nothing lost, nothing duplicated.

- a gunicorn worker SIGKILLed mid-burst (items 33/34): WeChat's retries of the pushes that got no 200 give exactly
  one ledger row per push, one case per finished dialog and one "new case" notice per assignment;
- PostgreSQL restarted during load (item 35): the webhook answers 503 (never 500) while it is down, WeChat's
  retries land once it is back, none lost. Runs against a private cluster (tests/live/services.py says why);
- Redis down (item 46): the webhook serves and the flood limit falls back to the per-process bucket; the access
  token's fallback to the database is tests/integration/test_outbox.py::test_redis_down_falls_back_to_the_database;
- the WeChat API slow or failing (item 37): the webhook's answers are unaffected, the outbox retries, and once the
  API recovers every row is sent exactly once;
- disk full while saving evidence (item 45) is tests/integration/test_evidence.py::
  test_disk_full_keeps_it_pending_with_an_alert (the case exists before evidence is fetched, by construction).

Every loop is bounded in count and time; every service a test stops is restarted or removed in a `finally`.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from bench import loadgen
from bench.services import BENCH_APP_ID
from bench.services import BENCH_APP_SECRET
from bench.services import server_env
from bot import create_app
from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import start_fake_wechat
from bot.runtime import runtime
from bot.settings import load_settings
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from bot.wechat.sender import drain
from storage.db import make_engine
from storage.models import SupervisorBinding
from tests.live.server import LiveServer
from tests.live.server import start
from tests.live.services import dead_redis_url
from tests.live.services import private_postgres

pytestmark = pytest.mark.live


def _check_accounting(result: loadgen.LoadResult, accounting: loadgen.Accounting) -> None:
    summary = (result.summary(), accounting.summary())
    assert result.lost == 0, summary
    assert result.out_of_order == 0, summary
    assert accounting.missing == [] and accounting.recorded_keys == len(result.pushes), summary
    assert accounting.pending == 0 and accounting.failed_without_dead_letter == 0, summary
    assert accounting.reconcile_exit == 0 and accounting.reconcile.get("orphans") == [], summary
    assert accounting.cases == result.completed_sequences > 0, summary
    assert accounting.case_new_notices == accounting.assignments, summary
    assert accounting.cases_with_notice == accounting.cases, summary


def _load(srv: LiveServer, env: dict[str, str], db_url: str, reconcile: bool = True, **kwargs):  # type: ignore[no-untyped-def]
    factory = loadgen.PushFactory(env)
    try:
        result = loadgen.run_load(srv.url, factory, **kwargs)
        return result, loadgen.account(db_url, env, result, run_id=factory.run, reconcile=reconcile)
    finally:
        factory.close()


# -- a worker killed mid-request ------------------------------------------------------------------------------


def test_a_worker_killed_mid_burst_loses_and_duplicates_nothing(production_db_url: str, tmp_path: Path) -> None:
    env = server_env(production_db_url, GUNICORN_ACCESSLOG="/dev/null")
    srv = start(env, tmp_path, workers=2)
    kills: list[tuple[float, int]] = []

    def killer(elapsed: float, in_flight: int, failed: int) -> None:
        # After the workers warmed up, kill a worker while requests are in flight, 0.6 s apart, until a kill has
        # cut a request off (a kill can land on a worker that is idle at that instant); at most about ten.
        if failed or len(kills) >= 10 or elapsed < 2.0 or in_flight < 1:
            return
        if not kills or elapsed - kills[-1][0] > 0.6:
            workers = loadgen.children(srv.process.pid)
            # Past five misses every worker goes at once: whatever the server was running is then cut off.
            victims = workers if len(kills) >= 5 else workers[len(kills) % len(workers) :][:1]
            for victim in victims:
                os.kill(victim, signal.SIGKILL)
                kills.append((elapsed, victim))

    try:
        result, accounting = _load(
            srv, env, production_db_url, rate=20, seconds=9, concurrency=32, retry_after=1.0, on_tick=killer
        )
        assert srv.process.poll() is None, "the gunicorn master must survive its workers"
        assert requests.get(srv.url + "/healthz", timeout=5).status_code == 200
    finally:
        srv.stop()
    assert kills, "no worker was killed"
    interrupted = [p for p in result.pushes if p.statuses and p.statuses[0] != 200]
    assert interrupted, f"the kills hit no request in flight: {result.summary()}"
    assert 500 not in result.statuses()
    _check_accounting(result, accounting)


# -- PostgreSQL restarted during load --------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgresql_restart_during_load_loses_nothing(tmp_path: Path) -> None:
    with private_postgres() as pg:
        env = server_env(pg.url, GUNICORN_ACCESSLOG="/dev/null")
        srv = start(env, tmp_path, workers=2)
        events: list[str] = []
        restarter: list[threading.Thread] = []

        def outage() -> None:
            # stop, stay down for 2 s (longer than one request), start again: the restart WeChat's retries span
            try:
                pg._run("pg_ctl", "stop", "-D", str(pg.data), "-m", "fast", "-w", "-t", "30")
                events.append("stopped")
                time.sleep(2.0)
            finally:
                pg.start()
                events.append("started")

        def on_tick(elapsed: float, in_flight: int, failed: int) -> None:
            if not restarter and elapsed > 3.0:
                restarter.append(threading.Thread(target=outage, name="pg-outage"))
                restarter[0].start()

        try:
            result, accounting = _load(
                srv, env, pg.url, rate=15, seconds=10, concurrency=32, retry_after=2.0, on_tick=on_tick
            )
        finally:
            for t in restarter:
                t.join(timeout=60)
            if not pg.ready():
                pg.start()  # never leave it down, even when the test failed half-way
            srv.stop()
        assert events == ["stopped", "started"]
        statuses = result.statuses()
        assert statuses.get(503, 0) > 0, f"the outage was not seen by any push: {statuses}"
        assert set(statuses) <= {200, 503}, f"only 200 or 503 (WeChat retries both): {statuses}"
        _check_accounting(result, accounting)


# -- Redis down ---------------------------------------------------------------------------------------------------


def test_redis_down_the_webhook_serves_and_the_flood_limit_falls_back(production_db_url: str, tmp_path: Path) -> None:
    env = server_env(production_db_url, dead_redis_url(), GUNICORN_ACCESSLOG="/dev/null")
    srv = start(env, tmp_path, workers=2)
    try:
        result, accounting = _load(srv, env, production_db_url, reconcile=False, rate=10, seconds=3, concurrency=16)
        signer = PushSigner(token=env["WECHAT_TOKEN"], aes_key=env["WECHAT_AES_KEY"], app_id=env["WECHAT_APP_ID"])
        replies = []
        with requests.Session() as http:  # one keep-alive connection: mostly one worker, hence one bucket
            for _ in range(70):  # 2 workers x 30 per minute is the most the fallback can let through
                push = signer.sign(message_xml("text", sender="o_flooder_1", Content="你好"))
                resp = http.post(srv.url + "/wechat", params=push.query, data=push.body, timeout=10)
                assert resp.status_code == 200
                replies.append(reply_content(signer.open_reply(resp.text)) or "")
    finally:
        srv.stop()
    assert result.first_attempt_failures == 0 and result.lost == 0, result.summary()
    assert accounting.missing == [] and accounting.pending == 0, accounting.summary()
    limited = [r for r in replies if "频繁" in r]
    assert 10 <= len(limited) <= 40, f"{len(limited)} of 70 limited"
    engine = make_engine(production_db_url)
    try:
        with engine.connect() as conn:
            ignored = conn.execute(sa.text("SELECT count(*) FROM inbound_messages WHERE outcome = 'ignored' AND "
                                           "reply_text LIKE '%频繁%'")).scalar_one()  # fmt: skip
    finally:
        engine.dispose()
    assert ignored == len(limited), "every limited push is still in the ledger, as ignored"
    assert "redis unavailable" in srv.log()


# -- the WeChat API slow or failing ---------------------------------------------------------------------------


def test_wechat_api_slow_or_failing_leaves_the_webhook_alone_and_the_outbox_drains_after(
    production_db_url: str, tmp_path: Path
) -> None:
    with start_fake_wechat(FakeWechat(BENCH_APP_ID, BENCH_APP_SECRET)) as fake:
        env = server_env(production_db_url, GUNICORN_ACCESSLOG="/dev/null", WECHAT_API_BASE_URL=fake.url)
        srv = start(env, tmp_path, workers=2)
        settings = load_settings(env, env_file=None)
        wechat = settings.city.wechat.model_copy(update={"api_timeout_seconds": 0.5})
        app = create_app(dataclasses.replace(settings, city=settings.city.model_copy(update={"wechat": wechat})))
        rt = runtime(app)
        with rt.db.transaction() as session:  # every supervisor bound, so their notices are sendable
            for sup in settings.city.supervisors:
                session.add(SupervisorBinding(supervisor_id=sup.id, openid=f"o_sup_{sup.id}",
                                              pseudonym=rt.pseudonymize(f"o_sup_{sup.id}"), bound_at=rt.now()))  # fmt: skip
        # The API is down hard: slow answers (past the 0.5 s client timeout), HTTP 500s and resets, forever.
        fake.state.inject("message/template/send", *([{"delay": 1.0}, {"http": 500}, {"reset": True}] * 30),
                          {"http": 500}, forever=True)  # fmt: skip
        fake.state.inject("message/custom/send", {"http": 500}, forever=True)
        stop = threading.Event()
        drained: list[dict[str, int | str | None]] = []

        def drainer() -> None:
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                drained.append(drain(rt, now=datetime.now(UTC), limit=5, rate_per_second=1000).as_dict())
                stop.wait(0.1)

        thread = threading.Thread(target=drainer, name="drain-during-outage")
        try:
            quiet, quiet_acc = _load(srv, env, production_db_url, reconcile=False, rate=10, seconds=3, concurrency=16)
            thread.start()
            busy, busy_acc = _load(srv, env, production_db_url, reconcile=False, rate=10, seconds=4, concurrency=16)
        finally:
            stop.set()
            thread.join(timeout=90)
            srv.stop()
        assert sum(int(d["retry"] or 0) for d in drained) > 0, "the drain never met the outage"
        for result, acc in ((quiet, quiet_acc), (busy, busy_acc)):
            assert result.first_attempt_failures == 0 and result.lost == 0, result.summary()
            assert acc.missing == [] and acc.pending == 0, acc.summary()
        p99_quiet = quiet.percentiles()["p99"]
        p99_busy = busy.percentiles()["p99"]
        print(f"webhook p99 with the API healthy {p99_quiet:.0f} ms, while it fails {p99_busy:.0f} ms")
        assert p99_busy < 5000, "WeChat would have given up on the webhook"

        # WeChat recovers: every row goes out, each exactly once.
        fake.state.clear_faults()
        later = datetime.now(UTC) + timedelta(hours=3)  # past every back-off
        for _ in range(50):
            if drain(rt, now=later, limit=100, rate_per_second=1000).claimed == 0:
                break
        with rt.db.transaction() as session:
            by_status = dict(session.execute(sa.text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
            keys = session.execute(sa.text("SELECT count(*), count(DISTINCT idempotency_key) FROM outbox")).one()
        rt.db.dispose()
        delivered = fake.state.messages
        assert set(by_status) == {"sent"}, by_status
        assert len(delivered) == by_status["sent"] == keys[0] == keys[1]
