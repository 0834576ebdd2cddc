"""The outbox sender against a loopback fake of WeChat's API: channels, faults, token ownership, concurrency, privacy.

Every test drives `bot.wechat.sender.drain` with the injected clock and asserts on what the fake actually received.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
import requests
import sqlalchemy as sa

from bot import create_app
from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import RunningFake
from bot.dev.fake_wechat import fetch_messages
from bot.dev.fake_wechat import start_fake_wechat
from bot.logs import StripQuery
from bot.runtime import Runtime
from bot.runtime import runtime
from bot.wechat.api import WechatApi
from bot.wechat.sender import drain
from bot.wechat.token import TokenOwner
from storage import citizens
from storage import outbox
from storage.models import AccessToken
from storage.models import Citizen
from storage.models import OutboxMessage
from storage.models import SupervisorBinding
from tests.conftest import TEST_APP_ID
from tests.conftest import Clock
from tests.conftest import make_settings
from tests.conftest import redis_url_or_skip

TEST_SECRET = "test-app-secret-0001"
TEMPLATE_IDS = {"demo_case_update_tpl", "demo_supervisor_notice_tpl"}
COMPLAINT = "窗口工作人员态度恶劣，让我跑了三趟，我的电话13812345678"


# -- fixtures and helpers -----------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    with start_fake_wechat(FakeWechat(TEST_APP_ID, TEST_SECRET, templates=TEMPLATE_IDS)) as running:
        yield running


MakeRt = Callable[..., Runtime]


@pytest.fixture
def make_rt(any_db_url: str, fake: RunningFake, clock: Clock) -> Iterator[MakeRt]:
    """A fresh app (its own engine, like another process) pointed at the fake; `read_timeout` for timeouts."""
    apps: list[Any] = []

    def factory(read_timeout: float = 2.0, **env: str) -> Runtime:
        env.setdefault("WECHAT_API_BASE_URL", fake.url)
        settings = make_settings(any_db_url, **env)
        wechat = settings.city.wechat.model_copy(update={"api_timeout_seconds": read_timeout})
        settings = dataclasses.replace(settings, city=settings.city.model_copy(update={"wechat": wechat}))
        app = create_app(settings, clock=clock)
        apps.append(app)
        return runtime(app)

    yield factory
    for app in apps:
        runtime(app).db.dispose()


@pytest.fixture
def rt(make_rt: MakeRt) -> Runtime:
    return make_rt()


def add_citizen(rt: Runtime, openid: str, *, last_message_at: datetime | None) -> str:
    pseudonym = rt.pseudonymize(openid)
    with rt.db.transaction() as session:
        citizens.touch(
            session=session, pseudonym=pseudonym, openid=openid, at=rt.now() - timedelta(days=30), message=False
        )
        citizen = session.get(Citizen, pseudonym)
        assert citizen is not None
        citizen.last_message_at = last_message_at
    return pseudonym


def bind_supervisor(rt: Runtime, supervisor_id: str, openid: str) -> None:
    with rt.db.transaction() as session:
        session.add(
            SupervisorBinding(
                supervisor_id=supervisor_id, openid=openid, pseudonym=rt.pseudonymize(openid), bound_at=rt.now()
            )
        )


def citizen_payload(number: str = "ZY2611270001", text: str | None = None) -> dict[str, Any]:
    return {
        "text": text or f"您反映的问题（工单号 {number}）已签收，我们会尽快办理。",
        "template": {
            "kind": "case_update",
            "case_number": number,
            "state": "已签收",
            "note": "督办人员已签收，正在核实处理中请耐心等待结果",
            "time": "2026-11-27 10:00",
        },
    }


def supervisor_payload(link: str = "https://zy.example.gov.cn/console/cases/abc") -> dict[str, Any]:
    return {
        "text": f"新工单 ZY2611270001 待签收。您当前有 1 件待签收、0 件超期工单，请登录督办台处理：{link}",
        "template": {"kind": "supervisor_notice", "count_new": 1, "count_overdue": 0, "link": link},
    }


def enqueue(
    rt: Runtime, key: str, recipient: str, payload: dict[str, Any], *, kind: str = "citizen", channel: str = "auto"
) -> None:
    with rt.db.transaction() as session:
        assert outbox.enqueue(
            session=session,
            key=key,
            recipient_kind=kind,
            recipient=recipient,
            purpose="test",
            payload=payload,
            now=rt.now(),
            channel=channel,
        )


def row(rt: Runtime, key: str) -> OutboxMessage:
    with rt.db.transaction() as session:
        found = session.scalar(sa.select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        assert found is not None
        return found


def run(rt: Runtime, clock: Clock, **kwargs: Any):  # type: ignore[no-untyped-def]
    return drain(rt, now=clock.now, rate_per_second=1000, **kwargs)


def send_calls(fake: RunningFake, endpoint: str) -> int:
    return sum(1 for c in fake.state.calls if c["endpoint"] == endpoint)


# -- channels ------------------------------------------------------------------------------------------------


def test_citizen_inside_the_window_gets_a_customer_service_text(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_1", last_message_at=clock.now - timedelta(hours=3))
    enqueue(rt, "k1", who, citizen_payload())

    report = run(rt, clock)

    assert (report.claimed, report.sent) == (1, 1)
    [msg] = fake.state.messages
    assert msg["kind"] == "customer" and msg["openid"] == "o_citizen_1"
    assert msg["text"] == citizen_payload()["text"]
    sent = row(rt, "k1")
    assert (sent.status, sent.sent_channel, sent.attempts, sent.claimed_by) == ("sent", "customer", 1, None)


def test_citizen_outside_the_window_gets_a_template_message(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_2", last_message_at=clock.now - timedelta(hours=49))
    enqueue(rt, "k2", who, citizen_payload())

    assert run(rt, clock).sent == 1

    [msg] = fake.state.messages
    assert msg["kind"] == "template" and msg["template_id"] == "demo_case_update_tpl"
    data = msg["data"]
    assert set(data) == {"character_string1", "phrase2", "thing3", "time4"}
    assert data["character_string1"]["value"] == "ZY2611270001"
    assert data["phrase2"]["value"] == "已签收"
    assert all(len(v["value"]) <= 20 and "\n" not in v["value"] for v in data.values())
    sent = row(rt, "k2")
    assert sent.sent_channel == "template" and sent.wechat_msgid == msg["msgid"]

    # TEMPLATESENDJOBFINISH, as the webhook will record it.
    with rt.db.transaction() as session:
        assert outbox.record_template_status(session=session, msgid=msg["msgid"], status="failed:user block")
        assert not outbox.record_template_status(session=session, msgid="999", status="success")
    assert row(rt, "k2").delivery_status == "failed:user block"


def test_45015_falls_back_to_one_template_message(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    # Our record says the window is open, WeChat disagrees (the citizen's last message was elsewhere in time).
    who = add_citizen(rt, "o_citizen_3", last_message_at=clock.now - timedelta(hours=47))
    fake.state.window_closed.add("o_citizen_3")
    enqueue(rt, "k3", who, citizen_payload())

    assert run(rt, clock).sent == 1

    assert [m["kind"] for m in fake.state.messages] == ["template"]
    assert send_calls(fake, "message/custom/send") == 1
    assert row(rt, "k3").sent_channel == "template"


def test_45015_without_a_template_fails_for_staff(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_4", last_message_at=clock.now - timedelta(hours=1))
    fake.state.window_closed.add("o_citizen_4")
    enqueue(rt, "k4", who, {"text": "只有文字"})

    assert run(rt, clock).failed == 1
    failed = row(rt, "k4")
    assert failed.status == "failed" and "45015" in (failed.last_error or "")
    assert fake.state.messages == []


# -- faults: retried with back-off, delivered exactly once ---------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [{"http": 500}, -1, {"delay": 3.0}, {"reset": True}, 45011],
    ids=["http500", "busy", "timeout", "reset", "freq"],
)
def test_transient_faults_retry_with_backoff_then_deliver_once(
    make_rt: MakeRt, fake: RunningFake, clock: Clock, fault: Any
) -> None:
    # A read timeout well above a loaded CI machine's loopback latency, well below the injected delay; the token
    # is fetched first, so the timeout can only land on the send it is meant for.
    rt = make_rt(read_timeout=1.0)
    with WechatApi.from_runtime(rt) as api:
        api.tokens.get()
    who = add_citizen(rt, "o_citizen_5", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k5", who, citizen_payload())
    fake.state.inject("message/custom/send", fault, fault)

    first = run(rt, clock)
    assert (first.retry, first.sent) == (1, 0)
    waiting = row(rt, "k5")
    assert waiting.status == "pending" and waiting.attempts == 1
    assert waiting.next_attempt_at == clock.now + timedelta(seconds=30)
    assert waiting.last_error and "o_citizen_5" not in waiting.last_error

    assert run(rt, clock).claimed == 0  # not due yet: no retry storm
    clock.advance(seconds=30)
    assert run(rt, clock).retry == 1
    assert row(rt, "k5").next_attempt_at == clock.now + timedelta(seconds=60)
    clock.advance(seconds=60)
    assert run(rt, clock).sent == 1

    assert len(fake.state.messages) == 1
    assert row(rt, "k5").attempts == 3


def test_retries_give_up_after_the_attempt_cap(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_6", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k6", who, citizen_payload())
    fake.state.inject("message/custom/send", -1, forever=True)

    delays = []
    for _ in range(outbox.MAX_ATTEMPTS):
        run(rt, clock)
        current = row(rt, "k6")
        if current.status != "pending":
            break
        delays.append((current.next_attempt_at - clock.now).total_seconds())
        clock.now = current.next_attempt_at

    final = row(rt, "k6")
    assert final.status == "failed" and final.attempts == outbox.MAX_ATTEMPTS
    assert "out of attempts" in (final.last_error or "")
    assert delays == [30, 60, 120, 240, 480, 960, 1920]
    assert fake.state.messages == []


# -- the access token ------------------------------------------------------------------------------------------


def test_40001_refreshes_the_token_once_and_retries_once(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_7", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k7", who, citizen_payload())
    fake.state.inject("message/custom/send", 40001)

    assert run(rt, clock).sent == 1

    assert [c["force"] for c in fake.state.token_calls] == [False, True]
    assert send_calls(fake, "message/custom/send") == 2
    assert len(fake.state.messages) == 1


def test_expired_token_42001_is_replaced(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_8", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k8a", who, citizen_payload("ZY2611270001"))
    assert run(rt, clock).sent == 1
    fake.state.expire_tokens()  # WeChat expired it before our clock says so
    enqueue(rt, "k8b", who, citizen_payload("ZY2611270002"))

    assert run(rt, clock).sent == 1
    assert fake.state.stable_token_calls() == 2
    assert len(fake.state.messages) == 2


def test_40001_forever_parks_the_row_with_at_most_two_token_calls(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_9", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k9a", who, citizen_payload("ZY2611270001"))
    enqueue(rt, "k9b", who, citizen_payload("ZY2611270002"))
    fake.state.inject("message/custom/send", 40001, forever=True)

    report = run(rt, clock)  # no RecursionError: one refresh, one retry, then stop

    assert report.parked == 1 and report.released == 1 and report.stopped
    parked = row(rt, "k9a")
    assert parked.status == "parked" and parked.parked_until is None and "40001" in (parked.last_error or "")
    assert row(rt, "k9b").status == "pending" and row(rt, "k9b").attempts == 0
    assert fake.state.stable_token_calls() == 2
    assert send_calls(fake, "message/custom/send") == 2

    # Ten seconds later the next drain may not force another refresh (WeChat: ≥ 30 s apart).
    clock.advance(seconds=10)
    again = run(rt, clock)
    assert again.stopped and fake.state.stable_token_calls() == 2
    assert row(rt, "k9b").status == "pending"
    assert fake.state.messages == []


def test_fatal_configuration_stops_the_drain(rt: Runtime, fake: RunningFake, clock: Clock, caplog) -> None:  # type: ignore[no-untyped-def]
    who = add_citizen(rt, "o_citizen_10", last_message_at=clock.now - timedelta(hours=1))
    for n in range(3):
        enqueue(rt, f"k10-{n}", who, citizen_payload(f"ZY261127000{n}"))
    fake.state.inject("message/custom/send", 40164)

    report = run(rt, clock)

    assert report.stopped and "whitelist" in report.stopped
    assert report.released == 3 and report.sent == 0
    assert send_calls(fake, "message/custom/send") == 1  # stopped instead of burning quota
    assert all(row(rt, f"k10-{n}").status == "pending" and row(rt, f"k10-{n}").attempts == 0 for n in range(3))
    assert any("ALERT" in r.getMessage() for r in caplog.records)
    assert run(rt, clock).sent == 3  # the operator fixed the whitelist


def test_wrong_app_secret_stops_before_any_send(make_rt: MakeRt, fake: RunningFake, clock: Clock) -> None:
    rt = make_rt(WECHAT_APP_SECRET="not-the-right-secret")
    who = add_citizen(rt, "o_citizen_11", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k11", who, citizen_payload())

    report = run(rt, clock)

    assert report.stopped and "40125" in report.stopped
    assert row(rt, "k11").status == "pending" and row(rt, "k11").attempts == 0
    assert send_calls(fake, "message/custom/send") == 0


# -- permanent errors and quota ------------------------------------------------------------------------------------


@pytest.mark.parametrize("setup", ["unsubscribed", "bad_openid"])
def test_permanent_errors_fail_without_retries(rt: Runtime, fake: RunningFake, clock: Clock, setup: str) -> None:
    openid = "o_gone" if setup == "unsubscribed" else "o_wrong_app"
    who = add_citizen(rt, openid, last_message_at=clock.now - timedelta(hours=1))
    if setup == "unsubscribed":
        fake.state.unsubscribed.add(openid)
    else:
        fake.state.inject("message/custom/send", 40003)
    enqueue(rt, "k12", who, citizen_payload())

    assert run(rt, clock).failed == 1
    failed = row(rt, "k12")
    assert failed.status == "failed" and failed.attempts == 1
    assert ("43004" if setup == "unsubscribed" else "40003") in (failed.last_error or "")
    clock.advance(hours=5)
    assert run(rt, clock).claimed == 0
    assert send_calls(fake, "message/custom/send") == 1


def test_43004_marks_the_citizen_unsubscribed_until_they_subscribe_again(
    rt: Runtime, fake: RunningFake, clock: Clock
) -> None:
    openid = "o_left_quietly"
    who = add_citizen(rt, openid, last_message_at=clock.now - timedelta(hours=1))
    fake.state.unsubscribed.add(openid)  # the unsubscribe event never reached us
    enqueue(rt, "k43a", who, citizen_payload("ZY2611270001"))
    assert run(rt, clock).failed == 1
    with rt.db.transaction() as session:
        citizen = session.get(Citizen, who)
        assert citizen is not None and citizen.subscribed is False and citizen.unsubscribed_at == clock.now
    # Later messages to them fail here, without another call WeChat would refuse.
    enqueue(rt, "k43b", who, citizen_payload("ZY2611270002"))
    assert run(rt, clock).failed == 1
    assert row(rt, "k43b").last_error == "citizen unsubscribed"
    assert send_calls(fake, "message/custom/send") == 1
    # Following the account again turns messages back on.
    with rt.db.transaction() as session:
        citizens.set_subscribed(session=session, pseudonym=who, subscribed=True, at=clock.now)
    fake.state.unsubscribed.discard(openid)
    enqueue(rt, "k43c", who, citizen_payload("ZY2611270003"))
    assert run(rt, clock).sent == 1


def test_quota_parks_until_midnight_in_shanghai(rt: Runtime, fake: RunningFake, clock: Clock, caplog) -> None:  # type: ignore[no-untyped-def]
    who = add_citizen(rt, "o_citizen_13", last_message_at=None)  # template path
    enqueue(rt, "k13a", who, citizen_payload("ZY2611270001"))
    enqueue(rt, "k13b", who, citizen_payload("ZY2611270002"))
    fake.state.inject("message/template/send", 45009)

    report = run(rt, clock)

    assert report.parked == 2
    midnight = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 2026-11-28 00:00 +08:00
    for key in ("k13a", "k13b"):
        parked = row(rt, key)
        assert parked.status == "parked" and parked.parked_until == midnight
    assert send_calls(fake, "message/template/send") == 1  # the second row was parked without a call
    assert any("ALERT" in r.getMessage() and "45009" in r.getMessage() for r in caplog.records)

    clock.now = midnight - timedelta(seconds=1)
    assert run(rt, clock).claimed == 0
    clock.now = midnight
    resumed = run(rt, clock)
    assert resumed.unparked == 2 and resumed.sent == 2
    assert len(fake.state.messages) == 2


def test_missing_template_id_parks_for_staff_and_unpark_releases(
    make_rt: MakeRt, fake: RunningFake, clock: Clock
) -> None:
    rt = make_rt()
    wechat = rt.settings.city.wechat.model_copy(update={"templates": {}})
    rt.settings = dataclasses.replace(rt.settings, city=rt.settings.city.model_copy(update={"wechat": wechat}))
    who = add_citizen(rt, "o_citizen_14", last_message_at=None)
    enqueue(rt, "k14", who, citizen_payload())

    assert run(rt, clock).parked == 1
    parked = row(rt, "k14")
    assert parked.status == "parked" and "no template id" in (parked.last_error or "")
    with rt.db.transaction() as session:
        assert outbox.unpark(session=session, now=clock.now, recipient=who) == [parked.id]
    assert row(rt, "k14").status == "pending"


# -- supervisors and privacy ---------------------------------------------------------------------------------------


def test_supervisor_payloads_never_carry_openid_phone_or_complaint(
    rt: Runtime, fake: RunningFake, clock: Clock
) -> None:
    who = add_citizen(rt, "o_reporter_1", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "cit", who, citizen_payload(text=f"您的反映已受理：{COMPLAINT}"))
    bind_supervisor(rt, "sup_bdc", "o_sup_bdc")
    bind_supervisor(rt, "sup_jw", "o_sup_jw")
    # sup_bdc talked to the account an hour ago (window open); sup_jw never did (template).
    add_citizen(rt, "o_sup_bdc", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "sup1", "sup_bdc", supervisor_payload(), kind="supervisor")
    enqueue(rt, "sup2", "sup_jw", supervisor_payload(), kind="supervisor")
    enqueue(rt, "sup3", "sup_zwfw", supervisor_payload(), kind="supervisor")  # never bound
    leaky = supervisor_payload()
    leaky["template"]["excerpt"] = COMPLAINT
    enqueue(rt, "sup4", "sup_bdc", leaky, kind="supervisor")
    enqueue(rt, "sup5", "sup_bdc", {"text": f"新工单：{COMPLAINT}"}, kind="supervisor")

    report = run(rt, clock)

    assert (report.sent, report.parked) == (3, 3)
    assert row(rt, "sup3").last_error == "supervisor not bound"
    assert "counts and link" in (row(rt, "sup4").last_error or "")
    assert "phone" in (row(rt, "sup5").last_error or "")
    to_supervisors = [m for m in fake.state.messages if m["openid"] in ("o_sup_bdc", "o_sup_jw")]
    assert {m["kind"] for m in to_supervisors} == {"customer", "template"}
    blob = json.dumps(to_supervisors, ensure_ascii=False)
    for secret in ("o_reporter_1", "13812345678", "态度恶劣", "跑了三趟", who):
        assert secret not in blob
    template = next(m for m in to_supervisors if m["kind"] == "template")
    assert template["url"] == "https://zy.example.gov.cn/console/cases/abc"
    assert set(template["data"]) == {"number1", "number2", "thing3", "time4"}


def test_the_simulator_reads_what_the_fake_received(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_15", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k15a", who, citizen_payload("ZY2611270001"))
    enqueue(rt, "k15b", who, citizen_payload("ZY2611270002"))
    run(rt, clock)

    everything = fetch_messages(fake.url, openid="o_citizen_15")
    assert [m["kind"] for m in everything["messages"]] == ["customer", "customer"]
    later = fetch_messages(fake.url, openid="o_citizen_15", since=everything["messages"][0]["id"])
    assert len(later["messages"]) == 1 and later["last_id"] == everything["last_id"]
    assert fetch_messages(fake.url, openid="o_nobody")["messages"] == []
    resp = requests.post(
        f"{fake.url}/_fake/faults", json={"endpoint": "message/custom/send", "faults": [-1]}, timeout=2
    )
    assert resp.json() == {"ok": True}
    assert requests.get(f"{fake.url}/_fake/state", timeout=2).json()["messages"] == 2


def test_permanent_qr_codes_and_callback_ips(rt: Runtime, fake: RunningFake) -> None:
    with WechatApi.from_runtime(rt) as api:
        qr = api.create_qrcode("unit=bdc;window=5")
        assert api.callback_ips() == ["127.0.0.1", "::1"]
        with pytest.raises(ValueError):
            api.create_qrcode("x" * 65)
    assert qr.url.startswith("http://weixin.qq.com/q/") and qr.ticket
    assert fake.state.qrcodes == [{"scene": "unit=bdc;window=5", "ticket": qr.ticket}]
    assert fake.state.stable_token_calls() == 1


# -- concurrency -----------------------------------------------------------------------------------------------


def test_two_concurrent_drains_send_nothing_twice(make_rt: MakeRt, fake: RunningFake, clock: Clock) -> None:
    first, second = make_rt(), make_rt()  # two engines, as two processes would have
    who = add_citizen(first, "o_citizen_16", last_message_at=clock.now - timedelta(hours=1))
    for n in range(60):
        enqueue(first, f"k16-{n}", who, citizen_payload(text=f"message {n}"))
    barrier = threading.Barrier(2)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def worker(rt: Runtime, name: str) -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(10):
                reports.append(drain(rt, now=clock.now, limit=7, worker_id=name, rate_per_second=1000))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(rt, f"w{i}")) for i, rt in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors

    counts = Counter(m["text"] for m in fake.state.messages)
    assert len(counts) == 60 and set(counts.values()) == {1}
    assert sum(r.sent for r in reports) == 60
    with first.db.transaction() as session:
        assert session.scalar(sa.select(sa.func.count()).where(OutboxMessage.status != "sent")) == 0


def test_a_dead_workers_claim_is_taken_over_after_five_minutes(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    who = add_citizen(rt, "o_citizen_17", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k17", who, citizen_payload())
    with rt.db.transaction() as session:
        assert len(outbox.claim_due(session=session, now=clock.now, limit=10, worker="dead-worker")) == 1

    clock.advance(minutes=4)
    assert run(rt, clock).claimed == 0
    clock.advance(minutes=2)
    report = run(rt, clock)

    assert report.stale == 1 and report.sent == 1
    done = row(rt, "k17")
    assert done.status == "sent" and done.attempts == 2
    with rt.db.transaction() as session:  # the dead worker wakes up: its settle must not overwrite anything
        assert not outbox.mark_failed(
            session=session, message_id=done.id, worker="dead-worker", now=clock.now, reason="late"
        )
    assert row(rt, "k17").status == "sent"


# -- one token owner -------------------------------------------------------------------------------------------


def _owners(rt: Runtime, fake: RunningFake, n: int, redis_url: str | None = None) -> list[TokenOwner]:
    return [
        TokenOwner(
            app_id=rt.settings.env.wechat_app_id,
            app_secret=rt.settings.env.wechat_app_secret,
            base_url=fake.url,
            db=rt.db,
            http=requests.Session(),
            timeout=(3, 5),
            clock=rt.clock,
            redis_url=redis_url,
        )
        for _ in range(n)
    ]


def _close(owners: list[TokenOwner]) -> None:
    for owner in owners:
        owner.close()
        owner._http.close()


def _race(owners: list[TokenOwner]) -> list[str]:
    barrier = threading.Barrier(len(owners))
    tokens: list[str] = []
    errors: list[BaseException] = []

    def get(owner: TokenOwner) -> None:
        try:
            barrier.wait(timeout=10)
            tokens.append(owner.get())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=get, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    return tokens


def _seed_expired(rt: Runtime, clock: Clock) -> None:
    with rt.db.transaction() as session:
        session.add(
            AccessToken(
                app_id=rt.settings.env.wechat_app_id, token="OLD_EXPIRED", expires_at=clock.now - timedelta(minutes=1)
            )
        )


def test_eight_workers_with_an_expired_token_make_one_token_request(
    rt: Runtime, fake: RunningFake, clock: Clock
) -> None:
    _seed_expired(rt, clock)
    owners = _owners(rt, fake, 8)
    try:
        tokens = _race(owners)
    finally:
        _close(owners)
    assert fake.state.stable_token_calls() == 1
    assert len(tokens) == 8 and len(set(tokens)) == 1 and tokens[0] != "OLD_EXPIRED"
    with rt.db.transaction() as session:
        stored = session.get(AccessToken, rt.settings.env.wechat_app_id)
        assert stored is not None and stored.token == tokens[0] and stored.lease_until is None


@pytest.fixture
def redis_url() -> str:
    return redis_url_or_skip()


@pytest.fixture
def redis_app_id() -> Iterator[str]:
    """A fresh app id per test, so concurrent runs never share Redis keys; the keys are deleted afterwards."""
    app_id = "wxt" + uuid.uuid4().hex[:13]
    yield app_id
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2)
        try:
            client.delete(f"zhiyong:wechat:token:{app_id}", f"zhiyong:wechat:token-lock:{app_id}")
        finally:
            client.close()


def test_eight_workers_share_one_token_through_redis(
    make_rt: MakeRt, fake: RunningFake, clock: Clock, redis_url: str, redis_app_id: str
) -> None:
    fake.state.app_id = redis_app_id
    rt = make_rt(WECHAT_APP_ID=redis_app_id, REDIS_URL=redis_url)
    _seed_expired(rt, clock)
    owners = _owners(rt, fake, 8, redis_url)
    try:
        tokens = _race(owners)
        # A later worker finds it in Redis even if the database copy is gone.
        with rt.db.transaction() as session:
            session.execute(sa.delete(AccessToken))
        [late] = _owners(rt, fake, 1, redis_url)
        owners.append(late)
        assert late.get() == tokens[0]
    finally:
        _close(owners)
    assert fake.state.stable_token_calls() == 1
    assert len(set(tokens)) == 1


def test_redis_down_falls_back_to_the_database(make_rt: MakeRt, fake: RunningFake, clock: Clock, caplog) -> None:  # type: ignore[no-untyped-def]
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    rt = make_rt(REDIS_URL=dead)
    owners = _owners(rt, fake, 2, dead)
    try:
        first = owners[0].get()
        second = owners[1].get()  # another process: reads the database copy, no new request
    finally:
        _close(owners)
    assert first == second
    assert fake.state.stable_token_calls() == 1
    assert any("redis unavailable" in r.getMessage() for r in caplog.records)
    assert all(first not in r.getMessage() for r in caplog.records)

    # And the whole sender works with Redis down.
    who = add_citizen(rt, "o_citizen_18", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k18", who, citizen_payload())
    assert run(rt, clock).sent == 1


def test_logs_carry_ids_and_errcodes_never_openids_tokens_or_text(
    rt: Runtime, fake: RunningFake, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="zhiyong")
    caplog.handler.addFilter(StripQuery())  # production's filter rewrites args: every message must survive it
    who = add_citizen(rt, "o_citizen_20", last_message_at=clock.now - timedelta(hours=1))
    enqueue(rt, "k20a", who, citizen_payload(text=f"受理：{COMPLAINT}"))
    enqueue(rt, "k20b", who, citizen_payload("ZY2611270002"))
    enqueue(rt, "k20c", who, citizen_payload("ZY2611270003"))
    bind_supervisor(rt, "sup_bdc", "o_sup_bdc")
    enqueue(rt, "k20d", "sup_bdc", supervisor_payload(), kind="supervisor")
    fake.state.inject("message/custom/send", 40001, 45015, 43004)

    run(rt, clock)

    messages = [r.getMessage() for r in caplog.records if r.name.startswith("zhiyong")]  # all must format
    assert any("outbox drain:" in m for m in messages)
    blob = "\n".join(messages)
    tokens = fake.state.valid_tokens | fake.state.expired_tokens
    assert tokens
    for secret in ("o_citizen_20", "o_sup_bdc", "13812345678", "态度恶劣", *tokens):
        assert secret not in blob


# -- the CLI ---------------------------------------------------------------------------------------------------


def test_cli_drain_and_list(make_rt: MakeRt, fake: RunningFake, clock: Clock) -> None:
    rt = make_rt()
    app = create_app(rt.settings, clock=clock)
    try:
        who = add_citizen(rt, "o_citizen_19", last_message_at=clock.now - timedelta(hours=1))
        enqueue(rt, "k19", who, citizen_payload())
        runner = app.test_cli_runner()

        result = runner.invoke(args=["outbox", "drain", "--at", "2026-11-27T10:00:00"])
        assert result.exit_code == 0, result.output
        assert "sent=1" in result.output

        listed = runner.invoke(args=["outbox", "list", "--json", "--status", "sent"])
        assert listed.exit_code == 0, listed.output
        [entry] = json.loads(listed.stdout)
        assert entry["key"] == "k19" and entry["sent_channel"] == "customer"
        assert "payload" not in entry and "o_citizen_19" not in listed.output

        plain = runner.invoke(args=["outbox", "list"])
        assert "sent" in plain.output and "o_citizen_19" not in plain.output
    finally:
        runtime(app).db.dispose()
