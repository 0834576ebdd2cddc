"""民意调查 / 民主评议, the pure half: the YAML the office writes (a mistake names the file and the key), reading an
answer, summing answers up, and the chat that asks the questions one by one."""

from __future__ import annotations

from datetime import date

import pytest

from handlers.dialog.types import Stage
from handlers.survey_results import assessment_text
from handlers.survey_results import summarise
from handlers.surveys import AnswerError
from handlers.surveys import Question
from handlers.surveys import SurveyError
from handlers.surveys import parse_survey
from handlers.surveys import read_answer
from tests.builders import Chat
from tests.builders import city
from tests.builders import survey_invite

GOOD = """
title: 窗口单位民主评议
units: [zwfw, bdc]            # or all
audience: {dealt_with_days: 90}
opens: 2026-12-07
closes: 2026-12-21
questions:
  - {text: 您对该单位工作人员的服务态度是否满意？, kind: scale5}
  - {text: 您办理的业务是？, kind: choice, options: [登记, 查询, 其他]}
  - {text: 您还有什么意见建议？, kind: text}
"""


def test_the_issues_yaml_is_a_survey() -> None:
    checked = parse_survey(GOOD, source="s.yaml", city=city())
    assert checked.units == ("zwfw", "bdc") and checked.kind == "citizen"
    assert (checked.spec.opens, checked.spec.closes) == (date(2026, 12, 7), date(2026, 12, 21))
    assert [q.kind for q in checked.spec.questions] == ["scale5", "choice", "text"]
    every = parse_survey(GOOD.replace("[zwfw, bdc]", "all"), source="s.yaml", city=city())
    assert every.units == tuple(u.code for u in city().units)


