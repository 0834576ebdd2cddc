"""差评 → 整改 → 回访, and the 误评 appeal (issue 16): a window's 差评 becomes a review case that its handler 核实s and
puts right before answering, the citizen is asked again whether they are satisfied with the 整改, and the unit may
appeal a 误评 — the office upholds (the rating leaves the unit's figures) or rejects (it stands)."""

from __future__ import annotations

import json
import re

from bot.runtime import runtime
from bot.service import casework
from handlers.dialog.types import Feedback
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import payloads

CITIZEN = "o_review_citizen_1"
OTHER = "o_review_citizen_2"
SUP = "o_review_sup"
REASON = "等了四十分钟，叫号后窗口的人还在聊天，问她话也不理，我电话13912345678"


def poor_rating(wechat: WeChat, openid: str = CITIZEN, window: str = "3", reason: str | None = REASON) -> str | None:
    """Scan a window's rating code, rate it 不满意 and (when given) say why: the review case's number, if any."""
    wechat.event("SCAN", openid, key=f"rate=bdc;window={window}")
    asked = wechat.text("不满意", openid) or ""
    assert "哪里做得不好" in asked, asked
    if reason is None:
        return None
    done = wechat.text(reason, openid) or ""
    found = re.search(r"ZY\d{10}", done)
    assert found, done
    return found.group(0)


def handler_of(db_url: str, number: str) -> str:
    return rows(db_url, "SELECT a.supervisor_id FROM assignments a JOIN cases c ON c.id = a.case_id "
                        "WHERE c.number = :n AND a.role = 'handler'", n=number)[0][0]  # fmt: skip


