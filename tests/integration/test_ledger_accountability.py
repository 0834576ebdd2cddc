"""The ledger's new columns, told as the office reads them on Monday: 序号, who handles it, 纪检件, when and where,
实名/匿名, the answer, what was found, who was held to account and how it was put right, how late, how often it
was escalated, extended, returned and reopened, and why a report was not accepted — every text masked."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.runtime import runtime
from storage import cases as cases_repo
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint

SUP = "o_ledger_sup_bdc"
CORRUPTION = "今天上午在车管所换驾照的时候窗口工作人员暗示我塞红包才给办，不给好处费就一直拖着不办"
OUT_OF_SCOPE = "昨天上午在不动产登记中心窗口问小区物业费怎么收，工作人员态度很差不理人"


def sheet(resp) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    """工单台帐 as {工单号: {header: value}}."""
    ws = load_workbook(io.BytesIO(resp.get_data()))["工单台帐"]
    header = [c.value for c in ws[3]]
    out = {}
    for row in ws.iter_rows(min_row=4, values_only=True):
        values = dict(zip(header, row, strict=True))
        out[str(values["工单号"])] = values
    return out


def test_the_ledger_tells_the_whole_story_of_each_case(
    app, wechat: WeChat, clock: Clock, db_url: str, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "office1", "office")
    create_staff(app, "office2", "office")
    office, office2 = login(app, "office1"), login(app, "office2")
    bind(app, wechat, "sup_bdc", SUP)
    worked = file_complaint(wechat, openid="o_ledger_1")
    corrupt = file_complaint(wechat, CORRUPTION, openid="o_ledger_2")
    late = file_complaint(wechat, openid="o_ledger_3")
    rt = runtime(app)
    with rt.db.transaction() as s:
        case = cases_repo.by_number(session=s, number=worked)
        assert case is not None
        case.location = {"lat": 29.84, "lon": 114.32, "label": "咸安区温泉路 电话13912345678"}
    # worked: signed, extension asked and approved, escalated by the office, answered, reopened, answered again.
    wechat.text(f"签收 {worked}", SUP)
    wechat.text(f"延期 {worked} 3 需要调取监控", SUP)
    pid = public_id(db_url, worked)
    office.post(f"/console/cases/{pid}/actions/approve_extension", {"days": "3"})
    office.post(f"/console/cases/{pid}/actions/escalate", {"note": "请三日内答复"})
    wechat.text(f"签收 {worked}", SUP)
    wechat.text(f"回复 {worked} 经调取监控，已对窗口人员批评教育，联系电话13800001111", SUP)
    wechat.text("3C", "o_ledger_1")
    wechat.text(f"回复 {worked} 已再次核实并调整窗口人员岗位", SUP)
    wechat.text(f"查实 {worked} 属实 整改：调整3号窗口人员岗位，开展作风整顿", SUP)
    wechat.text(f"问责 {worked} 诫勉谈话 分管副主任", SUP)
    office2.post(f"/console/cases/{pid}/outcome/confirm")
    # rejected: the office does not accept a report outside the campaign, and says why.
    outside = file_complaint(wechat, OUT_OF_SCOPE, openid="o_ledger_4")
    office.post(f"/console/cases/{public_id(db_url, outside)}/actions/reject",
                {"note": "属物业服务纠纷，请拨打12345或联系住建部门，咨询电话13700002222"})  # fmt: skip
    clock.advance(days=14)  # `late` is never answered: 超期 by several working days
    office = login(app, "office1")  # a console session lasts a working day

    resp = office.get("/console/ledger.xlsx?from=2026-11-01&to=2026-12-31")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    book = sheet(resp)
    assert [v["序号"] for v in book.values()] == [1, 2, 3, 4]
    w = book[worked]
    assert (w["承办督办员"], w["是否纪检件"], w["实名/匿名"]) == ("李督办", "否", "匿名")
    assert w["发生时间"].startswith("昨天上午") and "139****5678" in w["地点"] and "13912345678" not in w["地点"]
    assert (w["督办次数"], w["延期次数"], w["退单次数"], w["重办次数"]) == (1, 1, 0, 1)
    assert w["答复内容"] == "已再次核实并调整窗口人员岗位"
    assert (w["查实情况"], w["问责处理"]) == ("属实", "诫勉谈话（分管副主任）")
    assert w["整改措施"] == "调整3号窗口人员岗位，开展作风整顿" and w["超期天数"] == 0
    assert book[corrupt]["是否纪检件"] == "是"
    assert 4 <= book[late]["超期天数"] < 5 and book[late]["查实情况"] is None  # due 12-04 17:30; now 12-11 10:00
    r = book[outside]
    assert r["不予受理理由"].startswith("属物业服务纠纷") and "137****2222" in r["不予受理理由"]
    everything = " ".join(str(v) for row in book.values() for v in row.values())
    for secret in ("13912345678", "13700002222", "13800001111", "o_ledger"):
        assert secret not in everything
    # The CLI writes the same columns.
    out = str(tmp_path / "ledger.xlsx")
    result = app.test_cli_runner().invoke(args=["ledger", "export", "--from", "2026-11-01", "--to", "2026-12-31",
                                                "--out", out])  # fmt: skip
    assert result.exit_code == 0, result.output
    ws = load_workbook(out)["工单台帐"]
    assert [c.value for c in ws[3]][:2] == ["序号", "工单号"] and "不予受理理由" in [c.value for c in ws[3]]


def test_the_console_offers_a_date_range_for_the_ledger(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    page = office.get("/console/ledger").get_data(as_text=True)
    assert 'type="date" name="from" value="2026-11-01"' in page and 'type="date" name="to" value="2026-11-27"' in page
    assert 'action="/console/ledger.xlsx"' in page
    assert 'href="/console/ledger"' in office.get("/console/cases").get_data(as_text=True)
