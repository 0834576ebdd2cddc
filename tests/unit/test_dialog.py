"""The citizen dialog, played as whole conversations: from a first message to a submitted draft.

Each test feeds a sequence of messages through `handlers.dialog.handle` (state persisted through JSON between
turns, see tests/builders.py) and checks the stage and the reply after every step.
"""

from __future__ import annotations

from datetime import date

from handlers.dialog.types import MediaRef
from handlers.dialog.types import Stage
from tests.builders import IMPLIED
from tests.builders import NAMED
from tests.builders import UNCLEAR
from tests.builders import Chat
from tests.builders import FakeClassifier
from tests.builders import city
from tests.builders import click
from tests.builders import drive_to
from tests.builders import event
from tests.builders import image
from tests.builders import location
from tests.builders import text
from tests.builders import video
from tests.builders import voice


def test_one_message_complaint_with_a_named_unit() -> None:
    chat = Chat()
    r = chat.say(NAMED)
    assert chat.stage is Stage.ASK_EVIDENCE
    assert "您反映的是“市不动产登记中心”的问题" in r.reply and "照片" in r.reply
    slots = chat.state.slots  # type: ignore[union-attr]
    assert (slots.unit, slots.unit_source, slots.occurred_on, slots.occurred_text) == (
        "bdc",
        "named",
        "2026-11-26",
        "昨天上午",
    )

    r = chat.say("没有")
    assert chat.stage is Stage.ASK_IDENTITY
    assert "匿名" in r.reply and "实名" in r.reply

    r = chat.say("1")
    assert chat.stage is Stage.REVIEW
    assert "· 被反映单位：市不动产登记中心" in r.reply
    assert "· 时间：昨天上午（11月26日）" in r.reply
    assert "· 材料：无" in r.reply and "· 身份：匿名" in r.reply
    assert "确认" in r.reply and "修改" in r.reply and "取消" in r.reply

    r = chat.say("确认")
    assert chat.state is None
    assert r.submit is not None
    assert "{case_number}" in r.reply and "查询 {case_number}" in r.reply
    assert "不会交给被反映单位" in r.reply and "5个工作日" in r.reply
    draft = r.submit
    assert draft.text == NAMED
    assert (draft.unit, draft.category, draft.unit_source, draft.triage) == ("bdc", "attitude", "named", False)
    assert draft.occurred_on == date(2026, 11, 26) and draft.occurred_text == "昨天上午"
    assert draft.anonymous and draft.real_name is None and draft.phone is None
    assert draft.classification.evidence == ("不动产登记中心", "态度")
    assert NAMED not in r.reply  # the submitted reply never echoes the complaint


def test_implied_unit_is_proposed_and_confirmed() -> None:
    chat = Chat()
    r = chat.say(IMPLIED)
    assert chat.stage is Stage.CONFIRM_UNIT
    assert r.reply.endswith("您反映的是“市公安局交警支队车辆管理所”吗？回复“是”或“不是”。")

    r = chat.say("是的")
    assert chat.stage is Stage.ASK_WHEN
    assert r.reply.startswith("好的，单位记为：市公安局交警支队车辆管理所。")

    r = chat.say("上周五下午")
    assert chat.stage is Stage.ASK_EVIDENCE
    assert "上周五下午（11月20日）" in r.reply

    chat.say("没有")
    chat.say("匿名")
    r = chat.say("确认")
    assert r.submit is not None
    assert (r.submit.unit, r.submit.unit_source, r.submit.occurred_on) == ("cgs", "service", date(2026, 11, 20))


def test_implied_unit_rejected_then_named() -> None:
    chat = Chat()
    chat.say(IMPLIED)
    r = chat.say("不是")
    assert chat.stage is Stage.CHOOSE_UNIT
    assert "直接告诉我名称" in r.reply  # no other candidate: ask for the name

    r = chat.say("交通局")
    assert chat.stage is Stage.ASK_WHEN
    assert "市交通运输局" in r.reply
    assert chat.state.slots.unit_source == "chosen"  # type: ignore[union-attr]


