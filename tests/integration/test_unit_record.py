"""A unit's record (`/console/units/<code>`): its cases, findings, 问责, ratings, escalations and 12-week trends on
one printable page — the office and the organisation department see it, a supervisor for the units they oversee,
a unit head their own unit's figures without a case number; everyone else gets the 404 of a unit that is not."""

from __future__ import annotations

from tests.conftest import WeChat
from tests.integration.console_helpers import GAJ_TEXT
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint

SUP = "o_unit_sup"


def test_a_units_record_shows_each_reader_what_they_may_see(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = file_complaint(wechat, openid="o_unit_1")
    gaj = file_complaint(wechat, GAJ_TEXT, openid="o_unit_2")
    bind(app, wechat, "sup_bdc", SUP)
    wechat.text(f"签收 {number}", SUP)
    wechat.text(f"回复 {number} 已核实并致歉", SUP)
    wechat.text("2B", "o_unit_1")
    wechat.text(f"查实 {number} 部分属实 整改：加强窗口培训", SUP)
    wechat.text(f"问责 {number} 责令检查 窗口负责人", SUP)
    for who, role, *extra in (("office1", "office"), ("office2", "office"), ("zzb", "organisation"),
                              ("li", "supervisor", "--supervisor-id", "sup_bdc"),
                              ("head", "unit_head", "--supervisor-id", "head_bdc"), ("admin1", "admin")):  # fmt: skip
        create_staff(app, who, role, *extra)
    login(app, "office2").post(f"/console/cases/{public_id(db_url, gaj)}/actions/escalate", {"note": "请尽快办理"})

    office = login(app, "office1").get("/console/units/bdc").get_data(as_text=True)
    for shown in ("市不动产登记中心", "单位档案", "近 12 周", "部分属实 <b>1</b>", "责令检查", "窗口负责人",
                  "部分解决 <b>1</b>", "基本满意 <b>1</b>", number, "逐周情况", "<svg"):  # fmt: skip
        assert shown in office, shown
    assert office.count("<tr><td>2026-W") == 12  # twelve weeks, one row each
    gaj_page = login(app, "office1").get("/console/units/gaj").get_data(as_text=True)
    assert "<span>被督办</span><b>1</b>" in gaj_page and gaj in gaj_page

    org = login(app, "zzb").get("/console/units/bdc").get_data(as_text=True)
    assert "责令检查" in org and "窗口负责人" in org and "刘建国（主任）" in org
    assert number not in org and "ZY26" not in org  # figures and 问责 by post, never a case
    assert login(app, "zzb").get("/console/units").status_code == 200

    li = login(app, "li")
    assert number in li.get("/console/units/bdc").get_data(as_text=True)
    assert li.get("/console/units/gaj").status_code == 404  # not a unit on the account
    head = login(app, "head")
    mine = head.get("/console/units/bdc")
    assert mine.status_code == 200 and "ZY26" not in mine.get_data(as_text=True)
    assert "只显示统计数字" in mine.get_data(as_text=True)
    assert head.get("/console/units/gaj").status_code == 404
    assert login(app, "admin1").get("/console/units/bdc").status_code == 403
    assert login(app, "office1").get("/console/units/nonesuch").status_code == 404
    assert ("view_unit", "bdc") in rows(db_url, "SELECT action, target FROM staff_events")
