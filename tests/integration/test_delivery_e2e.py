"""From a citizen's report to what WeChat's API receives: the loop through the outbox to a loopback fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot import create_app
from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import RunningFake
from bot.dev.fake_wechat import start_fake_wechat
from bot.runtime import runtime
from bot.wechat.sender import drain
from tests.conftest import TEST_APP_ID
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.conftest import make_settings
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint

CITIZEN = "o_e2e_citizen"
SUP = "o_e2e_sup_bdc"
COMPLAINT = "今天上午在不动产登记中心办过户，窗口的人态度恶劣还骂人，我的电话13800001111"


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    templates = {"demo_case_update_tpl", "demo_supervisor_notice_tpl"}
    with start_fake_wechat(FakeWechat(TEST_APP_ID, "test-app-secret-0001", templates=templates)) as running:
        yield running


@pytest.fixture
def wired(sqlite_url: str, clock: Clock, fake: RunningFake):  # type: ignore[no-untyped-def]
    settings = make_settings(sqlite_url, WECHAT_API_BASE_URL=fake.url)
    app = create_app(settings, clock=clock)
    yield app, WeChat(app.test_client(), clock, settings)
    runtime(app).db.dispose()


def test_the_bound_supervisor_and_the_citizen_each_hear_exactly_once(wired, fake: RunningFake, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    app, wechat = wired
    rt = runtime(app)
    bind(app, wechat, "sup_bdc", SUP)
    number = file_complaint(wechat, COMPLAINT, CITIZEN)
    drain(rt, now=clock.now)
    drain(rt, now=clock.now)  # a second drain sends nothing twice
    to_sup = fake.state.messages_for(SUP)
    assert len(to_sup) == 1
    received = str(to_sup[0])
    assert number in received
    for secret in ("态度", "骂人", "13800001111", CITIZEN):
        assert secret not in received
    clock.advance(minutes=5)
    wechat.text(f"签收 {number}", SUP)
    wechat.text(f"回复 {number} 经核查已对当事人批评教育并致歉", SUP)
    drain(rt, now=clock.now)
    texts = [m.get("text", "") for m in fake.state.messages_for(CITIZEN)]
    assert any("签收" in t for t in texts) and any("批评教育" in t for t in texts) and any("1A" in t for t in texts)
    assert len(texts) == len(set(texts)) == 3


def test_a_failing_api_ends_in_exactly_one_delivery(wired, fake: RunningFake, clock: Clock) -> None:  # type: ignore[no-untyped-def]
    app, wechat = wired
    rt = runtime(app)
    bind(app, wechat, "sup_bdc", SUP)
    fake.state.inject("message/custom/send", {"http": 500}, -1)
    fake.state.inject("message/template/send", {"http": 500}, -1)
    file_complaint(wechat, COMPLAINT, CITIZEN)
    for _ in range(4):
        drain(rt, now=clock.now)
        clock.advance(minutes=10)
    assert len(fake.state.messages_for(SUP)) == 1
