"""The /wechat endpoint in-process: every bad input of RELIABILITY.md 5.1–5.4 gets its deliberate answer."""

from __future__ import annotations

import base64
import io
import json
import os
import threading
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot import create_app
from bot.wechat.protocol import encrypt_payload
from bot.wechat.protocol import sha1_signature
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from storage.db import make_engine
from tests.conftest import TEST_APP_ID
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.conftest import make_settings

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "fixtures/wechat_vectors.json").read_text("utf-8"))


def count(url: str, table: str, where: str = "") -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar_one()
    finally:
        engine.dispose()


# -- 5.1 protocol conformance ------------------------------------------------------------------------------


def test_get_verification_with_the_official_vector(sqlite_url: str, clock: Clock) -> None:
    v = VECTORS["plain_url_verify_official_doc"]
    app = create_app(make_settings(sqlite_url, WECHAT_TOKEN=v["token"]), clock=clock)
    client = app.test_client()
    q = {"signature": v["signature"], "timestamp": v["timestamp"], "nonce": v["nonce"], "echostr": "5837397520"}
    resp = client.get("/wechat", query_string=q)
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == "5837397520"
    assert resp.content_type.startswith("text/plain")
    for bad in (
        {**q, "signature": "0" * 40},
        {**q, "signature": v["signature"].upper()},
        {k: val for k, val in q.items() if k != "nonce"},
        {},
    ):
        resp = client.get("/wechat", query_string=bad)
        assert resp.status_code == 403
        assert "5837397520" not in resp.get_data(as_text=True)
    app.extensions["zhiyong"].db.dispose()


def test_official_safe_mode_push_is_handled(sqlite_url: str) -> None:
    v = VECTORS["E_official_doc_safe_mode"]
    settings = make_settings(
        sqlite_url, WECHAT_TOKEN=v["token"], WECHAT_AES_KEY=v["encoding_aes_key"], WECHAT_APP_ID=v["appid"]
    )
    app = create_app(settings, clock=Clock(datetime.fromtimestamp(int(v["timestamp"]) + 2, UTC)))
    q = {"timestamp": v["timestamp"], "nonce": v["nonce"], "msg_signature": v["msg_signature"], "encrypt_type": "aes"}
    resp = app.test_client().post("/wechat", query_string=q, data=v["body"])
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "success"
    assert count(sqlite_url, "inbound_messages", "WHERE event = 'debug_demo'") == 1
    app.extensions["zhiyong"].db.dispose()


def test_encrypted_reply_decrypts_with_our_key_and_its_signature_verifies(wechat: WeChat) -> None:
    created = int(wechat.clock.now.timestamp())
    resp = wechat.post_xml(message_xml("text", sender="o_a", Content="你好", create_time=created))
    body = resp.get_data(as_text=True)
    assert "<Encrypt>" in body and "你好" not in body
    plain = wechat.signer.open_reply(body)  # raises if the signature does not verify
    assert "<MsgType><![CDATA[text]]></MsgType>" in plain and "<ToUserName><![CDATA[o_a]]>" in plain


def test_appid_mismatch_is_rejected_and_records_nothing(wechat: WeChat, sqlite_url: str) -> None:
    other = PushSigner(token=wechat.signer.token, aes_key=wechat.signer.aes_key, app_id="wx_other", mode="safe")
    push = other.sign(message_xml("text", sender="o_a", Content="hi"), timestamp=int(wechat.clock.now.timestamp()))
    resp = wechat.client.post("/wechat?" + push.query_string, data=push.body)
    assert resp.status_code == 403
    assert count(sqlite_url, "inbound_messages") == 0


@pytest.mark.parametrize(
    ("event", "key", "expect_reply"),
    [
        ("TEMPLATESENDJOBFINISH", None, False),
        ("unsubscribe", None, False),
        ("some_future_event", "x", False),
        ("subscribe", None, True),
    ],
)
def test_events_answer_fast(wechat: WeChat, event: str, key: str | None, expect_reply: bool) -> None:
    started = time.perf_counter()
    reply = wechat.send("event", Event=event, EventKey=key, MsgID="200163836", Status="success")
    assert time.perf_counter() - started < 0.2
    assert bool(reply) is expect_reply


def test_subscribe_welcomes_and_unsubscribe_is_recorded(wechat: WeChat, sqlite_url: str) -> None:
    assert "欢迎关注" in (wechat.event("subscribe") or "")
    wechat.clock.advance(seconds=5)
    assert wechat.event("unsubscribe") is None
    assert count(sqlite_url, "citizens", "WHERE subscribed = false AND unsubscribed_at IS NOT NULL") == 1


