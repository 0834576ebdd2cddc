"""Repairing a draft: corrections in plain words, 修改, 取消 from every state, idling and coming back."""

from __future__ import annotations

import pytest

from handlers.dialog.types import Stage
from tests.builders import IMPLIED
from tests.builders import NAMED
from tests.builders import UNCLEAR
from tests.builders import Chat
from tests.builders import city
from tests.builders import click
from tests.builders import drive_to
from tests.builders import event
from tests.builders import image
from tests.builders import text

IDLE = city().limits.dialog_idle_minutes
# Stages whose draft has content when drive_to gets there: 取消 keeps it for 恢复.
KEPT = {Stage.CONFIRM_UNIT, Stage.CHOOSE_UNIT, Stage.ASK_WHEN, Stage.ASK_EVIDENCE, Stage.ASK_IDENTITY,
        Stage.ASK_CONTACT, Stage.REVIEW, Stage.AMEND, Stage.RESUME, Stage.SPLIT}  # fmt: skip


@pytest.mark.parametrize("stage", list(Stage))
@pytest.mark.parametrize("word", ["取消", "算了", "不反映了", "算了，不反映了！"])
def test_cancel_from_every_state(stage: Stage, word: str) -> None:
    chat = drive_to(stage)
    r = chat.say(word)
    assert r.submit is None
    if stage is Stage.SUPPLEMENT:
        # Cancelling a supplement only stops adding to that case; it was never a draft.
        assert chat.state is None and "补充完毕" in r.reply
    elif stage in KEPT:
        # A draft with content is kept for 30 minutes: 恢复 brings it back where it was.
        assert chat.stage is Stage.CANCELLED and "30分钟内回复“恢复”" in r.reply
        back = stage if stage is not Stage.RESUME else Stage.ASK_EVIDENCE
        r = chat.say("恢复")
        assert chat.stage is back and r.reply.startswith("已恢复刚才的反映")
    elif stage is Stage.CANCELLED:
        assert chat.state is None and r.reply == "好的，这次反映已取消，填写的内容已删除。有需要随时再来找我。"
    else:
        assert chat.state is None


def test_cancel_without_a_draft_says_so() -> None:
    chat = Chat()
    r = chat.say("取消")
    assert chat.state is None and "目前没有正在填写的反映" in r.reply


def test_a_complaint_that_contains_a_cancel_word_is_not_a_cancel() -> None:
    chat = Chat()
    chat.say(NAMED)
    r = chat.say("他最后说算了算了你明天再来吧，然后就把窗口关了")
    assert chat.stage is Stage.ASK_EVIDENCE and "补充到事情经过" in r.reply


@pytest.mark.parametrize("stage", sorted(KEPT - {Stage.RESUME}))
def test_every_draft_state_keeps_a_photo_and_answers_small_talk(stage: Stage) -> None:
    chat = drive_to(stage)
    before = len(chat.state.slots.evidence)  # type: ignore[union-attr]
    r = chat.send(image("img_any", at=chat.now))
    assert chat.stage is stage
    assert len(chat.state.slots.evidence) == before + 1  # type: ignore[union-attr]
    assert "已收到" in r.reply
    r = chat.say("你好")
    assert chat.stage is stage and r.reply


def test_correction_of_the_unit_in_plain_words() -> None:
    chat = Chat()
    chat.say(NAMED)
    r = chat.say("不对，是社保局")
    assert chat.stage is Stage.ASK_EVIDENCE
    assert r.reply.startswith("好的，单位记为：市人力资源和社会保障局。")
    slots = chat.state.slots  # type: ignore[union-attr]
    assert (slots.unit, slots.unit_source) == ("rsj", "named")


def test_correction_with_the_word_unit() -> None:
    chat = Chat()
    chat.say(UNCLEAR)
    r = chat.say("单位是车管所")
    assert chat.stage is Stage.ASK_WHEN and "车辆管理所" in r.reply


def test_correction_naming_an_unknown_unit_offers_the_list() -> None:
    chat = Chat()
    chat.say(NAMED)
    r = chat.say("单位是火星办事处")
    assert chat.stage is Stage.CHOOSE_UNIT
    assert "没找到“火星办事处”这个单位" in r.reply and "1. 市不动产登记中心" in r.reply


def test_correction_of_the_time() -> None:
    chat = Chat()
    chat.say(NAMED)
    r = chat.say("时间是前天")
    assert chat.stage is Stage.ASK_EVIDENCE
    assert "时间记为：前天（11月25日）" in r.reply
    assert chat.state.slots.occurred_on == "2026-11-25"  # type: ignore[union-attr]


def test_correction_of_the_window() -> None:
    chat = Chat()
    chat.say(NAMED)
    chat.say("没有")
    r = chat.say("窗口是3号")
    assert chat.stage is Stage.ASK_IDENTITY and "窗口记为：3" in r.reply


