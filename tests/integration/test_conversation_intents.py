"""What a first message wants, through the webhook in safe mode with the real classifier (issue 13): praise and
suggestions are recorded as such and never as complaints, a question is answered, small talk and an insult open
nothing, a report about two units becomes two cases each with its own category, a possible bribe goes to the
triage desk, and what people say around their story (a repair, "就是这些") never enters it."""

from __future__ import annotations

import json

from tests.conftest import WeChat
from tests.integration.test_cases_flow import rows
from tests.integration.test_conversations import _case
from tests.integration.test_conversations import _number

CITIZEN = "o_intent_1"


def _notices(db_url: str, recipient: str) -> list[tuple[str, str]]:
    found = rows(db_url, f"SELECT purpose, payload FROM outbox WHERE recipient = '{recipient}' ORDER BY id")
    return [(p, (json.loads(b) if isinstance(b, str) else b)["text"]) for p, b in found]


def _counts(db_url: str) -> tuple[int, int]:
    return rows(db_url, "SELECT count(*) FROM cases")[0][0], rows(db_url, "SELECT count(*) FROM dialogs")[0][0]


def test_praise_is_recorded_for_the_window_and_person_and_told_never_a_complaint(wechat: WeChat, db_url: str) -> None:
    reply = wechat.text("市民之家3号窗口的小刘办事特别耐心，一次就帮我办好了，点个赞", CITIZEN) or ""
    assert "谢谢您的表扬" in reply and "3号窗口" in reply and "工单号" not in reply
    ((number, kind, unit, window, person, state),) = rows(
        db_url, "SELECT number, kind, respondent_unit, window, person, state FROM cases"
    )
    assert (kind, unit, window, person, state) == ("praise", "zwfw", "3", "小刘", "closed")
    assert rows(db_url, "SELECT count(*) FROM assignments") == [(0,)]  # nobody handles a praise as a case
    for told in ("sup_zwfw", "sup_triage"):  # the unit's supervisor and the office's desk
        assert any(p == "case_praise" or "【表扬】" in t for p, t in _notices(db_url, told)), told
    assert "小刘" not in json.dumps(_notices(db_url, "sup_zwfw"), ensure_ascii=False)  # the notice carries no text
    assert _counts(db_url)[1] == 0 and number.startswith("ZY")


def test_after_a_window_qr_a_compliment_is_praise_of_that_window(wechat: WeChat, db_url: str) -> None:
    wechat.event("SCAN", CITIZEN, key="unit=bdc;window=5")
    reply = wechat.text("很好，办得很快，点个赞", CITIZEN) or ""
    assert "谢谢您的表扬" in reply
    assert rows(db_url, "SELECT kind, respondent_unit, window FROM cases") == [("praise", "bdc", "5")]


def test_a_suggestion_goes_to_the_office_and_the_citizen_is_thanked(wechat: WeChat, db_url: str) -> None:
    reply = wechat.text("建议政务服务中心周六也开几个窗口，上班族平时请不了假", CITIZEN) or ""
    assert "感谢您的意见建议" in reply
    assert rows(db_url, "SELECT kind, state FROM cases") == [("suggestion", "closed")]
    assert any("【意见建议】" in t for _p, t in _notices(db_url, "sup_triage"))
    assert not _notices(db_url, "sup_zwfw")  # a suggestion is for the office, not a notice to the unit


def test_a_question_about_getting_something_done_is_answered_from_the_faq(wechat: WeChat, db_url: str) -> None:
    reply = wechat.text("请问换驾照需要带什么材料？在哪办？", CITIZEN) or ""
    assert "身份证" in reply and "车管所业务大厅" in reply and "0715-8120001" in reply
    assert _counts(db_url) == (0, 0)


def test_small_talk_and_an_insult_open_nothing(wechat: WeChat, db_url: str) -> None:
    weather = wechat.text("今天天气怎么样", CITIZEN) or ""
    assert "小助手" in weather and "什么时候" not in weather and "今天" not in weather
    insult = wechat.text("你们这些当官的都是废物", "o_intent_2") or ""
    assert insult and "废物" not in insult and "工单号" not in insult
    after = wechat.text("就是这些", "o_intent_2") or ""  # that was all they had to say
    assert after and after != insult and "随时" in after
    assert _counts(db_url) == (0, 0)