def test_text_voice_and_unknown_types_get_a_helpful_answer(wechat: WeChat, sqlite_url: str) -> None:
    assert wechat.send("voice", MediaId="m1", Format="amr", Recognition="你好") is not None
    unknown = wechat.send("hologram", Data="x")
    assert unknown is not None and "文字" in unknown
    assert count(sqlite_url, "inbound_messages", "WHERE outcome = 'unsupported'") == 1


# -- 5.2 bad inputs ----------------------------------------------------------------------------------------


def _signed_raw(wechat: WeChat, body: bytes, **extra: str) -> str:
    ts = str(int(wechat.clock.now.timestamp()))
    q = {"timestamp": ts, "nonce": "12345", "msg_signature": "0" * 40, "signature": "0" * 40}
    q.update(extra)
    return "/wechat?" + "&".join(f"{k}={v}" for k, v in q.items())


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><xml>&lol2;</xml>',
        b'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Encrypt>&xxe;</Encrypt></xml>',
        b'<!DOCTYPE xml [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]><xml/>',
        b"<!DOCTYPE>",
        b"<!doctype xml><xml/>",
    ],
)
def test_doctype_and_entities_are_rejected_before_parsing(wechat: WeChat, body: bytes, sqlite_url: str) -> None:
    resp = wechat.client.post(_signed_raw(wechat, body), data=body)
    assert resp.status_code == 400
    assert count(sqlite_url, "inbound_messages") == 0


