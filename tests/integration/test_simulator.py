"""The WeChat simulator: every action is a real signed, encrypted push to /wechat over HTTP, and what the system
sends later reaches the page through the loopback fake of WeChat's API.

The app is served by a threaded werkzeug server on a free loopback port (the simulator POSTs to its own
/wechat, as it does under `flask run`); the fake runs in-process; the outbox is drained with the test clock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from bot import create_app
from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import QuietRequestHandler
from bot.dev.fake_wechat import RunningFake
from bot.dev.fake_wechat import start_fake_wechat
from bot.runtime import runtime
from bot.wechat.sender import drain
from tests.conftest import TEST_APP_ID
from tests.conftest import Clock
from tests.conftest import make_settings
from tests.integration.test_cases_flow import rows

CITIZEN = "o_demo_1"
COMPLAINT = "昨天上午我去不动产登记中心办房产证，3号窗口的工作人员态度特别差，对我大吼大叫，还让我跑了三趟"
TEMPLATES = {"demo_case_update_tpl", "demo_supervisor_notice_tpl"}


@dataclass
class Sim:
    url: str
    app: Any
    fake: RunningFake
    http: requests.Session

    def post(self, action: str, **body: Any) -> dict[str, Any]:
        resp = self.http.post(f"{self.url}/simulator/api/{action}", json=body, timeout=15)
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        assert data["ok"], data
        return data

    def say(self, text: str, openid: str = CITIZEN) -> str:
        return str(self.post("text", openid=openid, content=text)["reply"] or "")

    def poll(self, openid: str, since: int = 0) -> dict[str, Any]:
        resp = self.http.get(f"{self.url}/simulator/api/messages", params={"openid": openid, "since": since}, timeout=5)
        assert resp.status_code == 200
        return resp.json()  # type: ignore[no-any-return]


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    with start_fake_wechat(FakeWechat(TEST_APP_ID, "test-app-secret-0001", templates=TEMPLATES)) as running:
        yield running


@pytest.fixture
def sim(db_url: str, clock: Clock, fake: RunningFake) -> Iterator[Sim]:
    settings = make_settings(db_url, WECHAT_API_BASE_URL=fake.url)
    app = create_app(settings, clock=clock, simulator=True)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    http = requests.Session()
    try:
        yield Sim(f"http://127.0.0.1:{server.port}", app, fake, http)
    finally:
        http.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        runtime(app).db.dispose()


def file_complaint(sim: Sim, openid: str = CITIZEN) -> str:
    replies = [sim.say(t, openid) for t in (COMPLAINT, "没有", "1", "确认")]
    assert "工单号" in replies[-1], replies
    return replies[-1].split("工单号：")[1][:12]


def test_the_page_renders_with_its_own_script_and_a_strict_policy(sim: Sim) -> None:
    resp = sim.http.get(f"{sim.url}/simulator/", timeout=5)
    assert resp.status_code == 200
    html = resp.text
    assert "/simulator/static/simulator.js" in html and "/simulator/static/simulator.css" in html
    assert "<script>" not in html and "onclick" not in html  # no inline script: CSP-friendly
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert 'name="viewport"' in html and "width=device-width" in html
    for asset in ("simulator.js", "simulator.css"):
        assert sim.http.get(f"{sim.url}/simulator/static/{asset}", timeout=5).status_code == 200
    config = sim.http.get(f"{sim.url}/simulator/api/config", timeout=5).json()
    assert [c["openid"] for c in config["citizens"]] == ["o_demo_1", "o_demo_2", "o_demo_3"]
    assert [m["key"] for m in config["menu"]] == ["REPORT", "QUERY", "MY_CASES", "HELP"]
    assert {"code": "bdc", "name": "市不动产登记中心"} in config["units"]
    assert config["outbound"] is True
    assert any(s["id"] == "sup_bdc" and s["openid"] is None for s in config["supervisors"])


def test_a_conversation_played_in_the_simulator_files_a_real_case(sim: Sim, db_url: str) -> None:
    assert "请说说您遇到的情况" in (sim.post("click", openid=CITIZEN, key="REPORT")["reply"] or "")
    number = file_complaint(sim)
    assert rows(db_url, f"SELECT state, respondent_unit, window FROM cases WHERE number = '{number}'") == [
        ("assigned", "bdc", "3")
    ]
    # Each push went through the webhook's ledger like WeChat's would: one row per message, none refused.
    assert rows(db_url, "SELECT msg_type, event, outcome FROM inbound_messages ORDER BY id")[0] == (
        "event",
        "click",
        "handled",
    )
    assert rows(db_url, "SELECT count(*) FROM inbound_messages WHERE msg_type = 'text'") == [(4,)]
    assert rows(db_url, "SELECT count(*) FROM dead_letters") == [(0,)]


def test_every_kind_of_action_is_a_push_the_bot_understands(sim: Sim, db_url: str) -> None:
    citizen = "o_demo_2"
    assert sim.post("subscribe", openid=citizen)["reply"]  # the welcome
    scan = sim.post("scan", openid=citizen, unit="bdc", window="5")["reply"] or ""
    assert "市不动产登记中心 5号窗口" in scan
    assert sim.post("voice", openid=citizen, recognition="窗口的人让我明天再来，已经第三次了")["reply"]
    photo = sim.http.post(f"{sim.url}/simulator/api/image", data={"openid": citizen}, timeout=15).json()
    assert photo["ok"] and photo["media_id"].startswith("MEDIA_")
    assert photo["media_id"] in sim.fake.state.media  # registered where the evidence job will fetch it
    assert sim.post("location", openid=citizen, preset=1)["reply"]
    assert "使用说明" in (sim.post("click", openid=citizen, key="HELP")["reply"] or "")
    assert sim.post("unsubscribe", openid=citizen)["reply"] is None  # WeChat expects plain success
    kinds = rows(db_url, "SELECT msg_type, coalesce(event, '') FROM inbound_messages ORDER BY id")
    assert kinds == [("event", "subscribe"), ("event", "scan"), ("voice", ""), ("image", ""), ("location", ""),
                     ("event", "click"), ("event", "unsubscribe")]  # fmt: skip
    assert rows(db_url, "SELECT count(*) FROM dead_letters") == [(0,)]
    # A new follower scanning a window code: subscribe with qrscene_ starts the report at that window.
    welcome = sim.post("scan", openid="o_demo_new_1", unit="gaj", window="2", subscribe=True)["reply"] or ""
    assert "市公安局 2号窗口" in welcome


def test_a_window_is_rated_from_its_rating_code_in_the_simulator(sim: Sim, db_url: str) -> None:
    ask = sim.post("scan", openid="o_demo_1", unit="bdc", window="5", rate=True)["reply"] or ""
    assert "5 非常满意" in ask and "1 非常不满意" in ask
    assert "谢谢您的评价（满意）" in (sim.post("text", openid="o_demo_1", content="4")["reply"] or "")
    assert rows(db_url, "SELECT unit, window, level FROM window_ratings") == [("bdc", "5", 4)]


def test_bad_requests_get_clear_errors(sim: Sim) -> None:
    resp = sim.http.post(f"{sim.url}/simulator/api/text", json={"openid": "x; drop", "content": "hi"}, timeout=5)
    assert resp.status_code == 400 and "openid" in resp.json()["error"]
    resp = sim.http.post(f"{sim.url}/simulator/api/scan", json={"openid": CITIZEN, "unit": "nope"}, timeout=5)
    assert resp.status_code == 400
    resp = sim.http.post(f"{sim.url}/simulator/api/image", data={"openid": CITIZEN},
                         files={"file": ("x.html", b"<script>", "text/html")}, timeout=5)  # fmt: skip
    assert resp.status_code == 400


def test_messages_sent_later_reach_the_chat_through_the_fake(sim: Sim, db_url: str, clock: Clock) -> None:
    number = file_complaint(sim)
    bound = sim.post("bind", supervisor_id="sup_bdc")
    assert "绑定成功" in (bound["reply"] or "") and bound["openid"] == "o_demo_sup_bdc"
    config = sim.http.get(f"{sim.url}/simulator/api/config", timeout=5).json()
    assert next(s for s in config["supervisors"] if s["id"] == "sup_bdc")["openid"] == "o_demo_sup_bdc"
    assert "已签收" in sim.say(f"签收 {number}", "o_demo_sup_bdc")
    assert "已发送" in sim.say(f"回复 {number} 已约谈窗口负责人并责令整改，向您致歉", "o_demo_sup_bdc")
    assert sim.poll(CITIZEN)["messages"] == []  # nothing leaves before the scheduler drains the outbox

    report = drain(runtime(sim.app), now=clock.now)
    assert report.sent >= 3 and report.failed == 0

    got = sim.poll(CITIZEN)
    texts = [m["text"] for m in got["messages"]]
    assert any("已由督办人员签收" in t for t in texts)
    assert any("责令整改" in t for t in texts)
    assert any("1A" in t for t in texts)  # the rating request
    assert all(m["kind"] == "customer" for m in got["messages"])  # inside the 48-hour window
    assert sim.poll(CITIZEN, since=got["last_id"])["messages"] == []
    # The supervisor's notices: counts and a link to the console, never the complaint. (A customer-service
    # message here, because the supervisor has just written to the account; a template card otherwise.)
    notices = sim.poll("o_demo_sup_bdc")["messages"]
    assert notices and all("大吼" not in m["text"] for m in notices)
    assert any("/console/cases/" in (m["text"] + (m.get("url") or "")) for m in notices)
    # The citizen rates in the simulator; the case closes.
    assert "感谢" in sim.say("1A")
    assert rows(db_url, f"SELECT state FROM cases WHERE number = '{number}'") == [("closed",)]


def test_template_messages_show_as_labelled_cards(sim: Sim, db_url: str, clock: Clock) -> None:
    """A citizen outside the 48-hour window gets a template message; the chat shows it with its field names."""
    number = file_complaint(sim)
    sim.post("bind", supervisor_id="sup_bdc")
    sim.say(f"签收 {number}", "o_demo_sup_bdc")
    clock.advance(hours=72)  # the citizen's customer-service window has closed; the supervisor's too
    drain(runtime(sim.app), now=clock.now)
    cards = [m for m in sim.poll(CITIZEN)["messages"] if m["kind"] == "template"]
    assert cards and cards[0]["title"] == "工单进度通知"
    assert f"工单编号：{number}" in cards[0]["text"] and "办理状态：" in cards[0]["text"]
    supervisor = [m for m in sim.poll("o_demo_sup_bdc")["messages"] if m["kind"] == "template"]
    assert (
        supervisor
        and supervisor[0]["title"] == "督办提醒"
        and "待处理：" in supervisor[0]["text"]
        and "提示：新派单" in supervisor[0]["text"]
    )


def test_the_simulator_is_absent_unless_development(db_url: str, clock: Clock) -> None:
    for env in ("production", "test"):
        app = create_app(make_settings(db_url, ZHIYONG_ENV=env), clock=clock)
        client = app.test_client()
        assert client.get("/simulator/").status_code == 404
        assert client.post("/simulator/api/text", json={"openid": CITIZEN, "content": "x"}).status_code == 404
        runtime(app).db.dispose()
    dev = create_app(make_settings(db_url, ZHIYONG_ENV="development"), clock=clock)
    assert dev.test_client().get("/simulator/").status_code == 200
    runtime(dev).db.dispose()
    with pytest.raises(RuntimeError, match="never registered in production"):
        create_app(make_settings(db_url, ZHIYONG_ENV="production"), clock=clock, simulator=True)
