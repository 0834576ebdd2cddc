"""活档案, as the organisation department keeps it: each 督办 and 超期 of an official's unit and each confirmed 问责
naming their post is entered by itself, a 民主测评 of the unit's leadership comes through the survey hook, the
组织部 enters the rest by hand; only the organisation role may read it, and every view and export is logged."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from bot.runtime import runtime
from bot.service import casework
from bot.service import dossier
from storage import cases as cases_repo
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_time import bj
from tests.integration.test_time import run

SUP = "o_dossier_sup"


def entries(db_url: str, official: str) -> list[tuple[str, str, str]]:
    return rows(db_url, "SELECT kind, origin, on_date FROM dossier_entries WHERE official_id = :o ORDER BY id",
                o=official)  # fmt: skip


def test_the_platform_enters_escalations_overdue_and_accountability_by_itself(app, wechat: WeChat, clock: Clock,
                                                                              db_url: str) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    create_staff(app, "office1", "office")
    create_staff(app, "office2", "office")
    escalated = file_complaint(wechat, openid="o_dossier_1")
    late = file_complaint(wechat, openid="o_dossier_2")
    gaj = file_complaint(wechat, "今天上午在派出所户籍室办身份证，民警一直玩手机让我们干等", openid="o_dossier_3")
    # A manual 督办 by the office: on every official of the unit (不动产: 主任 and 分管副主任), none elsewhere.
    login(app, "office1").post(f"/console/cases/{public_id(db_url, escalated)}/actions/escalate",
                               {"note": "请当日答复"})  # fmt: skip
    assert [k for k, *_ in entries(db_url, "off_bdc_zr")] == ["escalation"]
    assert [k for k, *_ in entries(db_url, "off_bdc_fzr")] == ["escalation"]
    assert entries(db_url, "off_gaj_fjz") == []
    summary = rows(db_url, "SELECT summary, source FROM dossier_entries LIMIT 1")[0]
    assert summary == ("市不动产登记中心一件群众反映的“脸难看”问题被治庸办督办。", "治庸问责平台")
    assert escalated not in summary[0]

    # 超期: the ladder's 超期督办 rung (answer deadline 12-04, two working days later) — entered once however often
    # the sweep runs; the 公安局 case is signed in time and answered, so its official has nothing.
    rt = runtime(app)
    with rt.db.transaction() as s:
        for number in (late, gaj):
            case = cases_repo.by_number(session=s, number=number)
            assert case is not None
            casework.act(s, rt, case, "sign", actor="system", now=clock.now)
        case = cases_repo.by_number(session=s, number=gaj)
        assert case is not None
        casework.act(s, rt, case, "reply", actor="sup_gaj", now=clock.now, note="已处理")
    run(app, "2026-12-09T10:00")
    run(app, "2026-12-09T10:05")
    runtime(app).clock = clock
    kinds = [k for k, *_ in entries(db_url, "off_bdc_zr")]
    assert kinds.count("overdue") == 2  # both 不动产 cases went past their deadline
    assert rows(db_url, "SELECT count(*) FROM dossier_entries WHERE kind = 'overdue' AND official_id = 'off_bdc_fzr'"
                ) == [(2,)]  # fmt: skip
    assert entries(db_url, "off_gaj_fjz") == []

    # A confirmed 问责 naming 主任 goes on the 主任 only (not on the 分管副主任, whose post merely contains it).
    clock.now = bj("2026-12-09T11:00")
    bind(app, wechat, "sup_bdc", SUP)
    mine = {n for (n,) in rows(db_url, "SELECT c.number FROM cases c JOIN assignments a ON a.case_id = c.id "
                                       "WHERE a.supervisor_id = 'sup_bdc' AND a.active")}  # fmt: skip
    number = late if late in mine else escalated
    wechat.text(f"回复 {number} 已核实并整改", SUP)
    wechat.text(f"问责 {number} 通报批评 主任", SUP)
    before = len(entries(db_url, "off_bdc_fzr"))
    login(app, "office2").post(f"/console/cases/{public_id(db_url, number)}/outcome/confirm")
    assert entries(db_url, "off_bdc_zr")[-1][:2] == ("accountability", "auto")
    assert len(entries(db_url, "off_bdc_fzr")) == before


def test_the_organisation_department_reads_adds_and_exports_and_nobody_else_reads(app, wechat: WeChat, db_url: str,
                                                                                  tmp_path) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["staff", "create", "--username", "zzb_x", "--role", "organisation", "--units", "bdc",
                                  "--password", "correct-horse-42"])  # fmt: skip
    assert refused.exit_code != 0 and "组织部账号不关联督办员" in refused.output
    refused = runner.invoke(args=["staff", "create", "--username", "zzb_y", "--role", "organisation", "--member-of",
                                  "bdc", "--password", "correct-horse-42"])  # fmt: skip
    assert refused.exit_code != 0 and "回避" in refused.output
    create_staff(app, "zzb", "organisation", "--name", "组织部干部科")
    create_staff(app, "office1", "office")
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    create_staff(app, "head", "unit_head", "--supervisor-id", "head_bdc")
    number = file_complaint(wechat, openid="o_dossier_4")
    org = login(app, "zzb")
    # The organisation department sees no case at all.
    for path in ("/console/cases", f"/console/cases/{public_id(db_url, number)}", "/console/dashboard",
                 "/ledger.xlsx", "/console/triage"):  # fmt: skip
        assert org.get(path).status_code == 403, path
    assert org.get("/console/").headers["Location"].endswith("/console/officials")

    # The survey hook: a 民主测评 of the unit's leadership, on each of its officials, once per round.
    rt = runtime(app)
    for _ in range(2):
        with rt.db.transaction() as s:
            dossier.record_unit_assessment(s, rt, unit="bdc", on_date=date(2026, 11, 20), title="2026年第四季度民主测评",
                                           result="满意率 86%（有效票 120 张）", ref="survey-2026q4-bdc")  # fmt: skip
    assert [k for k, *_ in entries(db_url, "off_bdc_zr")] == ["assessment"]
    # By hand: 考评, checked.
    bad = org.post("/console/officials/off_bdc_zr/entries", {"kind": "evaluation", "on_date": "2027-01-01",
                                                            "summary": "年度考核优秀", "source": "市委组织部"},
                   follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "不晚于今天" in bad
    org.post("/console/officials/off_bdc_zr/entries", {"kind": "urgent", "on_date": "2026-11-25",
                                                      "summary": "抗洪抢险中带队驻守堤段三昼夜", "source": "市防汛指挥部通报"})  # fmt: skip
    assert [k for k, *_ in entries(db_url, "off_bdc_zr")] == ["assessment", "urgent"]
    page = org.get("/console/officials/off_bdc_zr").get_data(as_text=True)
    for shown in ("刘建国", "市不动产登记中心 主任", "民主测评", "满意率 86%", "民主评议", "2026-11-20", "急难险重任务表现",
                  "市防汛指挥部通报", "2026-11-25", "手工 · zzb", "自动 · 系统"):  # fmt: skip
        assert shown in page, shown
    assert org.get("/console/officials/nobody").status_code == 404
    listing = org.get("/console/officials").get_data(as_text=True)
    assert "刘建国" in listing and "2 条记录" in listing

    wb = load_workbook(io.BytesIO(org.get("/console/officials/off_bdc_zr.xlsx").get_data()))
    ws = wb["活档案"]
    header = [c.value for c in ws[3]]
    body = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=4, values_only=True)]
    assert {(r["干部"], r["类别"], r["来源"], r["录入方式"]) for r in body} == {
        ("刘建国", "民主测评", "民主评议", "自动"),
        ("刘建国", "急难险重任务表现", "市防汛指挥部通报", "手工"),
    }
    out = str(tmp_path / "dossier.xlsx")
    result = runner.invoke(args=["dossier", "export", "--out", out])
    assert result.exit_code == 0 and "6 officials, 3 entries" in result.output, result.output
    assert org.get("/console/officials.xlsx").status_code == 200

    # Nobody else: not the office, not a supervisor, not the unit's head.
    for who in ("office1", "li", "head"):
        other = login(app, who)
        for path in ("/console/officials", "/console/officials/off_bdc_zr", "/console/officials/off_bdc_zr.xlsx"):
            resp = other.get(path)
            assert resp.status_code == 403 and "刘建国" not in resp.get_data(as_text=True), (who, path)
        assert other.post("/console/officials/off_bdc_zr/entries", {"kind": "other", "on_date": "2026-11-25",
                                                                   "summary": "x", "source": "y"}).status_code == 403  # fmt: skip
    # Every view and export is logged.
    logged = rows(db_url, "SELECT s.username, e.action, e.target FROM staff_events e JOIN staff_accounts s "
                          "ON s.id = e.staff_id WHERE e.action LIKE '%dossier%' ORDER BY e.id")  # fmt: skip
    assert ("zzb", "view_dossier", "off_bdc_zr") in logged and ("zzb", "dossier_entry", "off_bdc_zr") in logged
    assert ("zzb", "export_dossier", "off_bdc_zr") in logged and ("zzb", "export_dossier", "all") in logged
    assert ("zzb", "view_dossier_list", None) in logged
    assert {u for u, *_ in logged} == {"zzb"}
