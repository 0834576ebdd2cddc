"""The accountability half's first story: a handler records what the case found and who was held to account
(WeChat or the console), the office confirms it — or sends it back — and `case show --json` tells it."""

from __future__ import annotations

import json

from tests.conftest import WeChat
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint

SUP = "o_acc_sup_bdc"


def show(app, number: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    result = app.test_cli_runner().invoke(args=["case", "show", number, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def answered_case(app, wechat: WeChat, openid: str = "o_acc_citizen") -> str:  # type: ignore[no-untyped-def]
    number = file_complaint(wechat, openid=openid)
    bind(app, wechat, "sup_bdc", SUP)
    wechat.text(f"签收 {number}", SUP)
    wechat.text(f"回复 {number} 已约谈窗口工作人员并向您致歉", SUP)
    return number


def test_a_handler_records_finding_and_accountability_in_wechat_and_the_office_confirms(app, wechat: WeChat,
                                                                                         db_url: str) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    number = file_complaint(wechat, openid="o_acc_citizen")
    bind(app, wechat, "sup_bdc", SUP)
    data = show(app, number)
    assert data["finding"] is None and data["accountability"] is None
    # Not before the handler has the case.
    assert "签收后" in (wechat.text(f"查实 {number} 属实 整改：约谈", SUP) or "")
    wechat.text(f"签收 {number}", SUP)
    wechat.text(f"回复 {number} 已约谈窗口工作人员并向您致歉", SUP)
    # A true finding needs its 整改; a 问责 needs a post, never a phone number.
    assert "整改措施" in (wechat.text(f"查实 {number} 属实", SUP) or "")
    assert "岗位或职务" in (wechat.text(f"问责 {number} 通报批评 13912345678", SUP) or "")
    reply = wechat.text(f"查实 {number} 属实 整改：已约谈3号窗口工作人员，调离窗口岗位", SUP) or ""
    assert "查实情况已记录（属实），待治庸办确认" in reply
    reply = wechat.text(f"问责 {number} 诫勉谈话 分管副主任；批评教育 3号窗口工作人员", SUP) or ""
    assert "诫勉谈话（分管副主任）" in reply and "批评教育（3号窗口工作人员）" in reply

    data = show(app, number)
    assert data["finding"]["verdict"] == "verified" and data["finding"]["verdict_label"] == "属实"
    assert data["finding"]["status"] == "pending" and "调离窗口岗位" in data["finding"]["measures"]
    assert [(a["measure_label"], a["post"], a["official"], a["status"]) for a in data["accountability"]] == [
        ("诫勉谈话", "分管副主任", "off_bdc_fzr", "pending"),
        ("批评教育", "3号窗口工作人员", None, "pending"),
    ]

    create_staff(app, "office1", "office")
    office = login(app, "office1")
    pid = public_id(db_url, number)
    assert number in office.get("/console/accountability").get_data(as_text=True)
    page = office.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert "确认查实与问责" in page and "分管副主任" in page
    office.post(f"/console/cases/{pid}/outcome/confirm")
    data = show(app, number)
    assert data["finding"]["status"] == "confirmed" and data["finding"]["reviewed_by"] == "staff:office1"
    assert {a["status"] for a in data["accountability"]} == {"confirmed"}
    assert number not in office.get("/console/accountability").get_data(as_text=True)
    # Audited on the case's chain, and the chain still verifies.
    actions = [e["action"] for e in data["timeline"]]
    assert actions[-3:] == ["finding", "accountability", "finding_confirm"]
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    # The confirmed 诫勉谈话 names the post of an official of the unit: it is on that official's 活档案.
    entries = rows(db_url, "SELECT official_id, kind, origin FROM dossier_entries")
    assert entries == [("off_bdc_fzr", "accountability", "auto")]
    summary = rows(db_url, "SELECT summary FROM dossier_entries")[0][0]
    assert "诫勉谈话" in summary and number not in summary


def test_the_office_sends_it_back_and_the_handler_records_again(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = answered_case(app, wechat)
    wechat.text(f"查实 {number} 不属实", SUP)
    wechat.text(f"问责 {number} 无", SUP)
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    pid = public_id(db_url, number)
    resp = office.post(f"/console/cases/{pid}/outcome/return", {"note": ""}, follow_redirects=True)
    assert "请写明退回理由" in resp.get_data(as_text=True)
    office.post(f"/console/cases/{pid}/outcome/return", {"note": "监控显示确有吼叫，请重新核实"})
    data = show(app, number)
    assert data["finding"]["status"] == "returned" and "重新核实" in data["finding"]["review_note"]
    assert [a["status"] for a in data["accountability"]] == ["returned"]
    assert data["timeline"][-1]["action"] == "finding_return"
    # The handler hears of it, and records again: waiting for the office once more.
    assert rows(db_url, "SELECT recipient FROM outbox WHERE purpose = 'case_finding_return'") == [("sup_bdc",)]
    wechat.text(f"查实 {number} 部分属实 整改：对窗口人员批评教育", SUP)
    wechat.text(f"问责 {number} 批评教育 窗口工作人员", SUP)
    data = show(app, number)
    assert (data["finding"]["verdict"], data["finding"]["status"]) == ("partly", "pending")
    assert [(a["measure"], a["status"]) for a in data["accountability"]] == [("none", "returned"),
                                                                            ("criticism", "pending")]  # fmt: skip
    assert rows(db_url, "SELECT count(*) FROM dossier_entries") == [(0,)]  # nothing confirmed names an official


def test_the_console_form_records_it_and_nobody_confirms_their_own(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = answered_case(app, wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    create_staff(app, "office1", "office")
    create_staff(app, "office2", "office")
    pid = public_id(db_url, number)
    li = login(app, "li")
    page = li.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert "记录查实情况" in page and "记录问责处理" in page and "确认查实与问责" not in page
    li.post(f"/console/cases/{pid}/finding", {"verdict": "verified", "measures": "责令窗口整改，电话13912345678回访"})
    li.post(f"/console/cases/{pid}/accountability", {"measure": ["self_review", ""], "post": ["窗口负责人", ""]})
    assert li.post(f"/console/cases/{pid}/outcome/confirm").status_code == 403  # supervisors never confirm
    data = show(app, number)
    assert data["finding"]["recorded_by"] == "sup_bdc" and "139****5678" in data["finding"]["measures"]
    assert [(a["measure"], a["post"]) for a in data["accountability"]] == [("self_review", "窗口负责人")]
    # The office adds a 问责 itself: then it may not confirm, a second office account does.
    office1, office2 = login(app, "office1"), login(app, "office2")
    office1.post(f"/console/cases/{pid}/accountability", {"measure": ["circulated"], "post": ["登记科科长"]})
    refused = office1.post(f"/console/cases/{pid}/outcome/confirm", follow_redirects=True).get_data(as_text=True)
    assert "不能确认或退回自己录入" in refused
    assert {a["status"] for a in show(app, number)["accountability"]} == {"pending"}
    office2.post(f"/console/cases/{pid}/outcome/confirm")
    assert {a["status"] for a in show(app, number)["accountability"]} == {"confirmed"}
    log = rows(db_url, "SELECT action FROM staff_events WHERE action LIKE 'record_%' OR action LIKE 'outcome_%'")
    assert [a for (a,) in log] == ["record_finding", "record_accountability", "record_accountability",
                                   "outcome_confirm"]  # fmt: skip


def test_a_supervisor_of_another_unit_cannot_record_on_the_case(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = answered_case(app, wechat)
    bind(app, wechat, "sup_gaj", "o_acc_sup_gaj")
    assert "未找到" in (wechat.text(f"查实 {number} 不属实", "o_acc_sup_gaj") or "")
    create_staff(app, "wang", "supervisor", "--supervisor-id", "sup_gaj")
    resp = login(app, "wang").post(f"/console/cases/{public_id(db_url, number)}/finding", {"verdict": "unfounded"})
    assert resp.status_code == 404
    assert show(app, number)["finding"] is None
