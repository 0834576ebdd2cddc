"""The conversation that listens, told as conversations through the webhook in safe mode (issue 13).

Every message quoted in the issue's first paragraph is here, with the real classifier: a correction that names
the unit, traditional characters, fear of retaliation, a bribe, a phone number in Chinese numerals, a window QR
scan, plus 取消/恢复, the thin report, the time that is no time, ratings and list numbers.
"""

from __future__ import annotations

import json
import re

from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import rows

CITIZEN = "o_talk_1"


def _case(db_url: str, number: str) -> dict[str, object]:
    found = rows(
        db_url, f"SELECT respondent_unit, category, text, window, kind, state FROM cases WHERE number = '{number}'"
    )
    unit, category, text, window, kind, state = found[0]
    return {"unit": unit, "category": category, "text": text, "window": window, "kind": kind, "state": state}


def _number(reply: str | None) -> str:
    m = re.search(r"ZY\d{10}", reply or "")
    assert m, reply
    return m.group(0)


def test_a_correction_changes_the_unit_and_never_enters_the_story(wechat: WeChat, db_url: str) -> None:
    wechat.text("昨天上午在社保局窗口办退休手续，工作人员态度很差，还冲我吼", CITIZEN)
    reply = wechat.text("不对，我说错了，是医保局", CITIZEN) or ""
    assert "市医疗保障局" in reply
    for answer in ("没有", "1"):
        wechat.text(answer, CITIZEN)
    number = _number(wechat.text("確認", CITIZEN))  # 确认 in traditional characters
    case = _case(db_url, number)
    assert case["unit"] == "ybj" and "说错了" not in str(case["text"]) and "医保局" not in str(case["text"])


def test_traditional_characters_are_understood_at_every_step(wechat: WeChat, db_url: str) -> None:
    wechat.text("昨天下午在車管所換駕照，窗口的人一直在玩手機不理我", CITIZEN)
    assert "匿名" in (wechat.text("沒有", CITIZEN) or "")  # 没有 (no evidence) → the identity question
    review = wechat.text("匿名", CITIZEN) or ""
    assert "最后一步" in review and "问题类型" in review
    assert _case(db_url, _number(wechat.text("確認", CITIZEN)))["unit"] == "cgs"


def test_fear_is_answered_at_once_and_kept_out_of_the_report(wechat: WeChat, db_url: str) -> None:
    reply = wechat.text("我怕他们知道是我举报的会报复我", CITIZEN) or ""
    assert "严格保密" in reply and "打击报复" in reply and "匿名" in reply
    assert rows(db_url, "SELECT count(*) FROM dialogs") == [(0,)]  # no report was opened by a fear
    first = wechat.text("昨天在不动产登记中心办过户，窗口的人让我跑了三趟，一次性告知都没有", CITIZEN) or ""
    assert "材料" in first or "照片" in first
    again = wechat.text("我还是担心被穿小鞋", CITIZEN) or ""
    assert "严格保密" in again and ("照片" in again or "好了" in again)  # reassured, then the open question
    for answer in ("没有", "1"):
        wechat.text(answer, CITIZEN)
    case = _case(db_url, _number(wechat.text("确认", CITIZEN)))
    assert "穿小鞋" not in str(case["text"]) and "报复" not in str(case["text"])


def test_a_bribe_goes_to_the_discipline_commission_with_12388_and_no_day_count(wechat: WeChat, db_url: str) -> None:
    wechat.text("今天上午在车管所换驾照，窗口的人暗示我塞红包才给办，不给好处费就一直拖着", CITIZEN)
    for answer in ("没有", "1"):
        wechat.text(answer, CITIZEN)
    done = wechat.text("确认", CITIZEN) or ""
    assert "纪委监委" in done and "12388" in done and "个工作日内" not in done
    number = _number(done)
    assert _case(db_url, number)["category"] == "corruption"
    assert rows(db_url, "SELECT supervisor_id, role FROM assignments") == [("sup_jw", "handler")]


def test_a_phone_in_chinese_numerals_never_becomes_the_name(wechat: WeChat, db_url: str) -> None:
    wechat.text("昨天上午在公积金中心提取公积金，窗口工作人员不耐烦还甩脸色", CITIZEN)
    wechat.text("没有", CITIZEN)
    wechat.text("2", CITIZEN)
    reply = wechat.text("张三 一三九零七一五一二三四", CITIZEN) or ""
    assert "张三 139****1234" in reply
    wechat.text("确认", CITIZEN)
    assert rows(db_url, "SELECT real_name, phone FROM reporter_contacts") == [("张三", "13907151234")]


def test_after_a_window_qr_scan_the_window_is_never_asked(wechat: WeChat, db_url: str) -> None:
    wechat.event("SCAN", CITIZEN, key="unit=bdc;window=5")
    reply = wechat.text("工作人员让我跑了三趟，每次都说材料不对，也不一次说清楚", CITIZEN) or ""
    assert "窗口号" not in reply
    for answer in ("昨天上午", "没有", "1"):
        assert "窗口号" not in (wechat.text(answer, CITIZEN) or "")
    case = _case(db_url, _number(wechat.text("确认", CITIZEN)))
    assert (case["unit"], case["window"]) == ("bdc", "5")


def test_incidental_words_are_no_time_and_a_future_day_is_refused(wechat: WeChat) -> None:
    reply = wechat.text("刚才那个窗口在不动产登记中心，工作人员态度很差还骂人", CITIZEN) or ""
    assert "什么时候发生的" in reply  # 刚才那个 is not a time: the question is still asked
    assert "还没到" in (wechat.text("下周一", CITIZEN) or "")
    assert "时间记为：昨天" in (wechat.text("昨天", CITIZEN) or "")


