"""The mobile survey page in a real Chromium (Playwright, headless, Debian's /usr/bin/chromium) against the real
server, at phone width and with JavaScript switched off: a citizen opens the link from their invitation, is told
what is missing, answers, and the link then only says thank you; a forged link is refused. The office reads the
result in the console. A screenshot of the form goes to docs/screenshots/ for the README.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.test_console_browser import PASSWORD
from tests.browser.test_console_browser import SCREENSHOTS
from tests.browser.test_console_browser import _file_complaint
from tests.browser.test_console_browser import _flask
from tests.browser.test_console_browser import _sign_in
from tests.browser.test_console_browser import browser  # noqa: F401  (the module's browser fixture)
from tests.browser.test_console_browser import playwright_api  # noqa: F401
from tests.conftest import base_environ
from tests.integration.console_helpers import rows
from tests.live.server import start

pytestmark = [pytest.mark.browser, pytest.mark.live]
PHONE = {"width": 390, "height": 844}
SURVEY = """title: 窗口单位民主评议
units: [zwfw, bdc]
audience: {dealt_with_days: 90}
opens: 2026-01-01
closes: 2099-12-31
questions:
  - {text: 您对该单位工作人员的服务态度是否满意？, kind: scale5}
  - {text: 您办理的业务是？, kind: choice, options: [登记, 查询, 其他]}
  - {text: 您还有什么意见建议？, kind: text}
"""
COMPLAINT = "今天上午在不动产登记中心2号窗口办抵押登记，工作人员态度很差还让我跑了两趟"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser_survey")
    db = f"sqlite:///{tmp / 'browser.db'}"
    srv = start(base_environ(db), tmp, gunicorn=True, workers=2)
    try:
        _file_complaint(srv, "o_browser_survey_1", COMPLAINT)
        _flask(srv.env, "staff", "create", "--username", "office", "--role", "office", "--name", "治庸办值班员",
               "--password", PASSWORD)  # fmt: skip
        source = Path(tmp / "survey.yaml")
        source.write_text(SURVEY, "utf-8")
        survey_id = _flask(srv.env, "survey", "create", "--file", str(source)).split()[-1]
        _flask(srv.env, "survey", "send", survey_id)
        ((payload,),) = rows(db, "SELECT payload FROM outbox WHERE purpose = 'survey_invite'")
        link = (json.loads(payload) if isinstance(payload, str) else payload)["template"]["link"]
        yield {"server": srv, "survey": survey_id, "path": urlsplit(link).path}
    finally:
        srv.stop()


def test_a_citizen_answers_on_a_phone_without_javascript(browser: Any, server: dict[str, Any]) -> None:  # noqa: F811
    context = browser.new_context(base_url=server["server"].url, viewport=PHONE, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", java_script_enabled=False)  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    response = page.goto(server["path"])
    assert response is not None and response.status == 200
    assert page.inner_text("h1") == "窗口单位民主评议" and "市不动产登记中心" in page.inner_text(".lead")
    assert page.locator("input[type=radio][name=q0]").count() == 5
    form = page.locator("form.survey").bounding_box()
    assert form is not None and form["x"] >= 0 and form["x"] + form["width"] <= PHONE["width"]  # no sideways scroll
    box = page.locator("button.submit").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] >= 44  # a thumb-sized button across the screen
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "survey-phone.png"), full_page=True)

    page.click("button.submit")  # nothing chosen: the page says what is missing, nothing is stored
    assert "请回答第1题" in page.inner_text(".error")
    page.check("input[name=q0][value='4']")  # 满意
    page.click("label.option:has-text('查询')")  # the whole row is the touch target
    page.fill("textarea[name=q2]", "希望中午也能有人值班，电话13800138000")
    page.click("button.submit")
    page.wait_for_load_state("load")
    assert "回答已经收到" in page.inner_text("main")
    page.goto(server["path"])  # the link now only says thank you
    assert "回答已经收到" in page.inner_text("main") and page.locator("form").count() == 0
    tail = "BBBB" if server["path"].endswith("AAAA") else "AAAA"
    forged = page.goto(server["path"][:-4] + tail)
    assert forged is not None and forged.status == 403 and "链接无效" in page.inner_text("main")
    context.close()

    office = browser.new_context(base_url=server["server"].url, viewport={"width": 1280, "height": 900},
                                 locale="zh-CN", timezone_id="Asia/Shanghai")  # fmt: skip
    console = office.new_page()
    console.set_default_timeout(15_000)
    _sign_in(console, "office")
    console.goto(f"/console/surveys/{server['survey']}")
    text = console.inner_text("main")
    assert "1 人作答" in text and "得分 75.0" in text and "查询 1" in text
    assert "138****8000" in text and "13800138000" not in text
    office.close()