def test_unclear_unit_is_chosen_from_a_numbered_list() -> None:
    chat = Chat()
    r = chat.say(UNCLEAR)
    assert chat.stage is Stage.CHOOSE_UNIT
    assert "1. 市人力资源和社会保障局\n2. 市医疗保障局\n3. 市住房公积金中心\n4. 不确定" in r.reply

    r = chat.say("第二个")
    assert chat.stage is Stage.ASK_WHEN
    assert "市医疗保障局" in r.reply
    slots = chat.state.slots  # type: ignore[union-attr]
    assert (slots.unit, slots.unit_source) == ("ybj", "chosen")


def test_unclear_unit_typed_by_name_instead_of_a_number() -> None:
    chat = Chat()
    chat.say(UNCLEAR)
    r = chat.say("是医保局")
    assert chat.stage is Stage.ASK_WHEN and "市医疗保障局" in r.reply


def test_unsure_goes_to_triage_without_burdening_the_citizen() -> None:
    chat = Chat()
    chat.say(UNCLEAR)
    r = chat.say("4")
    assert chat.stage is Stage.ASK_WHEN
    assert "工作人员会帮您确认" in r.reply

    chat.say("记不清了")
    chat.say("没有")
    r = chat.say("1")
    assert "· 被反映单位：待确定（工作人员会帮您确认）" in r.reply
    assert "· 时间：记不清了" in r.reply

    r = chat.say("确认")
    assert r.submit is not None
    assert r.submit.triage and r.submit.unit is None and r.submit.unit_source is None
    assert r.submit.occurred_on is None and r.submit.occurred_text == "记不清了"
    assert "分拣" not in r.reply and "triage" not in r.reply
    assert "督办人员" in r.reply and "查询 {case_number}" in r.reply


def test_unsure_said_in_words() -> None:
    chat = Chat()
    chat.say(UNCLEAR)
    chat.say("不清楚")
    assert chat.stage is Stage.ASK_WHEN
    assert chat.state.slots.unit_decided and chat.state.slots.unit is None  # type: ignore[union-attr]


def test_description_in_several_messages_until_done() -> None:
    chat = Chat()
    r = chat.send(click("REPORT"))
    assert chat.stage is Stage.COLLECT_TEXT and "请说说您遇到的情况" in r.reply

    r = chat.say("我上周去办事")
    assert chat.stage is Stage.COLLECT_TEXT and "能再具体一点吗" in r.reply  # one clarifying question ...

    r = chat.say("社保局的人")  # ... and never a second: what comes after it is enough to move on
    assert chat.stage is Stage.ASK_WHEN
    assert r.reply.startswith("收到，您反映的是“市人力资源和社会保障局”的问题。")
    assert chat.state.slots.text == "我上周去办事\n社保局的人"  # type: ignore[union-attr]


def test_the_bot_moves_on_when_it_has_enough() -> None:
    chat = Chat()
    chat.send(click("REPORT"))
    r = chat.say("前天在市民之家排队叫号，工作人员态度恶劣，还对我大吼")
    assert chat.stage is Stage.ASK_EVIDENCE
    assert "市政务服务中心" in r.reply


def test_short_first_message_asks_for_more() -> None:
    chat = Chat()
    r = chat.say("社保局不给办")
    assert chat.stage is Stage.COLLECT_TEXT
    assert "能再具体一点吗" in r.reply


def test_voice_is_understood_and_kept() -> None:
    chat = Chat()
    r = chat.send(voice("车管所的人上班时间一直在打游戏，叫了好几次都不理我，今天上午的事", media_id="v1"))
    assert chat.stage is Stage.ASK_EVIDENCE
    assert "车辆管理所" in r.reply
    assert chat.state.slots.evidence[0]["kind"] == "voice"  # type: ignore[union-attr]

    r = chat.send(voice("没有了", media_id="v2"))
    assert chat.stage is Stage.ASK_IDENTITY
    r = chat.send(voice("匿名", media_id="v3"))
    assert chat.stage is Stage.REVIEW and "语音1条" in r.reply
    r = chat.send(voice("确认", media_id="v4"))
    assert r.submit is not None
    assert r.submit.evidence == (MediaRef(kind="voice", media_id="v1", media_format="amr"),)