def test_a_democratic_assessment_rates_the_units_whose_staff_answer() -> None:
    staff = parse_survey(GOOD.replace("{dealt_with_days: 90}", "{staff_of: [bdc]}"), source="m.yaml", city=city())
    assert staff.kind == "staff" and staff.units == ("bdc",)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("kind: choice", "kind: rating", "s.yaml: questions.1.kind: Input should be 'scale5', 'text' or 'choice'"),
        ("[zwfw, bdc]", "[zwfw, nowhere]", "s.yaml: units.1: 'nowhere' is not a unit in config.yaml"),
        ("closes: 2026-12-21", "closes: 2026-12-01", "s.yaml: (top level): Value error, closes must not be before"),
        ("{dealt_with_days: 90}", "{dealt_with_days: 90, staff_of: [bdc]}", "s.yaml: audience: Value error, give "
         "exactly one of dealt_with_days or staff_of"),
        ("{dealt_with_days: 90}", "{dealt_with_days: 900}", "s.yaml: audience.dealt_with_days: Input should be less"),
        ("{dealt_with_days: 90}", "{staff_of: [gaj]}", "s.yaml: audience.staff_of.0: 'gaj' is not one of the "
         "survey's units"),
        (", options: [登记, 查询, 其他]", "", "s.yaml: questions.1: Value error, a choice question needs 2 to 9"),
        ("kind: scale5}", "kind: scale5, options: [a, b]}", "s.yaml: questions.0: Value error, options are only"),
        ("title: 窗口单位民主评议", "titel: 窗口单位民主评议", "s.yaml: title: Field required"),
        ("opens: 2026-12-07", "opens: 2026-13-07", "s.yaml: opens: Input should be a valid date"),
        ("title: 窗口单位民主评议", "title: [窗口单位民主评议", "s.yaml: YAML (line 3): expected ',' or ']'"),
    ],
)  # fmt: skip
def test_a_bad_survey_names_the_file_and_the_key(old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(SurveyError) as info:
        parse_survey(GOOD.replace(old, new), source="s.yaml", city=city())
    assert str(info.value).startswith(message), str(info.value)


def test_a_list_is_not_a_survey() -> None:
    with pytest.raises(SurveyError, match=r"^x.yaml: \(top level\)"):
        parse_survey("- a\n- b\n", source="x.yaml", city=city())


def test_answers_are_read_as_the_rating_qr_reads_them() -> None:
    scale = Question(text="满意吗？", kind="scale5")
    assert [read_answer(scale, s) for s in ("5", "１", "四", "打3分", "非常满意", "不满意", "非常不满意。")] == [
        5, 1, 4, 3, 5, 2, 1]  # fmt: skip
    with pytest.raises(AnswerError, match="1–5"):
        read_answer(scale, "6")
    choice = Question(text="业务？", kind="choice", options=("登记", "查询"))
    assert (read_answer(choice, "2"), read_answer(choice, "登记")) == (1, 0)
    with pytest.raises(AnswerError, match="1–2"):
        read_answer(choice, "3")
    text = Question(text="建议？", kind="text")
    assert read_answer(text, "跳过") is None and read_answer(text, "  多开窗口 ") == "多开窗口"
    assert len(read_answer(text, "字" * 900)) == 500  # type: ignore[arg-type]


def test_results_count_levels_and_options_average_and_mask_texts() -> None:
    questions = parse_survey(GOOD, source="s.yaml", city=city()).spec.questions
    responses = [("bdc", [5, 0, "很好"]), ("bdc", [4, 1, None]), ("bdc", [1, 1, "电话13912345678没人接"]),
                 ("zwfw", [3, 2, None]), ("gaj", [5, 0, None])]  # fmt: skip
    bdc, zwfw = summarise(questions, ["bdc", "zwfw"], responses)
    assert (bdc.unit, bdc.respondents, zwfw.respondents) == ("bdc", 3, 1)
    scale, choice, text = bdc.questions
    assert scale.counts == {"5": 1, "4": 1, "3": 0, "2": 0, "1": 1} and scale.mean == 3.33 and scale.answered == 3
    assert choice.counts == {"登记": 1, "查询": 2, "其他": 0}
    assert text.answered == 2 and text.texts == ["很好", "电话139****5678没人接"]
    assert bdc.score == pytest.approx((100 + 75 + 0) / 3, abs=0.01) and zwfw.score == 50.0
    assert "texts" not in text.as_dict() and text.as_dict(with_texts=True)["texts"][1].startswith("电话139****")
    assert assessment_text(bdc) == "满意 67%，基本满意 0%，不满意 33%，得分 58.3（有效票 3 张）"


# -- the chat -----------------------------------------------------------------------------------------------------


def test_a_citizen_answers_in_the_chat_one_question_after_another() -> None:
    chat = Chat(survey=survey_invite())
    r = chat.say("开始")
    assert chat.stage is Stage.SURVEY and "请评价：市不动产登记中心" in r.reply and "第1题（共3题）" in r.reply
    r = chat.say("很好吧")  # not a level: asked again, nothing recorded
    assert chat.stage is Stage.SURVEY and "1–5" in r.reply and "第1题" in r.reply and r.survey_answer is None
    r = chat.say("满意")
    assert "第2题" in r.reply and "满意" not in r.reply.split("第2题")[0]  # the answer is never repeated back
    r = chat.say("2")
    assert "第3题" in r.reply and "跳过" in r.reply
    r = chat.say("跳过")
    assert chat.state is None and "问卷已提交" in r.reply
    assert r.survey_answer is not None and (r.survey_answer.survey_id, r.survey_answer.unit) == (7, "bdc")
    assert r.survey_answer.answers == (4, 1, None)


def test_two_units_are_answered_one_after_the_other() -> None:
    chat = Chat(survey=survey_invite(("zwfw", "bdc")))
    chat.say("参加")
    for word in ("5", "1"):
        chat.say(word)
    r = chat.say("窗口少，排队久")
    assert r.survey_answer is not None and r.survey_answer.unit == "zwfw"
    assert chat.stage is Stage.SURVEY and "接下来请评价：市不动产登记中心" in r.reply
    for word in ("非常不满意", "3"):
        chat.say(word)
    r = chat.say("没有")
    assert chat.state is None and r.survey_answer.answers == (1, 2, None)  # type: ignore[union-attr]


@pytest.mark.parametrize("word", ["停止", "取消", "不答了"])
def test_the_citizen_can_stop_and_is_not_asked_again(word: str) -> None:
    chat = Chat(survey=survey_invite(("zwfw", "bdc")))
    chat.say("开始")
    chat.say("4")
    r = chat.say(word)
    assert chat.state is None and r.survey_answer is None
    assert r.survey_stop is not None and r.survey_stop.units == ("zwfw", "bdc") and "不会再打扰" in r.reply


def test_declining_the_invitation() -> None:
    chat = Chat(survey=survey_invite())
    r = chat.say("不参加")
    assert chat.state is None and r.survey_stop is not None and r.survey_stop.survey_id == 7


def test_without_an_invitation_the_words_mean_what_they_always_did() -> None:
    chat = Chat()
    assert chat.say("开始").survey_answer is None and chat.stage is not Stage.SURVEY


def test_an_answered_survey_is_acknowledged_not_restarted() -> None:
    chat = Chat(survey=survey_invite(units=()))
    r = chat.say("开始")
    assert chat.state is None and "回答已经收到" in r.reply
    assert "回答已经收到" not in chat.say("好的").reply  # a mere 好的 is not about the survey


def test_a_menu_click_pauses_the_survey() -> None:
    from tests.builders import click

    chat = Chat(survey=survey_invite())
    chat.say("开始")
    r = chat.send(click("HELP"))
    assert chat.stage is not Stage.SURVEY and r.reply.startswith("（问卷已暂停")