def case_json(app, number: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    result = app.test_cli_runner().invoke(args=["case", "show", number, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_a_poor_rating_is_verified_put_right_and_the_citizen_asked_again(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = poor_rating(wechat)
    assert number is not None
    handler = handler_of(db_url, number)
    bind(app, wechat, handler, SUP)
    assert "已签收" in (wechat.text(f"签收 {number}", SUP) or "")
    # 谁办理、谁负责: no answer before the 差评 is 核实ed and what was put right is written down.
    refused = wechat.text(f"回复 {number} 已处理，向您致歉", SUP) or ""
    assert "须先记录核实情况和整改情况" in refused
    assert rows(db_url, "SELECT state FROM cases WHERE number = :n", n=number) == [("signed",)]
    # The review's own words: 核实 (is the 差评 founded) and 整改 (what was put right).
    assert "请写明整改情况" in (wechat.text(f"核实 {number} 属实", SUP) or "")
    done = wechat.text(f"核实 {number} 属实 整改：已对3号窗口工作人员批评教育，窗口实行叫号后一分钟内接待", SUP) or ""
    assert f"工单 {number}：核实情况已记录（属实），待治庸办确认" in done
    assert "已发送" in (wechat.text(f"回复 {number} 经核实情况属实，已整改，向您致歉", SUP) or "")
    assert rows(db_url, "SELECT state FROM cases WHERE number = :n", n=number) == [("rating",)]

    # The 回访: what was put right, and whether the citizen is satisfied with it now.
    told = payloads(db_url, "recipient_kind = 'citizen' AND purpose = 'case_request_rating'")
    assert len(told) == 1
    assert "回访" in told[0] and "整改情况：已对3号窗口工作人员批评教育" in told[0] and "是否满意" in told[0]
    assert "1A" in told[0]
    assert "感谢您的评价" in (wechat.text("1A", CITIZEN) or "")
    assert rows(db_url, "SELECT state, rating_outcome, rating_conduct FROM cases WHERE number = :n", n=number) == [
        ("closed", "1", "A")
    ]
    closing = payloads(db_url, "recipient_kind = 'citizen' AND purpose = 'case_rate_satisfied'")
    assert "已整改办结" in closing[0]

    data = case_json(app, number)
    assert data["kind"] == "review" and data["finding"]["verdict"] == "verified"
    (note,) = rows(db_url, "SELECT e.note FROM case_events e JOIN cases c ON c.id = e.case_id "
                           "WHERE c.number = :n AND e.action = 'verification'", n=number)[0]  # fmt: skip
    assert note.startswith("核实情况：属实；整改情况：")
    # The handler's page speaks of 核实与整改, not of a complaint's 查实.
    create_staff(app, "li", "supervisor", "--supervisor-id", handler)
    page = login(app, "li").get(f"/console/cases/{public_id(db_url, number)}").get_data(as_text=True)
    assert "核实与整改" in page and "核实情况" in page and "查实情况" not in page
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_not_satisfied_with_the_rectification_it_is_put_right_again(app, wechat: WeChat, db_url: str,
                                                                     clock: Clock) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    number = poor_rating(wechat)
    assert number is not None
    handler = handler_of(db_url, number)
    create_staff(app, "li", "supervisor", "--supervisor-id", handler)
    li = login(app, "li")
    pid = public_id(db_url, number)
    li.post(f"/console/cases/{pid}/actions/sign")
    refused = li.post(f"/console/cases/{pid}/actions/reply", {"note": "已整改"}, follow_redirects=True)
    assert "须先记录核实情况和整改情况" in refused.get_data(as_text=True)
    li.post(f"/console/cases/{pid}/finding", {"verdict": "partly", "measures": "调整叫号规则"})
    li.post(f"/console/cases/{pid}/actions/reply", {"note": "部分属实，已调整叫号规则"})
    clock.advance(hours=2)
    assert "哪里不满意" in (wechat.text("3C", CITIZEN) or "")
    assert rows(db_url, "SELECT state FROM cases WHERE number = :n", n=number) == [("reopened",)]
    assert "将重新整改" in payloads(db_url, "purpose = 'case_rate_unsatisfied'")[0]
    # Put right again within reviews.rectify_days (15) working days from Friday 12:00, not a category's 5.
    assert case_json(app, number)["answer_due"].startswith("2026-12-18")


def test_a_unit_appeals_two_poor_ratings_the_office_upholds_one_and_rejects_the_other(  # type: ignore[no-untyped-def]
    app, wechat: WeChat, db_url: str, clock: Clock
) -> None:
    first = poor_rating(wechat)  # window 3, with its reason: a review case
    assert first is not None
    poor_rating(wechat, OTHER, window="5", reason=None)  # window 5: a 差评 without a reason, no case
    wechat.event("SCAN", "o_review_citizen_3", key="rate=bdc;window=3")
    wechat.text("非常满意", "o_review_citizen_3")
    ids = dict(rows(db_url, "SELECT window, id FROM window_ratings WHERE level <= 2"))
    pseudonyms = [p for (p,) in rows(db_url, "SELECT pseudonym FROM window_ratings")]

    # The handler appeals the 差评 behind their review case in WeChat; once only.
    handler = handler_of(db_url, first)
    bind(app, wechat, handler, SUP)
    assert "写明申诉理由" in (wechat.text(f"申诉 {first}", SUP) or "")
    done = wechat.text(f"申诉 {first} 当天3号窗口叫号系统故障停用，市民等待并非工作人员失职", SUP) or ""
    assert "已提交治庸办认定" in done
    assert "只能申诉一次" in (wechat.text(f"申诉 {first} 再次申诉，叫号系统故障有记录", SUP) or "")

    # The unit head sees the unit's 差评 — level, window, day, reason masked — never who rated or a case number.
    create_staff(app, "head1", "unit_head", "--supervisor-id", "head_bdc")
    head = login(app, "head1")
    page = head.get("/console/ratings").get_data(as_text=True)
    assert "139****5678" in page and "13912345678" not in page and first not in page
    assert not any(p in page for p in pseudonyms) and "o_review_citizen" not in page
    assert "待治庸办认定" in page and page.count("申诉误评</button>") == 1  # only window 5 is still open to appeal
    resp = head.post(f"/console/ratings/{ids['5']}/appeal", {"reason": "太短"}, follow_redirects=True)
    assert "至少 10 个字" in resp.get_data(as_text=True)
    head.post(f"/console/ratings/{ids['5']}/appeal", {"reason": "该时段5号窗口没有开放，评价对象有误，请核实"})
    assert head.get("/console/appeals").status_code == 403  # the unit never decides its own appeal

    create_staff(app, "office1", "office")
    office = login(app, "office1")
    desk = office.get("/console/appeals").get_data(as_text=True)
    assert "叫号系统故障" in desk and "5号窗口没有开放" in desk and not any(p in desk for p in pseudonyms)
    (appeal_3,) = rows(db_url, "SELECT a.id FROM rating_appeals a WHERE a.rating_id = :r", r=ids["3"])[0]
    (appeal_5,) = rows(db_url, "SELECT a.id FROM rating_appeals a WHERE a.rating_id = :r", r=ids["5"])[0]
    office.post(f"/console/appeals/{appeal_3}/uphold", {"note": "叫号系统故障记录属实"})
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["ratings", "appeal", "reject", str(appeal_5), "--as", "head1", "--note", "x"])
    assert refused.exit_code != 0 and "不是可用的治庸办账号" in refused.output
    result = runner.invoke(args=["ratings", "appeal", "reject", str(appeal_5), "--as", "office1", "--note",
                                 "当日排班表显示5号窗口开放"])  # fmt: skip
    assert result.exit_code == 0 and "维持原评价" in result.output
    assert rows(db_url, "SELECT rating_id, status, decided_by FROM rating_appeals ORDER BY id") == [
        (ids["3"], "upheld", "staff:office1"),
        (ids["5"], "rejected", "staff:office1"),
    ]
    # Audited: on the review case's chain, and in the access log.
    events = [a for (a,) in rows(db_url, "SELECT e.action FROM case_events e JOIN cases c ON c.id = e.case_id "
                                         "WHERE c.number = :n ORDER BY e.seq", n=first)]  # fmt: skip
    assert events[-2:] == ["appeal", "appeal_upheld"]
    log = [a for (a,) in rows(db_url, "SELECT action FROM staff_events WHERE action LIKE 'appeal%' ORDER BY id")]
    assert log == ["appeal", "appeal", "appeal_upheld", "appeal_rejected"]
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0

    # The upheld 误评 is gone from the unit's figures; the rejected one stands.
    summary = json.loads(runner.invoke(args=["ratings", "summary", "--month", "2026-11", "--json"]).stdout)
    (bdc,) = summary["units"]
    assert (bdc["unit"], bdc["total"], bdc["excluded_misjudged"]) == ("bdc", 2, 1)
    assert bdc["by_level"] == {"非常满意": 1, "满意": 0, "基本满意": 0, "不满意": 1, "非常不满意": 0}
    window3 = next(w for w in bdc["windows"] if w["window"] == "3")
    assert (window3["total"], window3["excluded_misjudged"], window3["satisfaction_rate"]) == (1, 1, 1.0)
    blob = json.dumps(summary, ensure_ascii=False)
    assert not any(p in blob for p in pseudonyms)
    # …and from the monthly standing: two ratings (5 and 2: mean 3.5), and the 误评's review case is no complaint.
    doc = json.loads(runner.invoke(args=["ranking", "--month", "2026-11", "--json"]).stdout)
    (row,) = [r for r in doc["rows"] + doc["apart"] if r["unit"] == "bdc"]
    assert (row["components"]["ratings"]["n"], row["components"]["ratings"]["value"]) == (2, 3.5)
    assert row["components"]["complaints"]["n"] == 0


def test_praise_recorded_by_the_dialog_counts_for_the_praised_unit_and_window(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    # What the dialog records for “我要表扬不动产登记中心3号窗口…” (handlers.dialog.listen → RecordFeedback); the
    # intent model that recognises praise is not loaded in tests, so the effect is applied as intake applies it.
    rt = runtime(app)
    with rt.db.transaction() as s:
        casework.record_feedback(s, rt, Feedback("praise", "我要表扬不动产登记中心3号窗口的工作人员，耐心周到", unit="bdc",
                                                 window="3"), rt.pseudonymize("o_praise_1"), rt.now())  # fmt: skip
    assert rows(db_url, "SELECT kind, respondent_unit, window FROM cases") == [("praise", "bdc", "3")]
    wechat.event("SCAN", "o_praise_2", key="rate=bdc;window=3")
    wechat.text("5", "o_praise_2")
    summary = json.loads(app.test_cli_runner().invoke(args=["ratings", "summary", "--month", "2026-11",
                                                            "--json"]).stdout)  # fmt: skip
    (bdc,) = summary["units"]
    (window3,) = bdc["windows"]
    assert (bdc["praise"], window3["window"], window3["praise"], window3["total"]) == (1, "3", 1, 1)
    assert summary["totals"]["praise"] == 1
    # Praise never counts against the unit: no complaint in the standing.
    doc = json.loads(app.test_cli_runner().invoke(args=["ranking", "--month", "2026-11", "--json"]).stdout)
    (row,) = [r for r in doc["rows"] + doc["apart"] if r["unit"] == "bdc"]
    assert row["components"]["complaints"]["n"] == 0
    table = app.test_cli_runner().invoke(args=["ratings", "summary", "--month", "2026-11"]).output
    assert "市不动产登记中心" in table and "3号窗口" in table and "100%" in table