def test_voice_without_recognition_asks_to_type() -> None:
    chat = Chat()
    r = chat.send(voice(None, media_id="v1"))
    assert chat.stage is Stage.COLLECT_TEXT
    assert "没能识别" in r.reply
    assert chat.state.slots.evidence[0]["media_id"] == "v1"  # type: ignore[union-attr]


def test_qr_scan_then_complaint() -> None:
    chat = Chat()
    r = chat.send(event("scan", "unit=bdc;window=5"))
    assert chat.stage is Stage.COLLECT_TEXT
    assert "市不动产登记中心 5号窗口" in r.reply
    slots = chat.state.slots  # type: ignore[union-attr]
    assert (slots.unit, slots.unit_source, slots.unit_decided, slots.window) == ("bdc", "qr", True, "5")

    r = chat.say("他们让我跑了好几趟，每次都说材料不全，一次性告知都做不到")
    assert chat.stage is Stage.ASK_WHEN  # no unit question: the code on the window said it
    chat.say("今天上午")
    chat.say("好了")
    r = chat.say("1")
    assert "· 被反映单位：市不动产登记中心（5号窗口）" in r.reply
    r = chat.say("确认")
    assert r.submit is not None
    assert (r.submit.unit, r.submit.unit_source, r.submit.window) == ("bdc", "qr", "5")


def test_subscribe_by_qr_scan_welcomes_and_fixes_the_unit() -> None:
    chat = Chat()
    r = chat.send(event("subscribe", "qrscene_unit=cgs;window=2"))
    assert chat.stage is Stage.COLLECT_TEXT
    assert r.reply.startswith(city().texts.welcome)
    assert "车辆管理所 2号窗口" in r.reply


def test_plain_subscribe_gets_the_welcome_and_no_draft() -> None:
    chat = Chat()
    r = chat.send(event("subscribe"))
    assert chat.state is None and r.reply == city().texts.welcome


def test_unknown_qr_scene_is_just_the_menu() -> None:
    chat = Chat()
    r = chat.send(event("scan", "unit=nowhere;window=1"))
    assert chat.state is None and r.reply == city().texts.menu


def test_photo_evidence_is_kept_with_its_media_id_and_url() -> None:
    chat = Chat()
    chat.say(NAMED)
    r = chat.send(image("img1"))
    assert chat.stage is Stage.ASK_EVIDENCE and "第1份材料已收到" in r.reply
    r = chat.send(image("img2"))
    assert "第2份材料" in r.reply
    r = chat.send(video("vid1"))
    assert "第3份材料" in r.reply
    r = chat.say("5号窗口")
    assert chat.stage is Stage.ASK_EVIDENCE and "窗口记为：5" in r.reply
    r = chat.send(location())
    assert "位置已收到" in r.reply
    chat.say("发完了")
    r = chat.say("1")
    assert "· 材料：照片2张，视频1段" in r.reply
    assert "· 地点：湖北省咸宁市咸安区" in r.reply
    r = chat.say("确认")
    assert r.submit is not None
    assert r.submit.evidence[0] == MediaRef(kind="image", media_id="img1", pic_url="http://mmbiz.qpic.cn/img1")
    assert [m.kind for m in r.submit.evidence] == ["image", "image", "video"]
    assert r.submit.window == "5"
    assert r.submit.location == (29.841, 114.322, "湖北省咸宁市咸安区")


def test_evidence_can_be_cleared() -> None:
    chat = Chat()
    chat.say(NAMED)
    chat.send(image("img1"))
    r = chat.say("删除")
    assert chat.stage is Stage.ASK_EVIDENCE and "已删除" in r.reply
    assert chat.state.slots.evidence == []  # type: ignore[union-attr]


