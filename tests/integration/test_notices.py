"""Notices say what they are, and a unit head (whose unit may be the one reported) never learns which case.

Told as stories through the webhook and the scheduler's jobs with a fixed clock: a new case, the 催办 at the answer
deadline (to the handler and to the accused unit's head), the 督办 after it, a 重办 after a bad rating, and a
citizen's answer to a supervisor's question.
"""

from __future__ import annotations

import json
import re

from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.test_cases_flow import CITIZEN
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_cases_flow import rows
from tests.integration.test_time import bj
from tests.integration.test_time import run


def _payloads(db_url: str, recipient: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    found = rows(db_url, f"SELECT purpose, payload FROM outbox WHERE recipient = '{recipient}' ORDER BY id")
    return [(p, json.loads(body) if isinstance(body, str) else body) for p, body in found]


def test_each_notice_names_its_kind_and_the_unit_head_never_sees_a_case(
    app, wechat: WeChat, clock: Clock, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")  # a Monday
    number = file_complaint(wechat, "今天上午在不动产登记中心办过户，窗口工作人员态度很差还骂人")
    (handler,) = rows(db_url, "SELECT supervisor_id FROM assignments WHERE role = 'handler'")[0]
    first = _payloads(db_url, handler)
    assert first[0][0] == "case_new" and first[0][1]["text"].startswith(f"【新派单】工单 {number}")
    assert first[0][1]["template"]["notice"] == "新派单"

    for moment in ("2026-11-25T09:00", "2026-11-27T16:00", "2026-12-01T08:30", "2026-12-03T08:30"):
        run(app, moment)
    by_purpose = {p: body for p, body in _payloads(db_url, handler)}
    assert by_purpose["case_sign_urge"]["text"].startswith(f"【催办】工单 {number} 签收已超时")
    assert by_purpose["case_answer_urge"]["text"].startswith(f"【催办】工单 {number} 已到答复期限")
    assert by_purpose["case_answer_supervise"]["text"].startswith(f"【督办】工单 {number} 已超期")
    assert {b["template"]["notice"] for b in by_purpose.values()} >= {"新派单", "催办", "督办"}

    head = _payloads(db_url, "head_bdc")  # the head of the reported unit (config: member_of bdc, unit_head)
    assert head, "the unit head is told that the unit has reports past their deadline"
    for purpose, body in head:
        text = json.dumps(body, ensure_ascii=False)
        assert number not in text and not re.search(r"ZY\d{10}", text), purpose
        assert "/console/cases" not in text
        if purpose.startswith("case_"):
            assert body["template"]["link"].endswith("/console/dashboard")
            assert "不动产登记中心有 1 件群众反映已到答复期限" in body["text"]
    assert any(p == "case_answer_urge" for p, _ in head)


def test_a_reopened_case_and_a_citizens_answer_say_so(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from tests.integration.test_cases_flow import bind

    clock.now = bj("2026-11-23T10:00")
    number = file_complaint(wechat, "今天上午在不动产登记中心办过户，窗口工作人员态度很差还骂人")
    (handler,) = rows(db_url, "SELECT supervisor_id FROM assignments WHERE role = 'handler'")[0]
    sup = "o_sup_handler"
    bind(app, wechat, handler, sup)
    wechat.text(f"签收 {number}", sup)
    wechat.text(f"询问 {number} 请问是几号窗口？", sup)
    wechat.text("3号窗口", CITIZEN)
    wechat.text(f"回复 {number} 已核实，已对该工作人员批评教育。", sup)
    wechat.text("3C", CITIZEN)
    kinds = [body["text"][: body["text"].index("】") + 1] for _, body in _payloads(db_url, handler)]
    assert kinds == ["【新派单】", "【市民补充】", "【重办】"]
