"""Every place staff read citizen text shows a phone or ID number masked, whatever way the citizen wrote it.

One case carries a mobile and an ID number in every writing (`tests.planted`) in its text, a supplement, an
answer to the supervisor's question, its window, its time words and its place; each surface is then read as
staff (or an Open311 client) would read it, and no 7 consecutive digits of either number may be left.
"""

from __future__ import annotations

import io
import json
from datetime import UTC
from datetime import datetime

import pytest
from openpyxl import load_workbook

from bot.runtime import runtime
from handlers import digest as figures
from handlers import watch
from storage import cases as cases_repo
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_cases_flow import payloads
from tests.planted import ID_WRITINGS
from tests.planted import PHONE_WRITINGS
from tests.planted import PLANTED_TEXT
from tests.planted import assert_unrecoverable

CITIZEN = "o_planted_citizen"
WINDOW = "１３９８７６５４３２１"
WHEN = "一三九八七六五四三二一那天"
PLACE = "+86 139 8765 4321 门口"
SUPPLEMENT = "再补充：" + "、".join(PHONE_WRITINGS[:7])
ANSWER = "我的联系方式：" + "、".join(PHONE_WRITINGS[7:] + ID_WRITINGS)


def _plant(app, wechat, db_url: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The planted case, signed, asked and answered by the citizen; (number, public id)."""
    number = file_complaint(wechat, PLANTED_TEXT, openid=CITIZEN)
    rt = runtime(app)
    with rt.db.transaction() as s:
        case = cases_repo.by_number(session=s, number=number)
        assert case is not None
        case.window, case.occurred_text = WINDOW, WHEN
        case.location = {"lat": 29.84, "lon": 114.32, "label": PLACE}
    assert number in (wechat.text(f"补充 {number} {SUPPLEMENT}", CITIZEN) or "")
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    pid = public_id(db_url, number)
    assert li.post(f"/console/cases/{pid}/actions/sign").status_code == 303
    assert li.post(f"/console/cases/{pid}/actions/ask", {"note": "请问电话是哪个？"}).status_code == 303
    assert "已转给督办人员" in (wechat.text(ANSWER, CITIZEN) or "")
    return number, pid


@pytest.fixture
def planted(app, wechat, db_url: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return _plant(app, wechat, db_url)


def test_the_case_page_masks_text_supplements_answers_window_time_and_place(app, db_url, planted) -> None:  # type: ignore[no-untyped-def]
    _, pid = planted
    create_staff(app, "office1", "office")
    for who in ("li", "office1"):
        page = login(app, who).get(f"/console/cases/{pid}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        for shown in ("139****4321", "再补充", "我的联系方式", "门口", "那天"):
            assert shown in html, shown
        assert_unrecoverable(html)


def test_the_queue_and_the_triage_desk_mask_their_snippets(app, db_url, planted) -> None:  # type: ignore[no-untyped-def]
    number, _ = planted
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    for page in (office.get("/console/cases?state=all"), login(app, "li").get("/console/cases?state=all")):
        html = page.get_data(as_text=True)
        assert number in html and "号窗口" in html
        assert_unrecoverable(html)
    rt = runtime(app)
    with rt.db.transaction() as s:
        case = cases_repo.by_number(session=s, number=number)
        assert case is not None
        case.state = "triage"
    desk = office.get("/console/triage").get_data(as_text=True)
    assert number in desk and "139****4321" in desk
    assert_unrecoverable(desk)


def test_the_queue_search_finds_words_but_never_masked_digits(app, db_url, planted) -> None:  # type: ignore[no-untyped-def]
    number, _ = planted
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    for q in ("5432", "8765", "139876", "13987654321", "１３９８", "0307", "9900"):
        html = office.get("/console/cases", query_string={"state": "all", "q": q}).get_data(as_text=True)
        assert number not in html, q
    html = office.get("/console/cases", query_string={"state": "all", "q": "跑了三趟"}).get_data(as_text=True)
    assert number in html


def _cells(data: bytes) -> str:
    wb = load_workbook(io.BytesIO(data))
    return "\n".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)


def test_the_ledger_web_and_cli_mask_text_and_window(app, tmp_path, planted) -> None:  # type: ignore[no-untyped-def]
    number, _ = planted
    create_staff(app, "office1", "office")
    web = login(app, "office1").get("/ledger.xlsx?from=2026-11-01&to=2026-11-30")
    assert web.status_code == 200
    out = tmp_path / "ledger.xlsx"
    result = app.test_cli_runner().invoke(
        args=["ledger", "export", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for text in (_cells(web.data), _cells(out.read_bytes())):
        assert number in text and "139****4321" in text
        assert_unrecoverable(text)


def test_digest_pages_and_texts_mask_a_window(app, wechat, db_url, clock) -> None:  # type: ignore[no-untyped-def]
    numbers = [
        file_complaint(wechat, "昨天不动产登记中心窗口态度很差，让我跑了三趟", openid=f"o_hot_{i}") for i in range(3)
    ]
    rt = runtime(app)
    with rt.db.transaction() as s:
        for number in numbers:
            case = cases_repo.by_number(session=s, number=number)
            assert case is not None
            case.window = WINDOW
    clock.advance(hours=1)
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    for path in ("/console/digest/2026-W48", "/console/dashboard"):
        page = office.get(path)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "139****4321号窗口" in html, path
        assert_unrecoverable(html)


@pytest.mark.parametrize("window", PHONE_WRITINGS + ID_WRITINGS)
def test_the_digest_text_and_the_hot_spot_notice_mask_a_window(app, window: str) -> None:  # type: ignore[no-untyped-def]
    city = runtime(app).settings.city
    start = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
    d = figures.Digest("2026-W48", start, start.replace(day=29), start.replace(day=29), {}, [],
                       hot_spots=[{"unit": "bdc", "window": window, "reporters": 3}])  # fmt: skip
    text = figures.render(d, city)
    assert "号窗口（3人）" in text
    assert_unrecoverable(text)
    notice = watch.hot_spot_text(watch.HotSpot("bdc", window, 3), city, "https://zy.example.gov.cn/c")
    assert "号窗口" in notice
    assert_unrecoverable(notice)


def test_open311_responses_mask_description_address_and_window(app, client, db_url) -> None:  # type: ignore[no-untyped-def]
    key = app.test_cli_runner().invoke(args=["open311", "key", "create", "hotline"]).output.strip().splitlines()[0]
    created = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "attitude", "description": PLANTED_TEXT, "attribute[unit]": "bdc",
        "attribute[window]": WINDOW, "address_string": PLACE, "lat": "29.84", "long": "114.32"})  # fmt: skip
    assert created.status_code == 201, created.get_data(as_text=True)
    number = created.get_json()[0]["service_request_id"]
    for resp in (client.get(f"/open311/v2/requests/{number}.json?api_key={key}"),
                 client.get(f"/open311/v2/requests.json?api_key={key}")):  # fmt: skip
        body = resp.get_data(as_text=True)
        assert resp.status_code == 200 and number in body
        [req] = resp.get_json()
        assert "139****4321" in req["description"] and "门口" in req["address"]
        assert_unrecoverable(json.dumps(req, ensure_ascii=False))


def test_supervisor_notices_carry_no_number(app, db_url, planted) -> None:  # type: ignore[no-untyped-def]
    notices = payloads(db_url, "recipient_kind = 'supervisor'")
    assert notices and all("ZY" in n for n in notices)
    for notice in notices:
        assert_unrecoverable(notice)


def test_case_show_json_masks_text_window_and_time(app, planted) -> None:  # type: ignore[no-untyped-def]
    number, _ = planted
    result = app.test_cli_runner().invoke(args=["case", "show", number, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "139****4321" in data["text"] and data["window"] and data["occurred_text"]
    assert_unrecoverable(result.output)
    plain = app.test_cli_runner().invoke(args=["case", "show", number])
    assert plain.exit_code == 0 and number in plain.output
    assert_unrecoverable(plain.output)


def test_the_corrections_export_masks_every_writing(app, db_url, tmp_path, planted) -> None:  # type: ignore[no-untyped-def]
    _, pid = planted
    login(app, "li").post(f"/console/cases/{pid}/actions/reclassify", {"category": "obstruction"})
    out = tmp_path / "corrections.jsonl"
    result = app.test_cli_runner().invoke(args=["corrections", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert "139****4321" in row["text"]
    assert_unrecoverable(out.read_text("utf-8"))
