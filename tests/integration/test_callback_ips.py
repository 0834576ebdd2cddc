"""RELIABILITY 27: a push from an address outside WeChat's `getcallbackip` list is processed but flagged.

The list comes from the loopback fake of WeChat's API; the in-process client posts from 127.0.0.1.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from bot import create_app
from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import RunningFake
from bot.dev.fake_wechat import start_fake_wechat
from bot.runtime import runtime
from bot.wechat.callback_ips import CallbackIps
from bot.wechat.callback_ips import listed
from bot.wechat.callback_ips import parse_networks
from tests.conftest import TEST_APP_ID
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.conftest import make_settings

FLAG = "not in getcallbackip"


def test_addresses_blocks_and_mapped_ipv4_are_recognised() -> None:
    nets = parse_networks(["101.226.62.77", "2001:db8::/32", "58.251.80.0/24", "not-an-ip"])
    assert len(nets) == 3
    assert listed("101.226.62.77", nets) and listed("58.251.80.9", nets) and listed("2001:db8::1", nets)
    assert listed("::ffff:101.226.62.77", nets)  # an IPv4 peer seen on a dual-stack socket
    assert not listed("101.226.62.78", nets) and not listed("127.0.0.1", nets) and not listed("garbage", nets)


def test_unknown_until_fetched_and_a_failing_api_is_retried_later_not_per_request(clock: Clock) -> None:
    calls: list[int] = []
    answer: list[str] | Exception = RuntimeError("WeChat unreachable")

    def fetch() -> list[str]:
        calls.append(1)
        if isinstance(answer, Exception):
            raise answer
        return answer

    ips = CallbackIps(fetch, lambda: clock.now)
    assert not ips.refresh_now() and ips.check("127.0.0.1") is None  # unknown: nothing is flagged
    for _ in range(5):
        ips.check("127.0.0.1")  # within the retry pause: no new call
    assert len(calls) == 1
    answer = ["101.226.62.77"]
    clock.advance(minutes=11)
    assert ips.refresh_now()
    assert ips.check("101.226.62.77") is True and ips.check("127.0.0.1") is False
    assert len(calls) == 2


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    with start_fake_wechat(FakeWechat(TEST_APP_ID, "test-app-secret-0001")) as running:
        yield running


def _app(db_url: str, fake: RunningFake, clock: Clock, **env: str):  # type: ignore[no-untyped-def]
    return create_app(make_settings(db_url, WECHAT_API_BASE_URL=fake.url, **env), clock=clock)


def test_a_push_from_an_unlisted_address_is_answered_and_flagged(
    db_url: str, fake: RunningFake, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    fake.state.callback_ip_list = ["101.226.62.77", "101.226.103.0/24"]
    app = _app(db_url, fake, clock, WECHAT_CALLBACK_IP_CHECK="1")
    rt = runtime(app)
    try:
        assert rt.callback_ips is not None and rt.callback_ips.refresh_now()
        wechat = WeChat(app.test_client(), clock, rt.settings)
        caplog.set_level(logging.WARNING, logger="zhiyong.security")
        reply = wechat.text("不动产登记中心窗口的人态度很差，让我跑了三趟")
        assert reply  # processed as usual: the address is defence in depth, not a gate
        flagged = [r for r in caplog.records if FLAG in r.getMessage()]
        assert len(flagged) == 1 and "addr=127.0.0.1" in flagged[0].getMessage()
        assert "o_citizen_1" not in flagged[0].getMessage()

        # Once WeChat lists the address (a day later, at the next refresh), the same traffic is not flagged.
        caplog.clear()
        fake.state.callback_ip_list = ["127.0.0.1", "::1"]
        clock.advance(hours=25)
        assert rt.callback_ips.refresh_now()
        assert wechat.text("你好")
        assert not [r for r in caplog.records if FLAG in r.getMessage()]
    finally:
        rt.db.dispose()


def test_the_check_is_off_outside_production_unless_asked_for(db_url: str, fake: RunningFake, clock: Clock) -> None:
    app = _app(db_url, fake, clock)
    try:
        assert runtime(app).callback_ips is None
    finally:
        runtime(app).db.dispose()
    app = _app(db_url, fake, clock, WECHAT_CALLBACK_IP_CHECK="0", ZHIYONG_ENV="production")
    try:
        assert runtime(app).callback_ips is None
    finally:
        runtime(app).db.dispose()


def test_the_request_never_waits_for_a_slow_api(
    db_url: str, fake: RunningFake, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    # getcallbackip hangs longer than WeChat waits for an answer: the push is answered anyway.
    fake.state.inject("getcallbackip", {"delay": 5.0}, forever=True)
    app = _app(db_url, fake, clock, WECHAT_CALLBACK_IP_CHECK="1")
    rt = runtime(app)
    try:
        wechat = WeChat(app.test_client(), clock, rt.settings)
        started = time.monotonic()
        assert wechat.text("你好")
        assert time.monotonic() - started < 2.5  # the fetch alone takes 5 s
        assert rt.callback_ips is not None and rt.callback_ips.check("127.0.0.1") is None
    finally:
        rt.db.dispose()