def test_correction_while_confirming_the_unit() -> None:
    chat = Chat()
    chat.say(IMPLIED)
    r = chat.say("不是，是交警大队")
    assert chat.stage is Stage.ASK_WHEN and "车辆管理所" in r.reply
    assert chat.state.slots.unit == "cgs"  # type: ignore[union-attr]


def test_corrections_at_the_read_back_show_it_again() -> None:
    chat = drive_to(Stage.REVIEW)
    r = chat.say("不对，时间是上周五")
    assert chat.stage is Stage.REVIEW and "· 时间：上周五（11月20日）" in r.reply
    r = chat.say("单位是车管所")
    assert chat.stage is Stage.REVIEW and "· 被反映单位：市公安局交警支队车辆管理所" in r.reply
    r = chat.say("改成实名")
    assert chat.stage is Stage.ASK_CONTACT
    r = chat.say("赵六 15012345678")
    assert chat.stage is Stage.REVIEW and "赵六 150****5678" in r.reply
    r = chat.send(image("late_photo"))
    assert chat.stage is Stage.REVIEW and "· 材料：照片1张" in r.reply
    r = chat.say("确认")
    assert r.submit is not None
    assert (r.submit.unit, r.submit.occurred_text, r.submit.phone) == ("cgs", "上周五", "15012345678")


def test_amend_each_item_then_back_to_the_read_back() -> None:
    chat = drive_to(Stage.AMEND)

    r = chat.say("1")
    assert chat.stage is Stage.CHOOSE_UNIT and "1. 市不动产登记中心" in r.reply
    r = chat.say("1")
    assert chat.stage is Stage.REVIEW

    chat.say("修改")
    r = chat.say("2")
    assert chat.stage is Stage.COLLECT_TEXT and "替换原来的" in r.reply
    r = chat.say("11月20日在不动产登记中心，工作人员暗示要给好处费，我没给他就再也不搭理我")
    assert chat.stage is Stage.REVIEW and "好处费" in r.reply
    assert chat.state.slots.text.startswith("11月20日")  # type: ignore[union-attr]

    chat.say("修改")
    r = chat.say("时间")
    assert chat.stage is Stage.ASK_WHEN
    r = chat.say("11月20日")
    assert chat.stage is Stage.REVIEW and "· 时间：11月20日" in r.reply

    chat.say("修改")
    r = chat.say("4")
    assert chat.stage is Stage.ASK_EVIDENCE and "删除" in r.reply
    chat.send(image("img_a"))
    r = chat.say("好了")
    assert chat.stage is Stage.REVIEW and "照片1张" in r.reply

    chat.say("修改")
    r = chat.say("5")
    assert chat.stage is Stage.ASK_IDENTITY
    r = chat.say("1")
    assert chat.stage is Stage.REVIEW

    chat.say("修改")
    r = chat.say("确认")
    assert chat.stage is Stage.REVIEW  # nothing to change after all: read back again, do not submit yet
    r = chat.say("确认")
    assert r.submit is not None and r.submit.category == "corruption"


def test_amend_nudges_a_wrong_choice() -> None:
    chat = drive_to(Stage.AMEND)
    r = chat.say("9")
    assert chat.stage is Stage.AMEND and "1-5" in r.reply


def test_review_nudges_an_unclear_answer() -> None:
    chat = drive_to(Stage.REVIEW)
    r = chat.say("啥")
    assert chat.stage is Stage.REVIEW and r.reply == "请回复“确认”提交，“修改”更改内容，或“取消”放弃。"


def test_idle_draft_is_kept_and_resumed() -> None:
    chat = drive_to(Stage.ASK_IDENTITY)
    chat.wait(minutes=IDLE + 5)
    r = chat.say("你好")
    assert chat.stage is Stage.RESUME
    assert "还没提交" in r.reply and "继续" in r.reply and "重新开始" in r.reply
    assert "不动产登记中心" in r.reply  # an excerpt of the draft

    r = chat.say("继续")
    assert chat.stage is Stage.ASK_IDENTITY
    assert r.reply.startswith("好的，我们接着来。") and "1. 匿名" in r.reply
    chat.say("1")
    r = chat.say("确认")
    assert r.submit is not None and r.submit.text == NAMED


def test_idle_draft_restarted_with_the_new_complaint() -> None:
    chat = drive_to(Stage.ASK_EVIDENCE)
    chat.wait(minutes=IDLE + 1)
    r = chat.say(IMPLIED)
    assert chat.stage is Stage.RESUME
    r = chat.say("重新开始")
    assert chat.stage is Stage.CONFIRM_UNIT
    assert r.reply.startswith("好的，之前没提交的内容已删除，我们重新开始。")
    assert chat.state.slots.text == IMPLIED  # type: ignore[union-attr]


