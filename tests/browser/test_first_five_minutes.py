"""The first five minutes, as a newcomer lives them: `make run`'s stack (web, scheduler, fake WeChat API, demo
city), a citizen files a report in the simulator, the demo supervisor signs and answers it in the console, and
the answer and the rating request arrive in the citizen's simulated chat. Saves docs/screenshots/simulator.png.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.browser.test_console_browser import browser  # noqa: F401  (fixture)
from tests.browser.test_console_browser import playwright_api  # noqa: F401  (fixture)
from tests.conftest import base_environ
from tests.live.server import BIN
from tests.live.server import ROOT
from tests.live.server import free_port

pytestmark = [pytest.mark.browser, pytest.mark.live]
SCREENSHOTS = ROOT / "docs" / "screenshots"
COMPLAINT = "昨天上午在不动产登记中心3号窗口办房产证，工作人员态度很差还吼我，让我跑了三趟"


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "flask"), "--app", "bot", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    return done.stdout


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("firstfive")
    port, fake_port = free_port(), free_port()
    env = {
        **os.environ,
        **base_environ(f"sqlite:///{tmp / 'demo.db'}"),
        "ZHIYONG_ENV": "development",
        "PORT": str(port),
        "FAKE_WECHAT_PORT": str(fake_port),
        "WECHAT_API_BASE_URL": f"http://127.0.0.1:{fake_port}",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PYTHONUNBUFFERED": "1",
    }
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "seed")
    with (tmp / "devrun.log").open("w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "bot.dev.run"], cwd=ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(url + "/healthz", timeout=5).ok:
                    break
            except requests.RequestException:  # not up yet, or slow to answer on a busy machine
                time.sleep(0.3)
        else:
            pytest.fail("make run's stack did not come up:\n" + (tmp / "devrun.log").read_text())
        yield {"url": url, "env": env}
    finally:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, (tmp / "devrun.log").read_text()


def _say(page: Any, text: str, expect: str) -> str:
    before = page.locator("#chat").inner_text()
    page.fill("#input", text)
    page.press("#input", "Enter")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = page.locator("#chat").inner_text()
        if now != before and expect in now[len(before) - 50 :]:
            return now
        time.sleep(0.2)
    raise AssertionError(f"no reply containing {expect!r} after {text!r}:\n{page.locator('#chat').inner_text()}")


def test_report_in_the_simulator_answer_in_the_console_and_the_citizen_hears_back(browser: Any, stack: dict) -> None:  # noqa: F811
    phone = browser.new_context(base_url=stack["url"], viewport={"width": 390, "height": 844}, locale="zh-CN",
                                timezone_id="Asia/Shanghai")  # fmt: skip
    sim = phone.new_page()
    sim.set_default_timeout(15_000)
    sim.goto("/simulator/")
    sim.select_option("#identity", "c:o_demo_1")
    _say(sim, COMPLAINT, "材料")
    _say(sim, "没有", "匿名")
    _say(sim, "1", "确认")
    chat = _say(sim, "确认", "工单号")
    number = chat.split("工单号：")[-1][:12]
    assert number.startswith("ZY")

    shown = json.loads(_flask(stack["env"], "case", "show", number, "--json"))
    handler = next(a["supervisor"] for a in shown["assignees"] if a["role"] == "handler")
    desk = browser.new_context(base_url=stack["url"], viewport={"width": 1366, "height": 900}, locale="zh-CN")
    console = desk.new_page()
    console.set_default_timeout(15_000)
    console.goto("/console/login")
    console.fill("input[name=username]", handler)
    console.fill("input[name=password]", "zhiyong-demo-1")
    console.click("button[type=submit]")
    console.wait_for_load_state("networkidle")
    console.goto("/console/cases?state=all&q=" + number)
    console.click(f"text={number}")
    console.click("button[value=sign]")
    console.wait_for_load_state("networkidle")
    console.fill("form[action$='/actions/reply'] textarea[name=note]", "已约谈3号窗口工作人员并责令整改，向您致歉。")
    console.click("button[value=reply]")
    console.wait_for_load_state("networkidle")
    assert "待回访" in console.inner_text(".case-head")

    # The scheduler drains the outbox to the fake API every few seconds; the simulator polls it.
    deadline = time.monotonic() + 45
    text = ""
    while time.monotonic() < deadline:
        text = sim.locator("#chat").inner_text()
        if "责令整改" in text and "1A" in text and "签收" in text:
            break
        time.sleep(0.5)
    assert "责令整改" in text and "1A" in text, text
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    sim.screenshot(path=str(SCREENSHOTS / "simulator.png"), full_page=False)
    phone.close()
    desk.close()
