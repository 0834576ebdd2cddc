"""The console in a real Chromium (Playwright, headless) against the real server in a subprocess.

A supervisor signs in, works a case from 已派单 to 已答复 and sees the timeline, and cannot open another unit's
case; the office routes a triage case. Screenshots of the queue, a case and the dashboard are written to
docs/screenshots/ for the README.

Needs Debian's chromium (/usr/bin/chromium) and the playwright package (never `playwright install`): skipped when
either is missing, failed instead when ZHIYONG_REQUIRE_SERVICES is set (CI installs chromium in .ci/run).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from tests.conftest import REQUIRE_SERVICES
from tests.conftest import base_environ
from tests.conftest import make_settings
from tests.live.server import BIN
from tests.live.server import ROOT
from tests.live.server import LiveServer
from tests.live.server import start

pytestmark = [pytest.mark.browser, pytest.mark.live]

CHROMIUM = Path(os.environ.get("ZHIYONG_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "browser-pass-2026"
BDC_COMPLAINT = "今天上午在不动产登记中心2号窗口办抵押登记，工作人员态度很差还让我跑了两趟，我电话13800138000"
GAJ_COMPLAINT = "今天在派出所户籍室办户口迁移，民警上班时间一直玩手机，让我们等了一个多小时"
TRIAGE_COMPLAINT = "有个工作人员说话很难听，办事拖拖拉拉的，希望有人管一管"


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"ZHIYONG_REQUIRE_SERVICES is set but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_api() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    return sync_playwright


def _flask(server_env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "bot", *args], cwd=ROOT, env=server_env, check=True,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    return done.stdout


def _file_complaint(server: LiveServer, openid: str, text: str) -> str:
    e = server.env
    signer = PushSigner(token=e["WECHAT_TOKEN"], aes_key=e["WECHAT_AES_KEY"], app_id=e["WECHAT_APP_ID"], mode="safe")
    reply = ""
    for turn in (text, "没有", "1", "确认"):
        push = signer.sign(message_xml("text", sender=openid, Content=turn), openid=openid)
        resp = requests.post(server.url + "/wechat", params=push.query, data=push.body, timeout=10)
        assert resp.status_code == 200
        reply = reply_content(signer.open_reply(resp.text)) or ""
    assert "工单号：" in reply, reply
    return reply.split("工单号：")[1][:12]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser")
    db = f"sqlite:///{tmp / 'browser.db'}"
    srv = start(base_environ(db), tmp, gunicorn=True, workers=2)
    try:
        from tests.browser.seed import seed_history

        seed_history(make_settings(db), datetime.now(UTC))
        _flask(srv.env, "staff", "create", "--username", "li", "--role", "supervisor", "--supervisor-id", "sup_bdc",
               "--password", PASSWORD)  # fmt: skip
        _flask(srv.env, "staff", "create", "--username", "office", "--role", "office", "--name", "治庸办值班员",
               "--password", PASSWORD)  # fmt: skip
        key = _flask(srv.env, "open311", "key", "create", "12345-platform").strip()
        bdc = _file_complaint(srv, "o_browser_citizen_1", BDC_COMPLAINT)
        gaj = _file_complaint(srv, "o_browser_citizen_2", GAJ_COMPLAINT)
        created = requests.post(srv.url + "/open311/v2/requests.json", timeout=10, data={
            "api_key": key, "service_code": "attitude", "description": TRIAGE_COMPLAINT})  # fmt: skip
        assert created.status_code == 201, created.text
        triage = created.json()[0]["service_request_id"]
        yield {"server": srv, "bdc": bdc, "gaj": gaj, "triage": triage}
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def browser(playwright_api: Any) -> Iterator[Any]:
    with playwright_api() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--lang=zh-CN"],
        )  # fmt: skip
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Any, server: dict[str, Any]) -> Any:
    context = browser.new_context(base_url=server["server"].url, viewport={"width": 1366, "height": 900},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _sign_in(page: Any, username: str) -> None:
    page.goto("/console/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/console/login" not in page.url, page.content()


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def test_a_supervisor_works_a_case_from_assigned_to_answered(browser: Any, server: dict[str, Any]) -> None:
    page = _page(browser, server)
    _sign_in(page, "li")
    page.goto("/console/cases")
    assert server["bdc"] in page.content()
    assert server["gaj"] not in page.content()
    _shot(page, "queue.png")
    page.click(f"text={server['bdc']}")
    page.wait_for_load_state("networkidle")
    assert "已派单" in page.inner_text(".case-head")
    assert "138****8000" in page.content() and "13800138000" not in page.content()
    page.click("button[value=sign]")
    page.wait_for_load_state("networkidle")
    assert "已签收" in page.inner_text(".case-head")
    page.fill("form[action$='/actions/reply'] textarea[name=note]", "已约谈2号窗口工作人员并责令整改，向您致歉。")
    page.click("button[value=reply]")
    page.wait_for_load_state("networkidle")
    timeline = page.inner_text("ol.timeline")
    for step in ("受理", "派单", "签收", "答复", "已答复", "邀请评价"):
        assert step in timeline, timeline
    assert "待回访" in page.inner_text(".case-head")
    _shot(page, "case.png")
    page.context.close()


def test_a_supervisor_cannot_open_another_units_case(browser: Any, server: dict[str, Any]) -> None:
    page = _page(browser, server)
    _sign_in(page, "li")
    page.goto("/console/cases?state=all&q=" + server["gaj"])
    assert server["gaj"] not in page.inner_text("table")
    office = _page(browser, server)
    _sign_in(office, "office")
    office.goto("/console/cases?state=all&q=" + server["gaj"])
    office.click(f"text={server['gaj']}")
    foreign_url = office.url
    office.context.close()
    response = page.goto(foreign_url)
    assert response is not None and response.status == 404
    assert "未找到" in page.content() and server["gaj"] not in page.content()
    page.context.close()


def test_the_office_routes_a_triage_case(browser: Any, server: dict[str, Any]) -> None:
    page = _page(browser, server)
    _sign_in(page, "office")
    page.goto("/console/triage")
    item = page.locator("section.triage-item", has_text=server["triage"])
    assert item.count() == 1
    _shot(page, "triage.png")
    item.locator("form.other select[name=unit]").select_option("zwfw")
    item.locator("form.other button").click()
    page.wait_for_load_state("networkidle")
    assert f"工单 {server['triage']} 已派至" in page.inner_text(".flash")
    assert page.locator("section.triage-item", has_text=server["triage"]).count() == 0
    page.goto("/console/cases?state=all&q=" + server["triage"])
    page.click(f"text={server['triage']}")
    assert "已派单" in page.inner_text(".case-head")
    assert "市政务服务中心" in page.content()
    page.context.close()


def test_the_dashboard_draws_twelve_weeks(browser: Any, server: dict[str, Any]) -> None:
    page = _page(browser, server)
    _sign_in(page, "office")
    page.goto("/console/dashboard?weeks=12")
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart polyline").count() >= 1
    assert "单位排名" in page.content()
    _shot(page, "dashboard.png")
    page.context.close()