def test_a_photo_first_starts_a_draft_and_asks_what_happened() -> None:
    chat = Chat()
    r = chat.send(image("img0"))
    assert chat.stage is Stage.COLLECT_TEXT
    assert "照片已收到" in r.reply and "说说发生了什么" in r.reply
    chat.say(NAMED)
    assert chat.stage is Stage.ASK_EVIDENCE
    assert chat.state.slots.evidence[0]["media_id"] == "img0"  # type: ignore[union-attr]


def test_real_name_path_with_a_bad_then_a_good_phone() -> None:
    chat = Chat()
    chat.say(NAMED)
    chat.say("没有")
    r = chat.say("2")
    assert chat.stage is Stage.ASK_CONTACT and "姓名和手机号" in r.reply

    r = chat.say("张三 1381234567")
    assert chat.stage is Stage.ASK_CONTACT
    assert "手机号好像不对" in r.reply

    r = chat.say("13812345678")
    assert chat.stage is Stage.REVIEW  # the name from the first try was kept
    assert "· 身份：张三 138****5678" in r.reply
    assert "13812345678" not in r.reply

    r = chat.say("确认")
    assert r.submit is not None
    assert (r.submit.anonymous, r.submit.real_name, r.submit.phone) == (False, "张三", "13812345678")
    assert "匿名" not in r.reply


def test_real_name_given_in_two_messages() -> None:
    chat = Chat()
    chat.say(NAMED)
    chat.say("没有")
    chat.say("实名")
    r = chat.say("电话 138-1234-5678")
    assert chat.stage is Stage.ASK_CONTACT and "138****5678 已记下" in r.reply and "怎么称呼" in r.reply
    r = chat.say("我姓王")
    assert chat.stage is Stage.REVIEW and "· 身份：王 138****5678" in r.reply


def test_a_phone_number_answers_the_identity_question() -> None:
    chat = Chat()
    chat.say(NAMED)
    chat.say("没有")
    r = chat.say("李四 13912345678")
    assert chat.stage is Stage.REVIEW and "李四 139****5678" in r.reply


def test_real_name_can_still_become_anonymous() -> None:
    chat = Chat()
    chat.say(NAMED)
    chat.say("没有")
    chat.say("2")
    r = chat.say("还是匿名吧")
    assert chat.stage is Stage.REVIEW and "· 身份：匿名" in r.reply


def test_anonymous_is_the_first_option() -> None:
    chat = Chat()
    chat.say(NAMED)
    r = chat.say("没有")
    assert r.reply.index("1. 匿名") < r.reply.index("2. 实名")


def test_greeting_gets_a_guide_not_a_case() -> None:
    for greeting in ("你好", "在吗", "您好，在吗？", "哈哈哈", "?", "？？", "🙂", "嗯"):
        chat = Chat()
        r = chat.say(greeting)
        assert chat.state is None, greeting
        assert r.submit is None
        assert "哪个单位" in r.reply, greeting


def test_thanks_gets_a_short_answer() -> None:
    chat = Chat()
    r = chat.say("谢谢")
    assert chat.state is None and r.reply == "不客气！有需要随时找我。"


def test_report_intent_words_open_a_draft() -> None:
    chat = Chat()
    r = chat.say("我要投诉")
    assert chat.stage is Stage.COLLECT_TEXT and "请说说您遇到的情况" in r.reply


def test_other_messages_without_a_draft() -> None:
    chat = Chat()
    r = chat.send(click("HELP"))
    assert r.reply == city().texts.help and chat.state is None
    r = chat.send(click("SOMETHING_ELSE"))
    assert r.reply == city().texts.menu
    r = chat.send(location())
    assert chat.stage is Stage.COLLECT_TEXT and "位置已收到" in r.reply


