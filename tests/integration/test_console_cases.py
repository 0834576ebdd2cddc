"""Working cases in the console: lifecycle steps, the audited timeline, triage, reclassify as correction, merge,
extension, and citizen text that stays inert everywhere it is shown."""

from __future__ import annotations

import json

from nlp.builtin import data_sha256 as builtin_data_sha256
from nlp.model import read_metadata
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.console_helpers import two_cases
from tests.integration.test_cases_flow import file_complaint

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)><a href="javascript:alert(3)">点我</a>'


def _state(db_url: str, number: str) -> str:
    return rows(db_url, "SELECT state FROM cases WHERE number = :n", n=number)[0][0]


def test_a_supervisor_signs_asks_and_answers_and_the_timeline_shows_it(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, _ = two_cases(wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    pid = public_id(db_url, bdc)
    page = li.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert "139****5678" in page and "13912345678" not in page
    assert "o_console_citizen_1" not in page
    assert f'action="/console/cases/{pid}/actions/sign"' in page
    assert "actions/reply" not in page  # not offered before signing
    assert li.post(f"/console/cases/{pid}/actions/sign").status_code == 303
    li.post(f"/console/cases/{pid}/actions/ask", {"note": "请问具体是哪一天？"})
    assert _state(db_url, bdc) == "in_progress"
    empty = li.post(f"/console/cases/{pid}/actions/reply", {"note": "  "})
    assert empty.status_code == 303 and _state(db_url, bdc) == "in_progress"
    li.post(f"/console/cases/{pid}/actions/reply", {"note": "已约谈窗口负责人并责令整改。"})
    assert _state(db_url, bdc) == "rating"
    page = li.get(f"/console/cases/{pid}").get_data(as_text=True)
    for label in ("签收", "询问", "答复", "邀请评价", "审计链完整", "李督办"):
        assert label in page, label
    actors = rows(db_url, "SELECT actor, action FROM case_events WHERE action IN ('sign', 'reply')")
    assert actors == [("sup_bdc", "sign"), ("sup_bdc", "reply")]
    citizen = [json.loads(p) if isinstance(p, str) else p for (p,) in
               rows(db_url, "SELECT payload FROM outbox WHERE recipient_kind = 'citizen' AND purpose = 'case_reply'")]  # fmt: skip
    assert citizen and "责令整改" in citizen[0]["text"]
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_an_illegal_step_is_refused_with_the_reason(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, _ = two_cases(wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    pid = public_id(db_url, bdc)
    resp = li.post(f"/console/cases/{pid}/actions/close", follow_redirects=True)
    assert "不能办结" in resp.get_data(as_text=True)
    assert _state(db_url, bdc) == "assigned"


def test_citizen_text_is_inert_on_every_page(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = file_complaint(wechat, "昨天上午不动产登记中心窗口工作人员态度很差" + XSS, openid="o_xss_citizen")
    create_staff(app, "office1", "office")
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    office = login(app, "office1")
    pid = public_id(db_url, number)
    pages = [office.get(f"/console/cases/{pid}"), office.get("/console/cases?state=all"),
             office.get("/console/triage"), office.get("/console/digest/2026-W48"),
             login(app, "li").get("/console/cases?state=all")]  # fmt: skip
    for resp in pages:
        html = resp.get_data(as_text=True)
        assert resp.status_code == 200
        for raw in ("<script>alert", "<img src=x", 'href="javascript:', "onerror=alert(2)>"):
            assert raw not in html, raw
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].get_data(as_text=True)


def test_the_office_routes_a_triage_case_and_the_choice_is_a_correction(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    key = app.test_cli_runner().invoke(args=["open311", "key", "create", "hotline"]).output.strip().splitlines()[0]
    created = app.test_client().post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "attitude", "description": "有个工作人员说话很难听，希望管一管"})  # fmt: skip
    number = created.get_json()[0]["service_request_id"]
    assert _state(db_url, number) == "triage"
    desk = office.get("/console/triage").get_data(as_text=True)
    assert number in desk
    pid = public_id(db_url, number)
    bad = office.post(f"/console/triage/{pid}/route", {"unit": "nope"}, follow_redirects=True)
    assert "请选择一个单位" in bad.get_data(as_text=True) and _state(db_url, number) == "triage"
    office.post(f"/console/triage/{pid}/route", {"unit": "zwfw", "category": "obstruction"})
    assert rows(db_url, "SELECT state, respondent_unit, category, triage FROM cases WHERE number = :n", n=number) in (
        [("assigned", "zwfw", "obstruction", False)], [("assigned", "zwfw", "obstruction", 0)])  # fmt: skip
    assert rows(db_url, "SELECT supervisor_id, role, active FROM assignments WHERE role = 'handler'") in (
        [("sup_zwfw", "handler", True)], [("sup_zwfw", "handler", 1)])  # fmt: skip
    assert rows(db_url, "SELECT to_category, to_unit FROM corrections") == [("obstruction", "zwfw")]
    assert "0 件待分拣" in office.get("/console/triage").get_data(as_text=True)
    # Routed once, it cannot be routed again from the desk.
    again = office.post(f"/console/triage/{pid}/route", {"unit": "bdc"}, follow_redirects=True)
    assert "已不在分拣台" in again.get_data(as_text=True)


def test_reclassify_is_audited_and_exported_for_training(app, wechat, db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    bdc, _ = two_cases(wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    pid = public_id(db_url, bdc)
    li.post(f"/console/cases/{pid}/actions/reclassify", {"category": "obstruction"})
    assert rows(db_url, "SELECT category FROM cases WHERE number = :n", n=bdc) == [("obstruction",)]
    assert rows(db_url, "SELECT action, note FROM case_events WHERE action = 'reclassify'") == [
        ("reclassify", "类别 attitude → obstruction")
    ]
    out = tmp_path / "corrections.jsonl"
    result = app.test_cli_runner().invoke(args=["corrections", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert row["category"] == "obstruction" and row["unit"] == "bdc"
    assert "139****5678" in row["text"] and "13912345678" not in row["text"]
    full = tmp_path / "train.jsonl"
    result = app.test_cli_runner().invoke(args=["corrections", "export", "--with-builtin", "--out", str(full)])
    assert result.exit_code == 0 and full.read_text("utf-8").rstrip().endswith(json.dumps(row, ensure_ascii=False))

    # The model learns from them: `nlp train --include-corrections` trains on the shipped examples plus these.
    model_dir = tmp_path / "model"
    trained = app.test_cli_runner().invoke(args=["nlp", "train", "--include-corrections", "--out", str(model_dir)])
    assert trained.exit_code == 0, trained.output
    assert "1 correction(s) from the console added" in trained.stderr and "saved complaint model" in trained.stdout
    metadata = read_metadata(model_dir)
    assert metadata is not None and metadata["source"] == "builtin+corrections (1)"
    assert metadata["data_sha256"] != builtin_data_sha256()  # it saw more than the shipped examples
    assert metadata["labels"]["category"] and metadata["labels"]["unit"]
    misuse = app.test_cli_runner().invoke(args=["nlp", "train", "--include-corrections", "--data", str(full)])
    assert misuse.exit_code != 0 and "--data" in misuse.output


def test_extension_is_requested_by_the_supervisor_and_approved_by_the_office(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, _ = two_cases(wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    create_staff(app, "office1", "office")
    li, office = login(app, "li"), login(app, "office1")
    pid = public_id(db_url, bdc)
    li.post(f"/console/cases/{pid}/actions/sign")
    li.post(f"/console/cases/{pid}/actions/request_extension", {"days": "3", "note": "需要调取监控"})
    assert _state(db_url, bdc) == "extension"
    before = rows(db_url, "SELECT answer_due FROM cases WHERE number = :n", n=bdc)[0][0]
    page = office.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert 'name="days" min="1" max="30" value="3"' in page
    office.post(f"/console/cases/{pid}/actions/approve_extension", {"days": "3"})
    after = rows(db_url, "SELECT state, answer_due FROM cases WHERE number = :n", n=bdc)[0]
    assert after[0] == "in_progress" and after[1] > before


def test_the_office_merges_a_duplicate(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, gaj = two_cases(wechat)
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    pid = public_id(db_url, gaj)
    office.post(f"/console/cases/{pid}/actions/merge", {"target": "ZY2611279999"})
    assert _state(db_url, gaj) == "assigned"
    office.post(f"/console/cases/{pid}/actions/merge", {"target": bdc})
    assert rows(db_url, "SELECT c.state, d.number FROM cases c JOIN cases d ON d.id = c.duplicate_of") == [
        ("merged", bdc)
    ]
    assert "重复件" in office.get(f"/console/cases/{public_id(db_url, bdc)}").get_data(as_text=True)


def test_dashboard_and_digest_pages_render_for_the_office(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    two_cases(wechat)
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    dash = office.get("/console/dashboard?weeks=12")
    html = dash.get_data(as_text=True)
    assert dash.status_code == 200 and html.count("<svg") == 2 and "单位排名" in html
    assert "市不动产登记中心" in html and "<script" not in html
    assert office.get("/console/digest").status_code == 200
    week = office.get("/console/digest/2026-W48").get_data(as_text=True)
    assert "治庸问责周报 2026-W48" in week
    for bad in ("2026-W99", "nonsense", "2030-W01"):
        assert office.get(f"/console/digest/{bad}").status_code == 404