def test_idle_draft_restarted_from_scratch() -> None:
    chat = drive_to(Stage.REVIEW)
    chat.wait(minutes=IDLE + 1)
    chat.say("在吗")
    r = chat.say("重新开始")
    assert chat.stage is Stage.COLLECT_TEXT and "请说说您遇到的情况" in r.reply
    assert chat.state.slots.text == ""  # type: ignore[union-attr]


def test_resume_nudges_anything_else() -> None:
    chat = drive_to(Stage.RESUME)
    r = chat.say("啥意思？")
    assert chat.stage is Stage.RESUME
    r = chat.say("哪个")
    assert chat.stage is Stage.RESUME and r.reply == "请回复“继续”接着填写，或回复“重新开始”重新反映。"


def test_not_yet_idle_just_continues() -> None:
    chat = drive_to(Stage.ASK_EVIDENCE)
    chat.wait(minutes=IDLE - 1)
    chat.say("没有")
    assert chat.stage is Stage.ASK_IDENTITY


def test_an_idle_empty_draft_is_simply_forgotten() -> None:
    chat = Chat()
    chat.send(click("REPORT"))
    chat.wait(minutes=IDLE + 1)
    r = chat.say("你好")
    assert chat.state is None and "哪个单位" in r.reply


def test_idle_query_answers_and_keeps_the_offer_for_later() -> None:
    chat = drive_to(Stage.ASK_EVIDENCE)
    stored = chat.state
    chat.wait(minutes=IDLE + 1)
    r = chat.say("帮助")
    assert r.reply == city().texts.help
    assert chat.state == stored  # not refreshed: the next message still offers 继续 / 重新开始
    chat.say("没有")
    assert chat.stage is Stage.RESUME


def test_help_during_a_draft_reminds_of_the_open_question() -> None:
    chat = drive_to(Stage.ASK_IDENTITY)
    r = chat.send(click("HELP"))
    assert chat.stage is Stage.ASK_IDENTITY
    assert r.reply.startswith(city().texts.help) and "还有一条反映没提交" in r.reply


def test_report_click_during_a_draft_continues_it() -> None:
    chat = drive_to(Stage.ASK_WHEN)
    r = chat.send(click("REPORT"))
    assert chat.stage is Stage.ASK_WHEN and "正在填写" in r.reply and "什么时候" in r.reply


def test_qr_scan_during_a_draft_sets_the_unit() -> None:
    chat = drive_to(Stage.CHOOSE_UNIT)
    r = chat.send(event("scan", "unit=zwfw;window=12"))
    assert chat.stage is Stage.ASK_WHEN and "市政务服务中心" in r.reply
    slots = chat.state.slots  # type: ignore[union-attr]
    assert (slots.unit, slots.unit_source, slots.window) == ("zwfw", "qr", "12")


def test_restart_word_without_a_draft_opens_one() -> None:
    chat = Chat()
    r = chat.say("重新开始")
    assert chat.stage is Stage.COLLECT_TEXT and "请说说" in r.reply


def test_unsubscribe_discards_the_draft_silently() -> None:
    chat = drive_to(Stage.REVIEW)
    r = chat.send(event("unsubscribe"))
    assert chat.state is None and r.reply == ""


def test_template_results_and_location_events_change_nothing() -> None:
    chat = drive_to(Stage.ASK_WHEN)
    stored = chat.state
    chat.wait(minutes=5)
    for name in ("TEMPLATESENDJOBFINISH", "LOCATION", "VIEW"):
        r = chat.send(event(name, at=chat.now))
        assert r.reply == "" and r.outcome == "ignored"
        assert chat.state == stored


def test_append_in_a_draft_with_the_supplement_word() -> None:
    chat = drive_to(Stage.REVIEW)
    r = chat.send(text("补充：窗口的人还收了我200块钱"))
    assert chat.stage is Stage.REVIEW and "补充到事情经过" in r.reply
    assert chat.state.slots.text.endswith("窗口的人还收了我200块钱")  # type: ignore[union-attr]


def test_the_compact_form_keeps_exactly_the_letters_and_digits() -> None:
    import json
    import unicodedata

    from handlers.dialog import intents
    from nlp.builtin import DATA_DIR

    lines = (DATA_DIR / "authored.jsonl").read_text(encoding="utf-8").splitlines()
    samples = [json.loads(line)["text"] for line in lines if line.strip()]
    samples += ["算了，不反映了！", "確認😀", "ＯＫ\u3000好的", "①②号", "İstanbul", "\u0300a"]
    for sample in samples:
        expected = "".join(ch for ch in intents.simplified(sample).lower() if unicodedata.category(ch)[0] in "LN")
        assert intents._compact(sample) == expected, sample