def test_two_units_two_grievances_become_two_cases_each_with_its_own_category(wechat: WeChat, db_url: str) -> None:
    offer = wechat.text("在社保局办退休，社保局让我去医保局开证明，医保局窗口的人态度很差还骂人", CITIZEN) or ""
    assert "分成两件" in offer
    for answer in ("1", "上周一", "没有", "1"):
        wechat.text(answer, CITIZEN)
    reply = wechat.text("确认", CITIZEN) or ""
    assert "{" not in reply
    found = rows(db_url, "SELECT respondent_unit, category FROM cases ORDER BY id")
    assert found == [("rsj", "obstruction"), ("ybj", "attitude")]
    for unit in ("rsj", "ybj"):  # each goes to its own unit's supervisors
        (count,) = rows(db_url, f"SELECT count(*) FROM assignments a JOIN cases c ON c.id = a.case_id "
                                f"WHERE c.respondent_unit = '{unit}' AND a.supervisor_id = 'sup_rsj'")[0]  # fmt: skip
        assert count == 1, unit


def test_a_possible_bribe_goes_to_triage_not_to_the_discipline_commission(wechat: WeChat, db_url: str) -> None:
    wechat.text("昨天去民政局办低保，工作人员说要送点东西才给批", CITIZEN)
    for answer in ("没有", "1"):
        wechat.text(answer, CITIZEN)
    number = _number(wechat.text("确认", CITIZEN))
    case = _case(db_url, number)
    assert case["state"] == "triage" and case["unit"] == "mzj"
    assigned = rows(db_url, "SELECT supervisor_id FROM assignments WHERE active")
    assert assigned and all(sup == "sup_triage" for (sup,) in assigned)


def test_a_repair_at_the_start_and_that_is_all_never_enter_the_story(wechat: WeChat, db_url: str) -> None:
    first = wechat.text("明天我要去民政局办低保", CITIZEN) or ""
    assert "工单号" not in first and _counts(db_url) == (0, 0)  # a plan is no report, and no time in the future
    reply = wechat.text("不对，是昨天去民政局办低保，窗口的人说材料不全，又不说缺什么", CITIZEN) or ""
    if "具体" in reply:  # a clarifying question, at most one: "that's all" is not part of the story
        wechat.text("就是这些", CITIZEN)
    for answer in ("没有", "1"):
        wechat.text(answer, CITIZEN)
    case = _case(db_url, _number(wechat.text("确认", CITIZEN)))
    assert str(case["text"]).startswith("昨天去民政局办低保") and "不对" not in str(case["text"])
    assert "就是这些" not in str(case["text"])


def test_a_rating_that_arrives_late_still_counts_until_the_case_closes(app, wechat: WeChat, clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    from bot.runtime import runtime
    from tests.integration.test_cases_flow import bind
    from tests.integration.test_time import bj
    from tests.integration.test_time import run

    clock.now = bj("2026-11-23T10:00")  # a Monday
    numbers = []
    for openid in (CITIZEN, "o_intent_late"):
        wechat.text("今天上午在不动产登记中心办过户，窗口的人让我跑了三趟，态度很差", openid)
        for answer in ("没有", "1"):
            wechat.text(answer, openid)
        numbers.append(_number(wechat.text("确认", openid)))
    for number in numbers:
        ((handler,),) = rows(db_url, f"SELECT a.supervisor_id FROM assignments a JOIN cases c ON c.id = a.case_id "
                                     f"WHERE c.number = '{number}' AND a.role = 'handler'")  # fmt: skip
        bind(app, wechat, handler, f"o_sup_{number}")
        wechat.text(f"签收 {number}", f"o_sup_{number}")
        wechat.text(f"回复 {number} 已核实，对窗口人员批评教育并当面致歉。", f"o_sup_{number}")
    run(app, "2026-11-26T10:00")  # the rating reminder has gone; the citizen answers days later
    runtime(app).clock = clock
    clock.now = bj("2026-11-30T15:00")
    assert "感谢您的评价" in (wechat.text("满意", CITIZEN) or "")
    assert rows(db_url, f"SELECT state, rating_outcome FROM cases WHERE number = '{numbers[0]}'")[0][0] == "closed"
    run(app, "2026-12-03T10:00")  # seven working days after the answer: the other case closes unrated
    runtime(app).clock = clock
    assert rows(db_url, f"SELECT state, rating_outcome FROM cases WHERE number = '{numbers[1]}'") == [("closed", None)]
    clock.now = bj("2026-12-03T11:00")
    late = wechat.text("满意", "o_intent_late") or ""
    assert rows(db_url, f"SELECT rating_outcome FROM cases WHERE number = '{numbers[1]}'") == [(None,)]
    assert late  # never silence; a word that can no longer rate is answered like any message
