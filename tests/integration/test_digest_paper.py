"""The weekly digest as the paper for the office's Monday meeting: a narrative against last week (who rose, who
fell, what is overdue, who was held to account), rankings only for units with enough cases, 查实率 and 问责人次,
a Word document the office prints — and a past week read back as it was sent, not recomputed."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

from docx import Document

from bot.runtime import runtime
from bot.service import accountability
from bot.service import casework
from handlers.accountability import FindingInput
from handlers.accountability import MeasureInput
from storage import cases as cases_repo
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.console_helpers import GAJ_TEXT
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_time import bj
from tests.integration.test_time import run

CGS_TEXT = "今天上午在车管所换驾照，窗口工作人员一直玩手机，让我们等了一个多小时"


def act(app, number: str, action: str, at: datetime, **kw) -> None:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    with rt.db.transaction() as s:
        case = cases_repo.by_number(session=s, number=number)
        assert case is not None
        casework.act(s, rt, case, action, actor="sup_test", now=at, **kw)


def week_of_cases(
    app, wechat: WeChat, clock: Clock, monday: str, tag: str, *, cgs: bool = False
) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    clock.now = bj(f"{monday}T10:00")
    made = {
        "bdc": [file_complaint(wechat, openid=f"o_{tag}_bdc_{i}") for i in range(3)],
        "gaj": [file_complaint(wechat, GAJ_TEXT, openid=f"o_{tag}_gaj_{i}") for i in range(3)],
    }
    if cgs:
        made["cgs"] = [file_complaint(wechat, CGS_TEXT, openid=f"o_{tag}_cgs")]
    return made


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_monday_paper_tells_the_week_and_is_kept_as_sent(app, wechat: WeChat, clock: Clock, db_url: str,
                                                              tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    # W47: 不动产 signs at once, 公安 a day late → 不动产 first, 公安 second.
    w47 = week_of_cases(app, wechat, clock, "2026-11-16", "w47")
    for n in w47["bdc"]:
        act(app, n, "sign", bj("2026-11-16T11:00"))
    for n in w47["gaj"]:
        act(app, n, "sign", bj("2026-11-18T11:00"))
    # W48: the other way round; 车管所 has one case only: not ranked.
    w48 = week_of_cases(app, wechat, clock, "2026-11-23", "w48", cgs=True)
    for n in w48["gaj"]:
        act(app, n, "sign", bj("2026-11-23T11:00"))
    for n in w48["bdc"]:
        act(app, n, "sign", bj("2026-11-25T11:00"))
    held = w48["bdc"][0]
    act(app, held, "reply", bj("2026-11-25T15:00"), note="已核实，对窗口工作人员批评教育并致歉")
    rt = runtime(app)
    with rt.db.transaction() as s:
        case = cases_repo.by_number(session=s, number=held)
        assert case is not None
        accountability.record_finding(s, rt, case, FindingInput("verified", "调整窗口人员岗位"), actor="sup_bdc",
                                      now=bj("2026-11-26T10:00"))  # fmt: skip
        accountability.record_measures(s, rt, case, [MeasureInput("admonition", "分管副主任")], actor="sup_bdc",
                                       now=bj("2026-11-26T10:05"))  # fmt: skip

    assert "digest 2026-W48" in run(app, "2026-11-30T09:00")["digest"].summary
    runtime(app).clock = clock  # `run` pinned the app's clock to its moment
    [(week, content)] = rows(db_url, "SELECT week, content FROM digest_issues WHERE week = '2026-W48'")
    sent = json.loads(content) if isinstance(content, str) else content
    narrative = "\n".join(sent["narrative"])
    assert "本期共收到群众反映 7 件，比上周增加 1 件（上周 6 件）" in narrative
    assert "排名上升：市公安局（第2→第1名）" in narrative and "排名下降：市不动产登记中心（第1→第2名）" in narrative
    assert "收到反映不足 3 件的单位不参与排名（本期 1 个）" in narrative
    assert "本期录入查实情况 1 件（属实 1 件），查实率 100%" in narrative
    assert "本期问责 1 人次：市不动产登记中心 诫勉谈话（分管副主任）（待确认）" in narrative

    runner = app.test_cli_runner()
    paper = runner.invoke(args=["digest", "--week", "2026-W48", "--dry-run"]).output
    assert "单位排名（收到 3 件及以上的单位参与排名；" in paper
    ranking = paper.split("单位排名")[1]
    assert ranking.index("市公安局") < ranking.index("市不动产登记中心")
    assert "件数不足 3 件、未参与排名：市公安局交警支队车辆管理所（1件）" in paper
    assert " 1. 市公安局交警支队车辆管理所" not in paper
    assert "查实率 100%（查实情况 1 件），问责 1 人次：" in paper

    # Later the office confirms the 问责 and more reports arrive dated in W48: the sent week does not change.
    clock.now = bj("2026-11-29T10:00")
    file_complaint(wechat, openid="o_late_bdc")
    create_staff(app, "office1", "office")
    clock.now = bj("2026-12-01T10:00")
    office = login(app, "office1")
    office.post(f"/console/cases/{rows(db_url, 'SELECT public_id FROM cases WHERE number = :n', n=held)[0][0]}"
                "/outcome/confirm")  # fmt: skip
    assert rows(db_url, "SELECT status FROM accountability_records") == [("confirmed",)]
    again = runner.invoke(args=["digest", "--week", "2026-W48", "--dry-run"]).output
    assert "本期共收到群众反映 7 件" in again and "（待确认）" in again
    page = office.get("/console/digest/2026-W48").get_data(as_text=True)
    assert "已于 2026-11-30 09:00 发送" in page and "本期共收到群众反映 7 件" in page
    assert "查实率 <b>100%</b>" in page and "问责 <b>1</b> 人次" in page
    # A week never sent is computed as the figures stand (and says so).
    assert "尚未发送" in office.get("/console/digest/2026-W47").get_data(as_text=True)

    # The Word paper: as sent, printable, without complaint text.
    out = tmp_path / "w48.docx"
    result = runner.invoke(args=["digest", "--week", "2026-W48", "--docx", str(out)])
    assert result.exit_code == 0 and "as sent 2026-11-30 09:00" in result.output, result.output
    text = docx_text(out.read_bytes())
    assert "咸宁市治庸问责周报" in text and "2026-W48" in text and "已于 2026-11-30 09:00 发送" in text
    assert "排名上升：市公安局（第2→第1名）" in text and "诫勉谈话（分管副主任）（待确认）" in text
    assert "分管副主任" in text and "查实率 100%" in text
    for secret in ("大吼", "13912345678", "玩手机"):
        assert secret not in text
    assert rows(db_url, "SELECT count(*) FROM outbox WHERE purpose = 'weekly_digest'")[0][0] == len(
        runtime(app).settings.city.supervisors
    )  # --docx queued nothing more
    web = office.get("/console/digest/2026-W48.docx")
    assert web.status_code == 200 and web.mimetype.endswith("wordprocessingml.document")
    assert "排名上升：市公安局（第2→第1名）" in docx_text(web.get_data())
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    assert login(app, "li").get("/console/digest/2026-W48.docx").status_code == 403
