"""The loop holds: stories told through the webhook, the console and the scheduler's jobs with a fixed clock.

A supervisor cannot close a case that waits for the citizen's rating (and so dodge the 重办 a bad rating brings);
an early 办结 needs a reason and the office's approval. The 延期 days asked for in WeChat are kept and granted, the
office hears of the request and the supervisor of the decision. A manual 督办 reaches the handler with its 督办要求.
Every citizen of a 重复件 gets the answer and rates their own case.
"""

from __future__ import annotations

import json

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

CITIZEN = "o_loop_citizen"
SUP = "o_loop_sup_bdc"
BDC = "今天上午在不动产登记中心办过户，3号窗口工作人员态度很差还骂人"


def _state(db_url: str, number: str) -> str:
    return rows(db_url, "SELECT state FROM cases WHERE number = :n", n=number)[0][0]


def _notices(db_url: str, recipient: str) -> list[tuple[str, str]]:
    found = rows(db_url, "SELECT purpose, payload FROM outbox WHERE recipient = :r ORDER BY id", r=recipient)
    return [(p, (json.loads(b) if isinstance(b, str) else b)["text"]) for p, b in found]


def _answered(app, wechat: WeChat, clock: Clock, text: str = BDC, citizen: str = CITIZEN) -> str:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")  # a Monday
    number = file_complaint(wechat, text, openid=citizen)
    bind(app, wechat, "sup_bdc", SUP)
    wechat.text(f"签收 {number}", SUP)
    wechat.text(f"回复 {number} 已约谈窗口负责人，责令该工作人员向您道歉", SUP)
    return number


