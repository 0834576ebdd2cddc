"""After submitting: status queries, the citizen's case list, supplements, and the daily limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers.cases_view import STAFF_LABELS
from handlers.cases_view import STATE_LABELS
from handlers.cases_view import normalize_case_number
from handlers.cases_view import render_status
from handlers.dialog.types import MediaRef
from handlers.dialog.types import Stage
from handlers.dialog.types import Supplement
from tests.builders import NAMED
from tests.builders import NOW
from tests.builders import Chat
from tests.builders import case
from tests.builders import city
from tests.builders import click
from tests.builders import drive_to
from tests.builders import image
from tests.builders import location
from tests.builders import voice

MINE = case("ZY2611250001", "in_progress")
NEWER = case(
    "ZY2611270002",
    "triage",
    unit=None,
    category="attitude",
    created_at=NOW - timedelta(hours=1),
    last_update_at=None,
    last_update_note="",
)
SOMEONE_ELSES = "ZY2611250002"

CASE_STATES = (
    "submitted assigned signed in_progress answered rating closed triage returned extension escalated reopened "
    "merged rejected"
).split()


def test_status_query_for_an_own_case() -> None:
    chat = Chat(my_cases=(NEWER, MINE))
    r = chat.say("查询 ZY2611250001")
    assert chat.state is None
    assert r.reply == (
        "工单 ZY2611250001\n状态：办理中\n被反映单位：市不动产登记中心\n问题类型：事难办\n提交时间：11月25日 10:00\n"
        "最新进展（11月27日 07:00）：督办人员已联系不动产登记中心核实情况。"
    )


@pytest.mark.parametrize(
    "typed",
    [
        "查询ZY2611250001",
        "查询：zy2611250001",
        "查询 ＺＹ２６１１２５０００１",
        "ZY2611250001",
        "ZY 2611 2500 01 进度怎么样了",
    ],
)
def test_status_query_is_forgiving_about_how_the_number_is_typed(typed: str) -> None:
    chat = Chat(my_cases=(MINE,))
    r = chat.say(typed)
    assert r.reply.startswith("工单 ZY2611250001\n状态：办理中")


def test_status_query_for_someone_elses_number_is_not_found() -> None:
    mine = Chat(my_cases=(MINE,))
    other = mine.say(f"查询 {SOMEONE_ELSES}").reply
    nobody = mine.say("查询 ZY0001010001").reply
    # The same answer whether or not the number exists for someone else.
    assert other.replace(SOMEONE_ELSES, "N") == nobody.replace("ZY0001010001", "N")
    assert "只能查询您自己提交的" in other


def test_status_query_with_a_malformed_number() -> None:
    chat = Chat(my_cases=(MINE,))
    r = chat.say("查询 12345")
    assert "ZY" in r.reply and "10位数字" in r.reply


def test_query_menu_with_one_recent_case_answers_directly() -> None:
    chat = Chat(my_cases=(MINE,))
    r = chat.send(click("QUERY"))
    assert r.reply.startswith("工单 ZY2611250001")


def test_query_menu_with_several_cases_lists_them() -> None:
    chat = Chat(my_cases=(NEWER, MINE))
    r = chat.send(click("QUERY"))
    assert r.reply == (
        "您最近的反映：\n1. ZY2611270002｜已受理｜待确定｜11月27日\n2. ZY2611250001｜办理中｜市不动产登记中心｜11月25日\n"
        "发送“查询 工单号”查看详情。"
    )


def test_query_without_cases() -> None:
    chat = Chat()
    assert "还没有提交过" in chat.send(click("QUERY")).reply
    assert "还没有提交过" in chat.say("我的反映").reply


def test_my_cases_lists_at_most_five_newest_first() -> None:
    cases = tuple(case(f"ZY26112{i:05d}", "closed", created_at=NOW - timedelta(days=i)) for i in range(8))
    chat = Chat(my_cases=cases)
    for msg in ("我的反映", click("MY_CASES")):
        r = chat.say(msg) if isinstance(msg, str) else chat.send(msg)
        assert r.reply.count("\n") == 6  # heading, five items, footer
        assert "1. ZY2611200000｜已办结" in r.reply and "ZY2611200005" not in r.reply


def test_status_of_a_triage_case_does_not_expose_triage() -> None:
    chat = Chat(my_cases=(NEWER,))
    r = chat.say("查询 ZY2611270002")
    assert "状态：已受理" in r.reply and "分拣" not in r.reply and "被反映单位：待确定" in r.reply


@pytest.mark.parametrize("state", CASE_STATES)
def test_every_case_state_has_a_citizen_label_and_a_staff_label(state: str) -> None:
    assert STATE_LABELS[state] and STAFF_LABELS[state]
    r = render_status(case(state=state), city(), NOW)
    assert f"状态：{STATE_LABELS[state]}" in r


def test_staff_labels_are_the_design_names() -> None:
    assert (STAFF_LABELS["triage"], STAFF_LABELS["returned"], STAFF_LABELS["merged"]) == ("待分拣", "退单", "重复件")
    assert (STATE_LABELS["triage"], STATE_LABELS["closed"], STATE_LABELS["rejected"]) == (
        "已受理",
        "已办结",
        "不予受理",
    )


def test_status_shows_the_deadline_while_open() -> None:
    r = render_status(case(due_at=NOW + timedelta(days=3)), city(), NOW)
    assert "预计答复：11月30日 10:00前" in r
    closed = render_status(case(state="closed", due_at=NOW + timedelta(days=3)), city(), NOW)
    assert "预计答复" not in closed


def test_status_of_last_years_case_shows_the_year() -> None:
    r = render_status(case(created_at=NOW - timedelta(days=400)), city(), NOW)
    assert "提交时间：2025年10月23日" in r


def test_normalize_case_number() -> None:
    assert normalize_case_number("zy2611270001") == "ZY2611270001"
    assert normalize_case_number("ZY 2611 2700 01") == "ZY2611270001"
    assert normalize_case_number("ZY26112700011") is None
    assert normalize_case_number("ZY26112700") is None


def test_supplement_with_content_for_an_own_case() -> None:
    chat = Chat(my_cases=(MINE,))
    r = chat.say("补充 ZY2611250001 当时是5号窗口，那个工作人员戴眼镜😠")
    assert chat.state is None
    assert r.supplements == (Supplement(case_number="ZY2611250001", text="当时是5号窗口，那个工作人员戴眼镜😠"),)
    assert "已补充到工单 ZY2611250001" in r.reply


def test_supplement_for_someone_elses_case_is_not_found_and_appends_nothing() -> None:
    chat = Chat(my_cases=(MINE,))
    r = chat.say(f"补充 {SOMEONE_ELSES} 我也遇到了")
    assert r.supplements == () and chat.state is None
    assert r.reply == f"没有找到工单 {SOMEONE_ELSES}。请核对工单号；这里只能查询您自己提交的反映。"


def test_supplement_photos_after_choosing_the_case() -> None:
    chat = Chat(my_cases=(MINE,))
    r = chat.say("补充 ZY2611250001")
    assert chat.stage is Stage.SUPPLEMENT and "照片" in r.reply and r.supplements == ()

    r = chat.send(image("sup1"))
    media = MediaRef(kind="image", media_id="sup1", pic_url="http://mmbiz.qpic.cn/sup1")
    assert r.supplements == (Supplement(case_number="ZY2611250001", media=media),)
    assert chat.stage is Stage.SUPPLEMENT

    r = chat.send(voice("这是当时的录音", media_id="sv1"))
    assert r.supplements[0].text == "这是当时的录音" and r.supplements[0].media.media_id == "sv1"  # type: ignore[union-attr]

    r = chat.send(location())
    assert r.supplements[0].location == (29.841, 114.322, "湖北省咸宁市咸安区")

    r = chat.say("好了")
    assert chat.state is None and r.supplements == () and "补充完毕" in r.reply


def test_supplement_interrupting_a_draft_returns_to_it() -> None:
    chat = drive_to(Stage.ASK_IDENTITY)
    r = chat.say("补充 ZY2611250001")
    assert chat.stage is Stage.SUPPLEMENT
    chat.send(image("sup2"))
    r = chat.say("好了")
    assert chat.stage is Stage.ASK_IDENTITY and "1. 匿名" in r.reply
    assert chat.state.slots.evidence == []  # type: ignore[union-attr]  # the photo went to the case, not the draft


def test_supplement_mode_ends_when_idle() -> None:
    chat = Chat(my_cases=(MINE,))
    chat.say("补充 ZY2611250001")
    chat.wait(minutes=city().limits.dialog_idle_minutes + 1)
    r = chat.say("你好")
    assert chat.state is None and r.supplements == () and "哪个单位" in r.reply


def test_supplement_with_content_during_a_draft_keeps_the_draft() -> None:
    chat = drive_to(Stage.REVIEW)
    r = chat.say("补充 ZY2611250001 补一句：工作人员姓王")
    assert chat.stage is Stage.REVIEW
    assert r.supplements[0].text == "补一句：工作人员姓王"
    assert "还有一条反映没提交" in r.reply


def test_supplement_without_a_number() -> None:
    chat = Chat(my_cases=(MINE,))
    r = chat.say("补充 ZY123")
    assert "补充 工单号 内容" in r.reply and r.supplements == ()


def test_daily_limit_blocks_a_new_draft_politely() -> None:
    chat = Chat(cases_today=city().limits.cases_per_day)
    r = chat.say(NAMED)
    assert chat.state is None and r.submit is None
    assert "达到每天5件的上限" in r.reply and "明天" in r.reply
    r = chat.send(click("REPORT"))
    assert chat.state is None and "上限" in r.reply


def test_daily_limit_reached_while_drafting_keeps_the_draft_for_tomorrow() -> None:
    chat = drive_to(Stage.REVIEW, cases_today=4)
    chat.cases_today = 5  # another draft was submitted meanwhile
    r = chat.say("确认")
    assert r.submit is None and chat.stage is Stage.REVIEW
    assert "先为您保留" in r.reply
    chat.wait(hours=20)
    chat.cases_today = 0
    chat.say("在吗")
    assert chat.stage is Stage.RESUME
    r = chat.say("继续")
    assert chat.stage is Stage.REVIEW
    r = chat.say("确认")
    assert r.submit is not None


def test_below_the_limit_submits() -> None:
    chat = drive_to(Stage.REVIEW, cases_today=4)
    assert chat.say("确认").submit is not None