def test_classifier_is_injected_and_its_classification_submitted() -> None:
    classify = FakeClassifier(city())
    chat = Chat(classify=classify)
    chat.say(NAMED)
    chat.say("没有")
    chat.say("1")
    r = chat.say("确认")
    assert r.submit is not None
    assert r.submit.classification == classify(NAMED)
    assert set(classify.calls) == {NAMED}


def test_emoji_and_rare_characters_are_kept_whole() -> None:
    words = "不动产登记中心的窗口人员态度很差😡👨‍👩‍👧，𠀀𪚥字都写错了，让我跑了三趟"
    chat = Chat()
    chat.say(words)
    chat.say("昨天")
    chat.say("没有")
    chat.say("1")
    r = chat.say("确认")
    assert r.submit is not None and r.submit.text == words


def test_text_after_the_story_is_appended_where_a_short_answer_was_expected() -> None:
    chat = Chat()
    chat.say(NAMED)
    chat.say("没有")
    r = chat.say("另外他们还让我去找中介，说找中介就能快点办下来")
    assert chat.stage is Stage.ASK_IDENTITY
    assert "补充到事情经过" in r.reply and "1（匿名）或 2（实名）" in r.reply
    assert chat.state.slots.text.endswith("说找中介就能快点办下来")  # type: ignore[union-attr]


def test_a_non_answer_to_a_choice_gets_a_nudge() -> None:
    chat = Chat()
    chat.say(IMPLIED)
    r = chat.say("我想想")
    assert chat.stage is Stage.CONFIRM_UNIT and "是" in r.reply
    r = chat.say("随便吧你看着办")
    assert chat.stage is Stage.CONFIRM_UNIT and r.reply == "请回复“是”或“不是”。"


def test_a_photo_where_a_choice_is_expected_is_kept_and_the_question_repeated() -> None:
    chat = Chat()
    chat.say(UNCLEAR)
    r = chat.send(image("img9"))
    assert chat.stage is Stage.CHOOSE_UNIT
    assert "照片已收到" in r.reply and "1. 市人力资源和社会保障局" in r.reply
    assert chat.state.slots.evidence[0]["media_id"] == "img9"  # type: ignore[union-attr]


def test_unsupported_message_in_a_draft_keeps_the_draft() -> None:
    from tests.builders import link

    chat = Chat()
    chat.say(NAMED)
    r = chat.send(link())
    assert chat.stage is Stage.ASK_EVIDENCE and r.outcome == "unsupported" and "看不懂" in r.reply


def test_a_future_time_is_refused() -> None:
    chat = Chat()
    chat.say("在不动产登记中心办房产证，窗口工作人员让我跑了三趟，态度很差")
    r = chat.say("明天")
    assert chat.stage is Stage.ASK_WHEN and "“明天”好像还没到" in r.reply  # a future day is refused by name
    r = chat.say("这周六")
    assert chat.stage is Stage.ASK_WHEN and "还没到" in r.reply
    r = chat.say("11月20日")
    assert chat.stage is Stage.ASK_EVIDENCE and "11月20日" in r.reply


def test_text_messages_send_as_one_wechat_message() -> None:
    chat = Chat()
    result = chat.send(text(NAMED))
    assert result.outcome == "handled" and result.handler == "on_complaint"


def test_a_refusal_is_not_taken_for_a_name() -> None:
    chat = drive_to(Stage.ASK_CONTACT)
    r = chat.say("不想留了")
    assert chat.stage is Stage.ASK_CONTACT and chat.state.slots.real_name is None  # type: ignore[union-attr]
    assert "姓名和手机号" in r.reply


def test_a_blank_message_gets_the_guide() -> None:
    chat = Chat()
    r = chat.say("   ")
    assert chat.state is None and "哪个单位" in r.reply


def test_done_words_end_the_description() -> None:
    for word in ("说完了", "没有了", "好了", "就这些", "好了，不说了"):
        chat = Chat()
        chat.send(click("REPORT"))
        chat.say("社保局的人")
        chat.say(word)
        assert chat.stage is Stage.ASK_WHEN, word
        assert chat.state.slots.text == "社保局的人"  # type: ignore[union-attr]