def test_a_supervisor_cannot_close_a_case_waiting_for_the_rating(
    app, wechat: WeChat, clock: Clock, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    number = _answered(app, wechat, clock)
    assert _state(db_url, number) == "rating"

    # WeChat: a bare 办结 is refused and explained; the case still waits for the citizen.
    reply = wechat.text(f"办结 {number}", SUP) or ""
    assert "等待市民评价" in reply and "理由" in reply
    assert _state(db_url, number) == "rating"
    # The console and the operator's command refuse a direct 办结 while the rating period runs.
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    pid = public_id(db_url, number)
    page = li.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert 'actions/close"' not in page and "actions/request_close_early" in page
    refused = li.post(f"/console/cases/{pid}/actions/close", follow_redirects=True).get_data(as_text=True)
    assert "市民评价期至" in refused and "提前办结" in refused
    cli = app.test_cli_runner().invoke(args=["case", "act", number, "close", "--actor", "sup_bdc"])
    assert cli.exit_code != 0 and "市民评价期至" in cli.output
    assert _state(db_url, number) == "rating"

    # With a reason it is a request to the office, which hears of it; the case still waits for the rating.
    reply = wechat.text(f"办结 {number} 市民已电话确认满意", SUP) or ""
    assert "提前办结申请已提交治庸办审批" in reply
    assert _state(db_url, number) == "rating"
    assert rows(db_url, "SELECT kind, reason, requested_by, status FROM case_requests") == [
        ("close_early", "市民已电话确认满意", "sup_bdc", "pending")
    ]
    office_notes = _notices(db_url, "sup_triage")
    assert office_notes[-1][0] == "case_close_request"
    assert office_notes[-1][1].startswith(f"【办结申请】工单 {number} 申请在市民评价前提前办结")

    # Meanwhile the citizen rates it badly: the 重办 happens, and the request has nothing left to close.
    assert "重新办理" in (wechat.text("3C", CITIZEN) or "")
    assert _state(db_url, number) == "reopened"
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    late = office.post(f"/console/cases/{pid}/actions/approve_close_early", {"note": "同意"}, follow_redirects=True)
    assert "不能批准提前办结" in late.get_data(as_text=True)
    assert _state(db_url, number) == "reopened"


def test_an_early_close_needs_the_offices_approval_and_a_reason(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = _answered(app, wechat, clock)
    create_staff(app, "office1", "office")
    create_staff(app, "office2", "office")
    office1, office2 = login(app, "office1"), login(app, "office2")
    pid = public_id(db_url, number)
    no_reason = office1.post(f"/console/cases/{pid}/actions/request_close_early", {"note": " "}, follow_redirects=True)
    assert "请填写" in no_reason.get_data(as_text=True)
    office1.post(f"/console/cases/{pid}/actions/request_close_early", {"note": "市民来电表示问题已解决，不再评价"})
    # Nobody approves their own request.
    own = office1.post(f"/console/cases/{pid}/actions/approve_close_early", {"note": "同意"}, follow_redirects=True)
    assert "不能审批自己提出的申请" in own.get_data(as_text=True)
    assert _state(db_url, number) == "rating"
    page = office2.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert "提前办结申请" in page and "actions/approve_close_early" in page
    office2.post(f"/console/cases/{pid}/actions/approve_close_early", {"note": "经核实同意"})
    assert _state(db_url, number) == "closed"
    assert rows(db_url, "SELECT status, decided_by FROM case_requests") == [("approved", "staff:office2")]
    events = rows(db_url, "SELECT e.actor, e.action, e.note FROM case_events e JOIN cases c ON c.id = e.case_id "
                          "WHERE c.number = :n ORDER BY e.seq", n=number)  # fmt: skip
    assert events[-2][:2] == ("staff:office1", "request_close_early")
    assert events[-1][:2] == ("staff:office2", "approve_close_early")
    assert "市民来电表示问题已解决" in events[-1][2] and "经核实同意" in events[-1][2]
    citizen = [t for p, t in _notices(db_url, rows(db_url, "SELECT pseudonym FROM cases")[0][0])]
    assert "已办结" in citizen[-1]
    handler = _notices(db_url, "sup_bdc")
    assert handler[-1][0] == "case_close_decision" and "【办结批复】" in handler[-1][1]
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_the_rating_period_still_closes_a_silent_case(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = _answered(app, wechat, clock)
    run(app, "2026-11-30T10:00")  # five working days: the period (seven) runs on
    assert _state(db_url, number) == "rating"
    run(app, "2026-12-03T10:00")  # seven working days after Monday's answer
    assert _state(db_url, number) == "closed"
    assert rows(db_url, "SELECT actor, note FROM case_events WHERE action = 'close'") == [
        ("system", "市民未评价，按期自动办结")
    ]


def test_extension_days_are_kept_and_the_office_and_the_supervisor_are_told(
    app, wechat: WeChat, clock: Clock, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")
    number = file_complaint(wechat, BDC, openid=CITIZEN)
    bind(app, wechat, "sup_bdc", SUP)
    wechat.text(f"签收 {number}", SUP)
    before = rows(db_url, "SELECT answer_due FROM cases")[0][0]
    assert "延期 5 个工作日的申请已提交" in (wechat.text(f"延期 {number} 5 需要调取窗口监控", SUP) or "")
    assert rows(db_url, "SELECT kind, days, reason, status FROM case_requests") == [
        ("extension", 5, "需要调取窗口监控", "pending")
    ]
    office_note = _notices(db_url, "sup_triage")[-1]
    assert office_note[0] == "case_extension_request" and "申请延期 5 个工作日" in office_note[1]

    create_staff(app, "office1", "office")
    office = login(app, "office1")
    pid = public_id(db_url, number)
    page = office.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert 'name="days" min="1" max="30" value="5"' in page and "需要调取窗口监控" in page
    office.post(f"/console/cases/{pid}/actions/approve_extension", {"days": ""})  # the days asked for are granted
    state, after = rows(db_url, "SELECT state, answer_due FROM cases")[0]
    assert state == "in_progress"
    # Five working days on from Monday 30 November 17:30 (stored in UTC).
    assert str(before).startswith("2026-11-30 09:30") and str(after).startswith("2026-12-07 09:30")
    assert rows(db_url, "SELECT status, granted_days, decided_by FROM case_requests") == [
        ("approved", 5, "staff:office1")
    ]
    decision = _notices(db_url, "sup_bdc")[-1]
    assert decision[0] == "case_extension"
    assert decision[1].startswith(
        f"【延期批复】工单 {number} 的延期申请：已批准延期 5 个工作日，新的答复期限为 12月07日 17:30"
    )

    # A second request is turned down: the supervisor hears why, and the deadline stays.
    wechat.text(f"延期 {number} 10 还要再等等", SUP)
    office.post(f"/console/cases/{pid}/actions/reject_extension", {"note": "请在原期限内办结"})
    assert rows(db_url, "SELECT state, answer_due FROM cases")[0] == ("in_progress", after)
    rejected = _notices(db_url, "sup_bdc")[-1][1]
    assert "未获批准（请在原期限内办结），答复期限仍为 12月07日 17:30" in rejected
    notes = [n for (n,) in rows(db_url, "SELECT note FROM case_events WHERE action LIKE '%extension' ORDER BY id")]
    assert notes[0] == "申请延期 5 个工作日：需要调取窗口监控" and notes[1].startswith("批准延期 5 个工作日")
    assert notes[2] == "申请延期 10 个工作日：还要再等等" and notes[3] == "驳回延期申请：请在原期限内办结"


def test_a_manual_escalation_reaches_the_handler_with_its_requirement(
    app, wechat: WeChat, clock: Clock, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")
    number = file_complaint(wechat, BDC, openid=CITIZEN)
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    pid = public_id(db_url, number)
    office.post(f"/console/cases/{pid}/actions/escalate", {"note": "请于本周三前当面回访市民，电话13912345678"})
    assert _state(db_url, number) == "escalated"
    purpose, text = _notices(db_url, "sup_bdc")[-1]
    assert purpose == "case_escalate"
    assert text.startswith(f"【督办】治庸办对工单 {number} 督办，督办要求：请于本周三前当面回访市民")
    assert "13912345678" not in text  # masked like every supervisor notice
    payload = json.loads(rows(db_url, "SELECT payload FROM outbox WHERE purpose = 'case_escalate'")[0][0])
    assert payload["template"]["notice"] == "督办"


def test_every_citizen_of_a_duplicate_gets_the_answer_and_rates_their_own_case(
    app, wechat: WeChat, clock: Clock, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")
    main = file_complaint(wechat, BDC, openid=CITIZEN)
    dup = file_complaint(wechat, "不动产登记中心3号窗口的工作人员今天对我也是又吼又骂", openid="o_loop_dup")
    late = file_complaint(wechat, "今天下午不动产登记中心3号窗口工作人员也骂了我", openid="o_loop_late")
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    office.post(f"/console/cases/{public_id(db_url, dup)}/actions/merge", {"target": main})
    assert _state(db_url, dup) == "merged"

    bind(app, wechat, "sup_bdc", SUP)
    wechat.text(f"签收 {main}", SUP)
    wechat.text(f"回复 {main} 已约谈窗口负责人，当事人已调离窗口岗位", SUP)
    assert _state(db_url, dup) == "rating"
    dup_pseudonym = rows(db_url, "SELECT pseudonym FROM cases WHERE number = :n", n=dup)[0][0]
    told = [t for _, t in _notices(db_url, dup_pseudonym)]
    assert any(dup in t and "当事人已调离窗口岗位" in t for t in told)
    assert any(f"请您对工单 {dup} 的办理进行评价" in t for t in told)

    # A case merged after the answer gets it at once.
    office.post(f"/console/cases/{public_id(db_url, late)}/actions/merge", {"target": main})
    assert _state(db_url, late) == "rating"

    # Each citizen's rating lands on their own case: the duplicate's reporter is unhappy, the main's is not.
    assert "重新办理" in (wechat.text("3C", "o_loop_dup") or "")
    assert "感谢" in (wechat.text("1A", CITIZEN) or "")
    assert "感谢" in (wechat.text("2B", "o_loop_late") or "")
    got = dict(
        (n, (s, o, c)) for n, s, o, c in rows(db_url, "SELECT number, state, rating_outcome, rating_conduct FROM cases")
    )
    assert got == {main: ("closed", "1", "A"), dup: ("reopened", "3", "C"), late: ("closed", "2", "B")}
    # The reopened duplicate is redone by its handler, and the office hears of it.
    (handler,) = rows(db_url, "SELECT a.supervisor_id FROM assignments a JOIN cases c ON c.id = a.case_id "
                              "WHERE c.number = :n AND a.active", n=dup)[0]  # fmt: skip
    reopened = {r for (r,) in rows(db_url, "SELECT recipient FROM outbox WHERE purpose = 'case_reopened'")}
    assert reopened == {handler, "sup_triage"}
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
