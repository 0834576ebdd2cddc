"""The real server (gunicorn, and the development server) in a subprocess, spoken to over HTTP like WeChat."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from storage.db import make_engine
from tests.conftest import base_environ
from tests.live.server import BIN
from tests.live.server import ROOT
from tests.live.server import LiveServer
from tests.live.server import start

pytestmark = pytest.mark.live

OPENID = "o_live_citizen_8x7Yq"
COMPLAINT = "不动产登记中心三号窗口的工作人员态度恶劣，电话13812345678"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    env = base_environ(f"sqlite:///{tmp_path / 'live.db'}")
    srv = start(env, tmp_path)
    yield srv
    srv.stop()


def signer_for(server: LiveServer) -> PushSigner:
    e = server.env
    return PushSigner(token=e["WECHAT_TOKEN"], aes_key=e["WECHAT_AES_KEY"], app_id=e["WECHAT_APP_ID"], mode="safe")


def test_safe_mode_conversation_over_http_and_logs_stay_clean(server: LiveServer) -> None:
    signer = signer_for(server)
    replies = []
    for xml in (
        message_xml("event", sender=OPENID, Event="subscribe"),
        message_xml("text", sender=OPENID, Content=COMPLAINT),
    ):
        push = signer.sign(xml, openid=OPENID)
        resp = requests.post(server.url + "/wechat", params=push.query, data=push.body, timeout=5)
        assert resp.status_code == 200
        replies.append(reply_content(signer.open_reply(resp.text)))
    assert "欢迎关注" in (replies[0] or "")
    assert replies[1]
    # Retry of the last push: same answer, no second record.
    again = requests.post(server.url + "/wechat", params=push.query, data=push.body, timeout=5)
    assert reply_content(signer.open_reply(again.text)) == replies[1]
    engine = make_engine(server.env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM inbound_messages")).scalar_one() == 2
    engine.dispose()
    server.stop()
    log = server.log()
    assert "POST /wechat" in log and "push accepted key=" in log
    for secret in (OPENID, "13812345678", "态度恶劣", push.query["msg_signature"], push.query["signature"], "openid="):
        assert secret not in log, f"{secret!r} leaked into the server log"


def test_oversized_chunked_body_is_refused_by_the_real_server(server: LiveServer) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(100):
            yield b"a" * 1024

    resp = requests.post(server.url + "/wechat?timestamp=1&nonce=1&msg_signature=" + "0" * 40, data=chunks(), timeout=5)
    assert resp.status_code == 413


def test_concurrent_identical_pushes_against_two_workers(server: LiveServer) -> None:
    signer = signer_for(server)
    push = signer.sign(message_xml("text", sender=OPENID, Content="同一条消息", msg_id="123456789"))
    codes: list[int] = []

    def fire() -> None:
        codes.append(requests.post(server.url + "/wechat", params=push.query, data=push.body, timeout=10).status_code)

    threads = [threading.Thread(target=fire) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 30
    engine = make_engine(server.env["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM inbound_messages")).scalar_one() == 1
    engine.dispose()


def test_terminal_chat_talks_to_the_running_server(server: LiveServer) -> None:
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "bot", "chat", "--openid", "o_demo_1", "--url", server.url + "/wechat"],
        cwd=ROOT,
        env=server.env,
        input="你好\n/click HELP\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "欢迎关注" in result.stdout
    assert result.stdout.count("公众号>") == 3
    assert "使用说明" in result.stdout


def test_development_server_serves_too(tmp_path: Path) -> None:
    srv = start(base_environ(f"sqlite:///{tmp_path / 'dev.db'}"), tmp_path, gunicorn=False)
    try:
        signer = signer_for(srv)
        push = signer.sign(message_xml("event", sender=OPENID, Event="subscribe"), openid=OPENID)
        resp = requests.post(srv.url + "/wechat", params=push.query, data=push.body, timeout=5)
        assert "欢迎关注" in (reply_content(signer.open_reply(resp.text)) or "")
    finally:
        srv.stop()
    log = srv.log()
    assert "POST /wechat" in log
    assert OPENID not in log and "msg_signature" not in log


def test_whole_conversations_through_the_real_server_end_in_cases(server: LiveServer) -> None:
    signer = signer_for(server)

    def say(openid: str, xml: str) -> str | None:
        push = signer.sign(xml, openid=openid)
        resp = requests.post(server.url + "/wechat", params=push.query, data=push.body, timeout=10)
        assert resp.status_code == 200
        return reply_content(signer.open_reply(resp.text))

    # A typed complaint naming the unit.
    for text in ("昨天下午在车管所换驾照，窗口工作人员一直在玩手机打游戏，让我等了一个多小时", "没有", "1", "确认"):
        last = say("o_live_a", message_xml("text", sender="o_live_a", Content=text))
    assert last and "工单号" in last
    # A QR scan at a window, then a voice message, then the rest.
    say("o_live_b", message_xml("event", sender="o_live_b", Event="SCAN", EventKey="unit=bdc;window=5"))
    say("o_live_b", message_xml("voice", sender="o_live_b", MediaId="m1", Format="amr",
                                Recognition="今天上午办房产证的时候工作人员态度很凶还不耐烦地吼我"))  # fmt: skip
    for text in ("没有", "1", "确认"):
        last = say("o_live_b", message_xml("text", sender="o_live_b", Content=text))
    assert last and "工单号" in last
    engine = make_engine(server.env["DATABASE_URL"])
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT respondent_unit, window, state FROM cases ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in found] == [("cgs", None, "assigned"), ("bdc", "5", "assigned")]