def test_oversized_bodies_are_refused(wechat: WeChat) -> None:
    resp = wechat.client.post(_signed_raw(wechat, b""), data=b"<" + b"a" * 65536)
    assert resp.status_code == 413
    resp = wechat.client.post(_signed_raw(wechat, b""), data=b"x" * (10 * 1024 * 1024))
    assert resp.status_code == 413

    # No Content-Length: the stream is cut at the cap instead of being buffered whole.
    resp = wechat.client.post(
        _signed_raw(wechat, b""),
        input_stream=io.BytesIO(b"a" * 200_000),
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert resp.status_code == 413


def test_json_body_is_refused_cleanly(wechat: WeChat, sqlite_url: str) -> None:
    body = json.dumps({"ToUserName": "gh", "Encrypt": "x"}).encode()
    resp = wechat.client.post(_signed_raw(wechat, body), data=body, content_type="application/json")
    assert resp.status_code in (400, 403)
    assert count(sqlite_url, "inbound_messages") == 0


@pytest.mark.parametrize(
    "xml",
    [
        "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>abc</CreateTime>"
        "<MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1795800000</CreateTime>"
        "<MsgType>text</MsgType><MsgType>image</MsgType><MsgId>2</MsgId></xml>",
        "<xml><ToUserName>gh</ToUserName><FromUserName><a/></FromUserName><CreateTime>1795800000</CreateTime>"
        "<MsgType>text</MsgType><MsgId>3</MsgId></xml>",
        "<xml><a>" * 2000 + "</a>" * 2000,
        "not xml at all",
    ],
)
def test_authenticated_but_malformed_is_dead_lettered_and_answered_success(
    wechat: WeChat, xml: str, sqlite_url: str
) -> None:
    resp = wechat.post_xml(xml)
    assert resp.status_code == 200 and resp.get_data(as_text=True) == "success"
    assert count(sqlite_url, "dead_letters", "WHERE stage = 'parse' AND payload IS NULL") == 1
    assert count(sqlite_url, "inbound_messages") == 0


def test_invalid_utf8_after_decryption_is_dead_lettered(wechat: WeChat, sqlite_url: str) -> None:
    ts = str(int(wechat.clock.now.timestamp()))
    key = base64.b64decode(wechat.signer.aes_key + "=")
    # Build the ciphertext by hand around bytes that are not UTF-8.
    import socket
    import struct

    from wechatpy.crypto.base import WeChatCipher
    from wechatpy.crypto.pkcs7 import PKCS7Encoder

    raw = b"<xml>\xff\xfe</xml>"
    payload = b"0" * 16 + struct.pack("I", socket.htonl(len(raw))) + raw + TEST_APP_ID.encode()
    encrypt = base64.b64encode(WeChatCipher(key).encrypt(PKCS7Encoder.encode(payload))).decode()
    sig = sha1_signature(wechat.signer.token, ts, "777", encrypt)
    body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    resp = wechat.client.post(f"/wechat?timestamp={ts}&nonce=777&msg_signature={sig}", data=body)
    assert resp.get_data(as_text=True) == "success"
    assert count(sqlite_url, "dead_letters") == 1


def test_text_with_cdata_terminators_and_rare_characters_survives(wechat: WeChat, sqlite_url: str) -> None:
    reply = wechat.text("窗口]]><MsgType>news</MsgType> & < 😀 𠀀 \u200f")
    assert reply is not None  # the reply parsed with exactly one MsgType/Content (reply_content would raise)


def test_big_msgid_round_trips_as_text(wechat: WeChat, sqlite_url: str) -> None:
    created = int(wechat.clock.now.timestamp())
    xml = message_xml("text", sender="o_a", Content="hi", msg_id="6054768590064713728", create_time=created)
    assert wechat.post_xml(xml).status_code == 200
    assert count(sqlite_url, "inbound_messages", "WHERE msg_id = '6054768590064713728'") == 1


# -- 5.3 authentication, replay, downgrade -----------------------------------------------------------------


def test_plaintext_body_to_a_safe_mode_server_is_a_refused_downgrade(wechat: WeChat, sqlite_url: str) -> None:
    ts = str(int(wechat.clock.now.timestamp()))
    sig = sha1_signature(wechat.signer.token, ts, "42")
    xml = message_xml("text", sender="o_a", Content="伪造", create_time=int(ts))
    for q in (f"signature={sig}", f"signature={sig}&encrypt_type=raw", f"signature={sig}&msg_signature={sig}"):
        resp = wechat.client.post(f"/wechat?timestamp={ts}&nonce=42&{q}", data=xml)
        assert resp.status_code in (400, 403)
    assert count(sqlite_url, "inbound_messages") == 0


def test_safe_mode_needs_msg_signature(wechat: WeChat) -> None:
    push = wechat.signer.sign(
        message_xml("text", sender="o_a", Content="x"), timestamp=int(wechat.clock.now.timestamp())
    )
    q = {k: v for k, v in push.query.items() if k != "msg_signature"}
    assert wechat.client.post("/wechat", query_string=q, data=push.body).status_code == 403
    q["msg_signature"] = push.query["signature"]
    assert wechat.client.post("/wechat", query_string=q, data=push.body).status_code == 403


def test_compat_mode_uses_only_the_decrypted_fields(sqlite_url: str, clock: Clock) -> None:
    settings = make_settings(sqlite_url, WECHAT_MODE="compat", ALLOW_INSECURE_WECHAT_MODE="1")
    app = create_app(settings, clock=clock)
    wc = WeChat(app.test_client(), clock, settings)
    xml = message_xml("text", sender="o_real", Content="真实内容", create_time=int(clock.now.timestamp()), msg_id="99")
    push = wc.signer.sign(xml, timestamp=int(clock.now.timestamp()))
    tampered = push.body.replace(b"o_real", b"o_fake", 1)
    resp = wc.client.post("/wechat?" + push.query_string, data=tampered)
    assert resp.status_code == 200
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        openids = conn.execute(sa.text("SELECT openid FROM citizens")).scalars().all()
    engine.dispose()
    assert openids == ["o_real"]
    app.extensions["zhiyong"].db.dispose()


@pytest.mark.parametrize(("offset", "status"), [(-301, 403), (301, 403), (-290, 200), (290, 200)])
def test_timestamp_window(wechat: WeChat, offset: int, status: int) -> None:
    ts = int(wechat.clock.now.timestamp()) + offset
    resp = wechat.post_xml(message_xml("text", sender="o_a", Content="x", create_time=ts), timestamp=ts)
    assert resp.status_code == status


def test_same_signature_with_a_different_body_is_refused(wechat: WeChat) -> None:
    ts = int(wechat.clock.now.timestamp())
    push = wechat.signer.sign(message_xml("text", sender="o_a", Content="一"), timestamp=ts, nonce="555")
    other = wechat.signer.sign(message_xml("text", sender="o_a", Content="二"), timestamp=ts, nonce="555")
    assert wechat.client.post("/wechat?" + push.query_string, data=other.body).status_code == 403


# -- 5.4 idempotency ---------------------------------------------------------------------------------------


def test_wechat_retries_get_the_identical_reply_and_change_nothing(wechat: WeChat, sqlite_url: str) -> None:
    ts = int(wechat.clock.now.timestamp())
    push = wechat.signer.sign(message_xml("text", sender="o_a", Content="你好", create_time=ts), timestamp=ts)
    bodies = []
    for delay in (0, 5, 5):
        wechat.clock.advance(seconds=delay)
        resp = wechat.client.post("/wechat?" + push.query_string, data=push.body)
        assert resp.status_code == 200
        bodies.append(resp.get_data())
    assert bodies[0] == bodies[1] == bodies[2]
    assert count(sqlite_url, "inbound_messages") == 1


def test_two_events_in_the_same_second_are_both_recorded(wechat: WeChat, sqlite_url: str) -> None:
    wechat.event("subscribe")
    wechat.event("CLICK", key="HELP")
    assert count(sqlite_url, "inbound_messages") == 2


def test_duplicate_after_restart_is_still_deduplicated(settings, clock: Clock, sqlite_url: str) -> None:  # type: ignore[no-untyped-def]
    xml = message_xml("text", sender="o_a", Content="hi", create_time=int(clock.now.timestamp()), msg_id="4242")
    replies = []
    for _ in range(2):
        app = create_app(settings, clock=clock)
        wc = WeChat(app.test_client(), clock, settings)
        replies.append(reply_content(wc.signer.open_reply(wc.post_xml(xml, nonce="9").get_data(as_text=True))))
        app.extensions["zhiyong"].db.dispose()
    assert replies[0] == replies[1]
    assert count(sqlite_url, "inbound_messages") == 1


def _concurrent_identical(url: str, clock: Clock, n: int = 50) -> list[int]:
    settings = make_settings(url)
    app = create_app(settings, clock=clock)
    wc = WeChat(app.test_client(), clock, settings)
    ts = int(clock.now.timestamp())
    push = wc.signer.sign(
        message_xml("text", sender="o_c", Content="同一条", create_time=ts, msg_id="777"), timestamp=ts
    )
    statuses: list[int] = []
    barrier = threading.Barrier(n)

    def fire() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/wechat?" + push.query_string, data=push.body).status_code)

    threads = [threading.Thread(target=fire) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.extensions["zhiyong"].db.dispose()
    return statuses


def test_fifty_concurrent_identical_pushes_make_one_record(
    any_db_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.service.intake

    calls: list[str] = []
    real = bot.service.intake.dispatch

    def counting(msg, ctx):  # type: ignore[no-untyped-def]
        calls.append(msg.key)
        return real(msg, ctx)

    monkeypatch.setattr(bot.service.intake, "dispatch", counting)
    statuses = _concurrent_identical(any_db_url, clock)
    assert statuses == [200] * 50
    assert len(calls) == 1, "the push was handled more than once"
    assert count(any_db_url, "inbound_messages") == 1
    assert count(any_db_url, "citizens") == 1


def test_a_handler_crash_keeps_the_push_for_replay_and_answers_politely(
    wechat: WeChat, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.service.intake

    def boom(msg, ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(bot.service.intake, "dispatch", boom)
    reply = wechat.text("市民之家窗口没人")
    assert reply is not None and "开了个小差" in reply
    assert count(sqlite_url, "dead_letters", "WHERE stage = 'handler' AND payload IS NOT NULL") == 1
    assert count(sqlite_url, "inbound_messages", "WHERE outcome = 'failed'") == 1


def test_healthz_reports_database_and_version(app) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.console_helpers import create_staff
    from tests.integration.console_helpers import login

    create_staff(app, "office1", "office")
    body = login(app, "office1").get("/healthz").get_json()
    assert body["database"] == "ok" and body["version"]


_ = (os, encrypt_payload)


def test_messages_open_the_service_window_and_events_do_not(wechat: WeChat, sqlite_url: str) -> None:
    """`last_message_at` (the start of WeChat's 48-hour window) is written by messages, never by events, and at most
    every TOUCH_GRANULARITY: a stored time may lag the truth by that much (closing the window early), never lead."""
    from bot.service.intake import TOUCH_GRANULARITY

    def last_message_at() -> datetime | None:
        engine = make_engine(sqlite_url)
        with engine.connect() as conn:
            value = conn.execute(sa.text("SELECT last_message_at FROM citizens WHERE openid = 'o_window'")).scalar()
        engine.dispose()
        return None if value is None else datetime.fromisoformat(str(value)).replace(tzinfo=UTC)

    start = wechat.clock.now
    wechat.event("subscribe", openid="o_window")
    assert count(sqlite_url, "citizens", "WHERE openid = 'o_window'") == 1 and last_message_at() is None
    wechat.text("你好", openid="o_window")
    assert last_message_at() == start
    wechat.clock.advance(minutes=1)
    wechat.text("我想反映一个问题", openid="o_window")
    assert last_message_at() == start  # within the granularity: no write
    wechat.clock.advance(seconds=TOUCH_GRANULARITY.total_seconds())
    wechat.text("帮助", openid="o_window")
    assert last_message_at() == wechat.clock.now
    moved = wechat.clock.now
    wechat.clock.advance(minutes=30)
    wechat.event("CLICK", openid="o_window", key="HELP")
    assert last_message_at() == moved  # an event is not a message from the citizen
