"""The accountability half in a real Chromium (Playwright, headless, Debian's /usr/bin/chromium) against the real
server: the public 通报 page with no sign-in, a unit's record as the office, an official's 活档案 as the 组织部
(who adds an entry by hand and cannot open a case), and the queue on a phone (390 px: cards, no sideways scroll).
Screenshots go to docs/screenshots/ for the README.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest

from tests.browser.test_console_browser import PASSWORD
from tests.browser.test_console_browser import SCREENSHOTS
from tests.browser.test_console_browser import _file_complaint
from tests.browser.test_console_browser import _flask
from tests.browser.test_console_browser import _sign_in
from tests.browser.test_console_browser import browser  # noqa: F401  (the module's browser fixture)
from tests.browser.test_console_browser import playwright_api  # noqa: F401
from tests.conftest import base_environ
from tests.conftest import make_settings
from tests.live.server import start

pytestmark = [pytest.mark.browser, pytest.mark.live]
PHONE = {"width": 390, "height": 844}
BDC_COMPLAINT = "今天上午在不动产登记中心1号窗口办过户，工作人员让我来回跑了三趟，材料要了又要，电话13600136000"


def _accountability_history(db: str) -> None:
    """Findings, 问责 (confirmed), one approved 通报 and a 民主测评 round on the seeded history, through the services."""
    import sqlalchemy as sa

    from bot import create_app
    from bot.dev import demo_accountability
    from bot.runtime import runtime
    from storage.models import Case

    app = create_app(make_settings(db))
    rt = runtime(app)
    try:
        with rt.db.transaction() as s:
            ids = set(s.scalars(sa.select(Case.id)))
        demo_accountability.seed(rt, ids, datetime.now(UTC))
    finally:
        rt.db.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("browser_accountability")
    db = f"sqlite:///{tmp / 'browser.db'}"
    srv = start(base_environ(db), tmp, gunicorn=True, workers=2)
    try:
        from tests.browser.seed import seed_history

        seed_history(make_settings(db), datetime.now(UTC), per_week=6)
        for args in (("li", "supervisor", "--supervisor-id", "sup_bdc"), ("sup_triage", "office", "--supervisor-id",
                     "sup_triage"), ("office2", "office", "--name", "治庸办审核员"), ("zzb", "organisation", "--name",
                     "组织部干部科")):  # fmt: skip
            username, role, *extra = args
            _flask(srv.env, "staff", "create", "--username", username, "--role", role, *extra, "--password", PASSWORD)
        _accountability_history(db)
        bdc = _file_complaint(srv, "o_browser_acc_1", BDC_COMPLAINT)
        yield {"server": srv, "bdc": bdc}
    finally:
        srv.stop()


def _page(chromium: Any, server: dict[str, Any], viewport: dict[str, int] | None = None) -> Any:
    context = chromium.new_context(base_url=server["server"].url, viewport=viewport or {"width": 1280, "height": 900},
                                  locale="zh-CN", timezone_id="Asia/Shanghai")  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _shot(page: Any, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=full_page)


def test_the_public_page_shows_the_approved_bulletin_without_a_sign_in(browser: Any, server: dict[str, Any]) -> None:  # noqa: F811
    page = _page(browser, server, {"width": 1024, "height": 760})
    response = page.goto("/public/")
    assert response is not None and response.status == 200
    assert "/console/login" not in page.url
    first = page.locator("article.bulletin").first
    assert "的通报" in first.inner_text() and "反面典型" in first.inner_text()
    assert "各单位月度排名" in page.inner_text("#standing")
    body = page.content()
    assert "o_seed" not in body and "ZY" not in page.inner_text("main")
    feed = page.request.get(server["server"].url + "/public/feed.atom")
    assert feed.ok and "<entry>" in feed.text()
    _shot(page, "public.png", full_page=True)
    page.context.close()


def test_the_office_reads_a_units_record(browser: Any, server: dict[str, Any]) -> None:  # noqa: F811
    page = _page(browser, server)
    _sign_in(page, "office2")
    page.goto("/console/units/bdc")
    assert "市不动产登记中心" in page.inner_text("h1") and "单位档案" in page.inner_text("h1")
    assert page.locator("svg.chart").count() == 2
    assert page.locator(".unit-kpis .kpi").count() == 7
    text = page.inner_text("main")
    assert "问责处理" in text and "分管副主任" in text and "诫勉谈话" in text and "逐周情况" in text
    _shot(page, "unit.png")
    page.context.close()


def test_the_organisation_department_keeps_an_officials_record(browser: Any, server: dict[str, Any]) -> None:  # noqa: F811
    page = _page(browser, server)
    _sign_in(page, "zzb")
    assert page.url.endswith("/console/officials")
    page.click("text=陈红梅")
    page.wait_for_load_state("networkidle")
    assert "分管副主任" in page.inner_text("h1")
    table = page.inner_text("table.dossier")
    assert "问责" in table and "诫勉谈话" in table and "民主测评" in table and "治庸问责平台" in table
    page.select_option("select[name=kind]", "urgent")
    page.fill("input[name=source]", "市防汛抗旱指挥部通报")
    page.fill("textarea[name=summary]", "防汛抢险中带领窗口人员连续值守，保障群众办事不中断")
    page.click("form.grid-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "已记入陈红梅的活档案" in page.inner_text(".flash")
    assert "急难险重任务表现" in page.inner_text("table.dossier")
    _shot(page, "dossier.png", full_page=True)
    response = page.goto("/console/cases")
    assert response is not None and response.status == 403  # the 组织部 sees no case
    page.context.close()


def test_the_queue_on_a_phone_is_cards_without_sideways_scroll(browser: Any, server: dict[str, Any]) -> None:  # noqa: F811
    page = _page(browser, server, PHONE)
    _sign_in(page, "li")
    page.goto("/console/cases")
    assert server["bdc"] in page.content()
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1] <= 390, widths
    row = page.locator("table.queue tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    assert page.locator("table.queue thead").evaluate("h => getComputedStyle(h).display") == "none"
    labels = row.locator("td").evaluate_all("tds => tds.map(td => getComputedStyle(td, '::before').content)")
    assert '"时限："' in labels and '"状态："' in labels, labels  # each field of a card says what it is
    assert "-0.0" not in page.inner_text("main")
    _shot(page, "queue-phone.png")
    page.goto("/console/cases/" + page.locator(f"a:has-text('{server['bdc']}')").get_attribute("href").split("/")[-1])
    widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= 390, widths
    page.context.close()
