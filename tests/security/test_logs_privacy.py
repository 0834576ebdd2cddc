"""Whistleblower privacy in logs and storage (RELIABILITY 5.10 items 79, 82, 83).

- 82: a real gunicorn run's access log and error log carry no query strings: no `openid=`, `signature=`,
  `msg_signature=`, `echostr=`, and none of their values; nor a signed survey link's token;
- 83: a crash inside the handler (whose exception message even carries the complaint and the openid) leaves
  no complaint text, openid or traceback with them in any log record;
- 79: after a whole conversation the openid is stored only in the restricted tables (`citizens`,
  `supervisor_bindings`) and in a crashed push's kept payload (`dead_letters.payload`, restricted likewise).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

import bot.service.intake
from bot.wechat.protocol import sha1_signature
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from storage.db import make_engine
from storage.models import Model
from tests.conftest import TEST_TOKEN
from tests.conftest import WeChat
from tests.conftest import base_environ
from tests.live.server import start

OPENID = "o_whistle_9QzLk27PxT"
COMPLAINT = "昨天下午我去车管所换驾照，窗口工作人员一直玩手机不理人，让我等了两个小时，电话13987654321"
LEAKS = ("openid=", "signature=", "msg_signature=", "echostr=")


@pytest.mark.live
def test_access_and_error_logs_of_a_real_gunicorn_run_carry_no_query_strings(tmp_path: Path) -> None:
    access = tmp_path / "access.log"
    env = base_environ(f"sqlite:///{tmp_path / 'live.db'}", GUNICORN_ACCESSLOG=str(access))
    srv = start(env, tmp_path)
    secrets: list[str] = [OPENID, COMPLAINT, "13987654321"]
    try:
        signer = PushSigner(token=env["WECHAT_TOKEN"], aes_key=env["WECHAT_AES_KEY"], app_id=env["WECHAT_APP_ID"])
        ts, nonce, echostr = str(int(time.time())), "82828282", "echo82secret"
        verify = {"signature": sha1_signature(TEST_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
                  "echostr": echostr}  # fmt: skip
        assert requests.get(srv.url + "/wechat", params=verify, timeout=5).text == echostr
        assert requests.get(srv.url + "/wechat", params={**verify, "signature": "0" * 40}, timeout=5).status_code == 403
        secrets += [echostr, verify["signature"]]
        for xml in (message_xml("event", sender=OPENID, Event="subscribe"),
                    message_xml("text", sender=OPENID, Content=COMPLAINT)):  # fmt: skip
            push = signer.sign(xml, openid=OPENID)
            resp = requests.post(srv.url + "/wechat", params=push.query, data=push.body, timeout=10)
            assert resp.status_code == 200 and reply_content(signer.open_reply(resp.text))
            secrets += [push.query["signature"], push.query["msg_signature"]]
        forged = requests.post(srv.url + "/wechat", params={**push.query, "msg_signature": "f" * 40},
                               data=push.body, timeout=5)  # fmt: skip
        assert forged.status_code == 403
        # A citizen's signed survey link (even a forged one) is a request line too: its token never reaches a log.
        link = "s1.ZmFrZVN1cnZleVRva2VuOTk3.c2lnbmF0dXJl"
        assert requests.get(srv.url + f"/survey/{link}", timeout=5).status_code in (400, 403, 404)
        secrets.append(link)
    finally:
        srv.stop()
    access_log = access.read_text("utf-8")
    assert access_log.count("/wechat") >= 5, "the access log was written"
    for name, text in (("access log", access_log), ("server log", srv.log())):
        for needle in (*LEAKS, *secrets):
            assert needle not in text, f"{needle!r} leaked into the {name}"


@pytest.mark.parametrize("where", ["dispatch", "apply"])
def test_a_crash_in_the_handler_logs_no_complaint_openid_or_traceback(
    wechat: WeChat, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        # The worst case: the exception's own message carries the secrets.
        raise RuntimeError(f"could not handle {COMPLAINT} from {OPENID}")

    monkeypatch.setattr(bot.service.intake, "dispatch" if where == "dispatch" else "_apply", boom)
    caplog.set_level(logging.DEBUG)
    reply = wechat.text(COMPLAINT, OPENID)
    assert reply and "开了个小差" in reply, "a polite answer, not a 500"
    assert any("failed in handler: RuntimeError" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
        for secret in (COMPLAINT, "13987654321", OPENID):
            assert secret not in text, f"{record.name}: {secret!r} in the log"


def test_the_openid_lives_only_in_the_restricted_tables(app, wechat: WeChat, db_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    wechat.event("subscribe", OPENID)
    for text in (COMPLAINT, "没有", "1", "确认"):
        wechat.text(text, OPENID)
    result = app.test_cli_runner().invoke(args=["supervisor", "bind-code", "sup_gaj"])
    assert result.exit_code == 0, result.output
    assert "绑定成功" in (wechat.text(f"绑定 {result.output.strip()}", OPENID + "_sup") or "")
    wechat.text("查询", OPENID)

    def boom(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(bot.service.intake, "dispatch", boom)
    wechat.text("再补充一句", OPENID)  # a crashed push keeps its payload for replay
    allowed = {("citizens", "openid"), ("supervisor_bindings", "openid"), ("dead_letters", "payload")}
    found: set[tuple[str, str]] = set()
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one() == 1
            for table in Model.metadata.sorted_tables:
                for row in conn.execute(sa.select(table)).mappings():
                    for column, value in row.items():
                        if value is not None and OPENID in str(value):
                            found.add((table.name, column))
    finally:
        engine.dispose()
    assert ("citizens", "openid") in found
    assert found <= allowed, f"the openid is stored outside the restricted tables: {sorted(found - allowed)}"
