"""The per-citizen flood limit (RELIABILITY 5.9 item 76, DESIGN "Scale": Redis for rate limits).

More than 30 pushes a minute from one pseudonym: a polite reply, no dialog, still one ledger row ("ignored").
Redis counts across workers; with Redis down each process falls back to its own token bucket. The Redis
variant follows the suite's rule: it skips only when TEST_REDIS_URL is unset and services are not required.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
import sqlalchemy as sa

import bot.service.intake
from bot import create_app
from bot import ratelimit
from bot.ratelimit import FloodLimiter
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from storage.db import make_engine
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.conftest import make_settings
from tests.conftest import redis_url_or_skip
from tests.live.services import dead_redis_url

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def count(url: str, sql: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def dispatched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Keys of the pushes the dialog actually handled."""
    calls: list[str] = []
    real = bot.service.intake.dispatch

    def counting(msg, ctx):  # type: ignore[no-untyped-def]
        calls.append(msg.key)
        return real(msg, ctx)

    monkeypatch.setattr(bot.service.intake, "dispatch", counting)
    return calls


def make_wechat(db_url: str, clock: Clock, redis_url: str) -> Iterator[WeChat]:
    settings = make_settings(db_url, REDIS_URL=redis_url)
    app = create_app(settings, clock=clock)
    try:
        yield WeChat(app.test_client(), clock, settings)
    finally:
        rt = app.extensions["zhiyong"]
        limiter = rt.services.get("flood_limiter")
        if limiter is not None:
            limiter.close()
        rt.db.dispose()


# -- the token bucket (the fallback) ----------------------------------------------------------------------------


def test_the_bucket_allows_thirty_a_minute_then_refills() -> None:
    lim = FloodLimiter(None)
    verdicts = [lim.check("p1", T0).limited for _ in range(31)]
    assert verdicts == [False] * 30 + [True]
    assert not lim.check("p2", T0).limited, "another citizen is not affected"
    assert lim.check("p1", T0 + timedelta(seconds=1)).limited, "half a token after one second"
    assert not lim.check("p1", T0 + timedelta(seconds=3)).limited
    assert not lim.check("p1", T0 + timedelta(minutes=5)).limited


def test_the_bucket_keeps_memory_flat_however_many_citizens_write() -> None:
    lim = FloodLimiter(None, max_tracked=100)
    for i in range(1000):
        lim.check(f"p{i}", T0)
    assert lim.tracked == 100


def test_without_redis_url_there_is_no_limit(sqlite_url: str, clock: Clock) -> None:
    settings = make_settings(sqlite_url)
    app = create_app(settings, clock=clock)
    try:
        assert ratelimit.limiter(app.extensions["zhiyong"]) is None
    finally:
        app.extensions["zhiyong"].db.dispose()


# -- through the webhook ----------------------------------------------------------------------------------------


def _flood(wechat: WeChat, openid: str, n: int) -> list[str]:
    return [wechat.text("你好", openid) or "" for _ in range(n)]


def test_redis_down_the_webhook_limits_with_the_local_bucket(
    sqlite_url: str, clock: Clock, dispatched: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    for wechat in make_wechat(sqlite_url, clock, dead_redis_url()):
        replies = _flood(wechat, "o_flood_1", 32)
        assert all("频繁" not in r for r in replies[:30])
        assert all("频繁" in r for r in replies[30:])
        assert len(dispatched) == 30, "a limited push never reaches the dialog"
        # Someone else is unaffected; state changes are never limited.
        assert "频繁" not in (wechat.text("你好", "o_other") or "")
        assert "欢迎" in (wechat.event("subscribe", "o_flood_1") or "")
        # WeChat's retry of a limited push is a duplicate: the identical answer, no second row.
        xml = message_xml("text", sender="o_flood_1", create_time=int(clock.now.timestamp()), msg_id="990001",
                          Content="你好")  # fmt: skip
        first, again = (wechat.post_xml(xml, nonce="4711").get_data(as_text=True) for _ in range(2))
        assert first == again and "频繁" in (reply_content(wechat.signer.open_reply(first)) or "")
    assert count(sqlite_url, "SELECT count(*) FROM inbound_messages WHERE outcome = 'ignored'") == 3
    assert count(sqlite_url, "SELECT count(*) FROM inbound_messages") == 32 + 1 + 1 + 1
    assert any("redis unavailable" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert "o_flood_1" not in record.getMessage()


def test_the_limit_window_passes(sqlite_url: str, clock: Clock) -> None:
    for wechat in make_wechat(sqlite_url, clock, dead_redis_url()):
        _flood(wechat, "o_flood_2", 31)
        clock.advance(seconds=61)
        assert "频繁" not in (wechat.text("你好", "o_flood_2") or "")


@pytest.fixture
def redis_url() -> str:
    # Keys are per pseudonym and minute and expire after 120 s; the openids below are unique per run.
    return redis_url_or_skip()


def test_with_redis_two_workers_share_one_count(
    any_db_url: str, clock: Clock, redis_url: str, dispatched: list[str]
) -> None:
    openid = "o_flood_" + uuid.uuid4().hex[:12]  # concurrent runs never share a key
    first = make_wechat(any_db_url, clock, redis_url)
    second = make_wechat(any_db_url, clock, redis_url)  # another process: its own app, engine and limiter
    worker_a, worker_b = next(first), next(second)
    try:
        replies = _flood(worker_a, openid, 15) + _flood(worker_b, openid, 15) + _flood(worker_a, openid, 2)
    finally:
        for gen in (first, second):
            gen.close()
    assert ["频繁" in r for r in replies] == [False] * 30 + [True] * 2
    assert len(dispatched) == 30
    assert count(any_db_url, "SELECT count(*) FROM inbound_messages WHERE outcome = 'ignored'") == 2
    lim = FloodLimiter(redis_url)
    try:
        verdict = lim.check("p-unrelated-" + openid, clock.now)
    finally:
        lim.close()
    assert verdict.backend == "redis" and not verdict.limited and verdict.count == 1


def test_a_flood_of_long_messages_never_reaches_the_classifier(
    sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The classification ahead of the transaction (issue 18) runs only for pushes the limit lets through."""
    texts: list[str] = []
    gen = make_wechat(sqlite_url, clock, dead_redis_url())
    wechat = next(gen)
    try:
        classifier = wechat.client.application.extensions["zhiyong"].classifier
        real = type(classifier).classify

        def counting(self, text):  # type: ignore[no-untyped-def]
            texts.append(text)
            return real(self, text)

        monkeypatch.setattr(type(classifier), "classify", counting)
        story = "车管所窗口的人让我明天再来，已经是第三次了"
        replies = [wechat.text(f"{story}（第{i}条）", "o_flood_long") or "" for i in range(33)]
    finally:
        gen.close()
    assert ["频繁" in r for r in replies] == [False] * 30 + [True] * 3
    assert texts and not any("第30条" in t or "第31条" in t or "第32条" in t for t in texts)
    assert count(sqlite_url, "SELECT count(*) FROM inbound_messages WHERE outcome = 'ignored'") == 3