def test_cancel_keeps_the_draft_for_half_an_hour(wechat: WeChat, clock: Clock) -> None:
    wechat.text("昨天在不动产登记中心办过户，窗口的人态度很差", CITIZEN)
    assert "30分钟内回复“恢复”" in (wechat.text("取消", CITIZEN) or "")
    assert "已恢复刚才的反映" in (wechat.text("恢复", CITIZEN) or "")
    wechat.text("算了", CITIZEN)
    clock.advance(minutes=31)
    assert "没有可以恢复的内容" in (wechat.text("恢复", CITIZEN) or "")


def test_a_thin_report_gets_one_clarifying_question_only(wechat: WeChat) -> None:
    first = wechat.text("办个证跑了五趟还没办成", CITIZEN) or ""
    assert "能再具体一点吗" in first and "卡在哪一步" in first
    second = wechat.text("不动产登记中心的房产证", CITIZEN) or ""
    assert "能再具体一点吗" not in second  # never asked twice


def test_a_window_rating_poor_with_its_reason_opens_a_review_case(wechat: WeChat, db_url: str, clock: Clock) -> None:
    ask = wechat.event("SCAN", CITIZEN, key="rate=bdc;window=3") or ""
    assert "5 非常满意" in ask and "1 非常不满意" in ask
    assert "谢谢您的评价（满意）" in (wechat.text("4", CITIZEN) or "")
    clock.advance(minutes=20)
    wechat.event("SCAN", CITIZEN, key="rate=bdc;window=3")
    assert "哪里做得不好" in (wechat.text("不满意", CITIZEN) or "")
    done = wechat.text("等了四十分钟，叫号后窗口的人还在聊天，问她话也不理", CITIZEN) or ""
    number = _number(done)
    case = _case(db_url, number)
    assert (case["kind"], case["unit"], case["window"]) == ("review", "bdc", "3")
    # One rating per citizen per visit: the second, within the hour, replaced the first.
    assert rows(db_url, "SELECT level, review_case_id IS NOT NULL FROM window_ratings") == [(2, True)]


def test_a_window_rating_can_be_words_and_the_draft_waits(wechat: WeChat, db_url: str) -> None:
    wechat.text("昨天在车管所换驾照，窗口的人态度很差还骂人", CITIZEN)
    wechat.event("SCAN", CITIZEN, key="rate=zwfw;window=1")
    back = wechat.text("非常满意", CITIZEN) or ""
    assert "谢谢您的评价（非常满意）" in back and ("照片" in back or "好了" in back)  # back to the open question
    assert rows(db_url, "SELECT unit, level FROM window_ratings") == [("zwfw", 5)]


def test_not_satisfied_asks_why_and_attaches_it_to_the_redo(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    wechat.text("昨天在不动产登记中心办过户，窗口的人让我跑了三趟，态度很差", CITIZEN)
    for answer in ("没有", "1"):
        wechat.text(answer, CITIZEN)
    number = _number(wechat.text("确认", CITIZEN))
    (handler,) = rows(db_url, "SELECT supervisor_id FROM assignments WHERE role = 'handler'")[0]
    bind(app, wechat, handler, "o_sup_talk")
    wechat.text("签收 1", "o_sup_talk")  # a list number stands for the case
    wechat.text(f"回复 {number} 已经核实，对窗口人员进行了批评教育。", "o_sup_talk")
    assert "哪里不满意" in (wechat.text("不满意", CITIZEN) or "")  # a rating in one word
    assert f"已把您的意见附在工单 {number}" in (wechat.text("答复没说清楚以后怎么办，证还是没办下来", CITIZEN) or "")
    assert rows(db_url, f"SELECT state FROM cases WHERE number = '{number}'") == [("reopened",)]
    bodies = [r[0] for r in rows(db_url, "SELECT body FROM case_messages WHERE kind = 'supplement'")]
    assert bodies == ["【不满意的原因】答复没说清楚以后怎么办，证还是没办下来"]
    told = [
        json.loads(p) if isinstance(p, str) else p
        for (p,) in rows(db_url, f"SELECT payload FROM outbox WHERE recipient = '{handler}' ORDER BY id")
    ]
    assert told[-1]["text"].startswith("【市民补充】")


def test_my_cases_then_a_number_shows_that_case(wechat: WeChat, db_url: str) -> None:
    wechat.text("昨天在不动产登记中心办过户，窗口的人让我跑了三趟，态度很差", CITIZEN)
    for answer in ("没有", "1"):
        wechat.text(answer, CITIZEN)
    number = _number(wechat.text("确认", CITIZEN))
    listing = wechat.text("我的反映", CITIZEN) or ""
    assert f"1. {number}" in listing
    status = wechat.text("1", CITIZEN) or ""
    assert f"工单 {number}" in status and "被反映单位：市不动产登记中心" in status


def test_asking_about_an_earlier_report_never_opens_a_new_one(wechat: WeChat, db_url: str) -> None:
    wechat.text("昨天在不动产登记中心办过户，窗口的人让我跑了三趟，态度很差", CITIZEN)
    for answer in ("没有", "1"):
        wechat.text(answer, CITIZEN)
    number = _number(wechat.text("确认", CITIZEN))
    reply = wechat.text("我上次反映的那个事怎么样了", CITIZEN) or ""
    assert f"工单 {number}" in reply
    assert rows(db_url, "SELECT count(*) FROM cases") == [(1,)] and rows(db_url, "SELECT count(*) FROM dialogs") == [
        (0,)
    ]
