"""民意调查 in the chat: a citizen invited by message replies 开始 and answers the questions one by one, unit by unit.

A scale5 question takes a digit 1–5 or one of the five words (非常满意 … 非常不满意); a choice its option's number; a
text question any words, or 跳过. 停止 ends it at any question (what was answered about the unit in progress is
dropped) and 不参加 declines the invitation: either way the survey is never brought up again. The replies never
repeat an answer (they are stored with the citizen's push). Each finished unit is a `SurveyAnswer` for `bot/` to
store apart from the citizen's identity. Pure.
"""

from __future__ import annotations

import dataclasses

from handlers.dialog.matchers import cancel
from handlers.dialog.turn import Turn
from handlers.dialog.turn import end
from handlers.dialog.turn import go
from handlers.dialog.types import DialogResult
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.dialog.types import SurveyAnswer
from handlers.dialog.types import SurveyStop
from handlers.surveys import STOP_HINT
from handlers.surveys import AnswerError
from handlers.surveys import SurveyInvite
from handlers.surveys import ask
from handlers.surveys import compact
from handlers.surveys import questions_from
from handlers.surveys import read_answer

START_WORDS = frozenset({"开始", "参加", "参与", "开始答题", "开始作答", "开始填写", "参加调查", "参加评议", "参与调查",
                         "好的", "可以", "愿意", "我愿意", "开始吧"})  # fmt: skip
DECLINE_WORDS = frozenset({"不参加", "不参与", "不用了", "不了", "算了", "不愿意", "没空", "不要", "拒绝", "不想参加",
                           "免了", "不需要"})  # fmt: skip
STOP_WORDS = frozenset({"停止", "停", "不答了", "结束", "退出", "取消", "不想答了", "不参加", "算了", "不填了", "不做了",
                        "不想填了", "结束问卷", "停止答题"})  # fmt: skip


# Only these (not a mere 好的) tell a citizen who already answered that their answer was received.
EXPLICIT_START = frozenset(
    {"开始", "参加", "参与", "开始答题", "开始作答", "开始填写", "参加调查", "参加评议", "参与调查"}
)


_LONGEST_WORD = 12  # a longer message is no 开始 / 停止: not looked at further (every first message passes here)


def _invite(turn: Turn, words: frozenset[str]) -> SurveyInvite | None:
    text = turn.text
    if turn.is_event or text is None or len(text) > _LONGEST_WORD or compact(text) not in words:
        return None
    lookup = turn.env.survey_invite
    invite = lookup() if lookup is not None else None
    return invite if isinstance(invite, SurveyInvite) else None


def start(turn: Turn) -> SurveyInvite | None:
    invite = _invite(turn, START_WORDS)
    if invite is not None and not invite.units and compact(turn.text or "") not in EXPLICIT_START:
        return None
    return invite


def decline(turn: Turn) -> SurveyInvite | None:
    invite = _invite(turn, DECLINE_WORDS)
    return invite if invite is not None and invite.units else None


def _asking(turn: Turn, slots: Slots) -> str:
    """The current question about the current unit."""
    questions = questions_from(slots.survey_questions)
    k = len(slots.survey_answers)
    return ask(questions[k], k + 1, len(questions))


def on_start(turn: Turn, invite: SurveyInvite) -> DialogResult:
    if not invite.units:
        return end(turn, f"您已参加过“{invite.title}”，回答已经收到，每人每个单位只需回答一次。谢谢您！")
    slots = Slots(survey_id=invite.survey_id, survey_title=invite.title,
                  survey_questions=[q.model_dump(exclude_none=True, mode="json") for q in invite.questions],
                  survey_units=list(invite.units))  # fmt: skip
    unit = turn.city.unit_name(invite.units[0])
    more = f"（共{len(invite.units)}个单位，逐个评价）" if len(invite.units) > 1 else ""
    reply = (f"感谢您参加“{invite.title}”！问卷匿名，您的回答与身份分开保存。{STOP_HINT}\n"
             f"请评价：{unit}{more}\n{_asking(turn, slots)}")  # fmt: skip
    return go(turn, Stage.SURVEY, slots, reply)


def on_decline(turn: Turn, invite: SurveyInvite) -> DialogResult:
    reply = "好的，不打扰您了，本次调查不会再向您提起。有需要随时找我。"
    return end(turn, reply, survey_stop=SurveyStop(invite.survey_id, invite.units))


# -- inside the survey ------------------------------------------------------------------------------------------


def stop(turn: Turn) -> bool:
    if turn.is_event or turn.text is None:
        return False
    return (len(turn.text) <= _LONGEST_WORD and compact(turn.text) in STOP_WORDS) or cancel(turn)


def on_stop(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    assert slots.survey_id is not None
    reply = "好的，问卷已结束，未答完的部分不会保存，本次调查也不会再打扰您。谢谢！"
    return end(turn, reply, survey_stop=SurveyStop(slots.survey_id, tuple(slots.survey_units)))


def answer(turn: Turn) -> tuple[object] | None:
    """The answer to the current question, wrapped (a skipped text question is `(None,)`); None if it does not fit."""
    if turn.is_event or turn.text is None:
        return None
    slots = turn.state.slots if turn.state else Slots()
    questions = questions_from(slots.survey_questions)
    k = len(slots.survey_answers)
    if not slots.survey_units or k >= len(questions):
        return None
    try:
        return (read_answer(questions[k], turn.text),)
    except AnswerError:
        return None


def on_answer(turn: Turn, found: tuple[object]) -> DialogResult:
    slots = turn.slots()
    assert slots.survey_id is not None
    slots.survey_answers.append(found[0])
    if len(slots.survey_answers) < len(slots.survey_questions):
        return go(turn, Stage.SURVEY, slots, f"已记录。\n{_asking(turn, slots)}")
    unit, *rest = slots.survey_units
    done = SurveyAnswer(slots.survey_id, unit, tuple(slots.survey_answers))
    if rest:
        slots.survey_units, slots.survey_answers = rest, []
        reply = (f"已收到您对{turn.city.unit_name(unit)}的评价，谢谢！\n"
                 f"接下来请评价：{turn.city.unit_name(rest[0])}\n{_asking(turn, slots)}")  # fmt: skip
        return go(turn, Stage.SURVEY, slots, reply, survey_answer=done)
    reply = "问卷已提交，感谢您的参与！您的回答与身份分开保存，被评议单位看不到您是谁。"
    return end(turn, reply, survey_answer=done)


def on_nudge(turn: Turn, _: object) -> DialogResult:
    """Something that does not answer the current question: say what would, and ask it again."""
    slots = turn.slots()
    questions = questions_from(slots.survey_questions)
    hint = "请回复文字作答。"
    if turn.text is not None:
        try:
            read_answer(questions[len(slots.survey_answers)], turn.text)
        except AnswerError as exc:
            hint = str(exc)
    return go(turn, Stage.SURVEY, slots, f"{hint}\n{_asking(turn, slots)}\n{STOP_HINT}")


def on_leave(turn: Turn, _: object) -> DialogResult:
    """A menu click or a QR scan in the middle: the survey pauses (开始 starts the unit again), the event is taken."""
    from handlers.dialog.listen import fresh

    result = fresh(turn)
    note = "（问卷已暂停，回复“开始”可重新作答。）"
    return dataclasses.replace(result, reply=f"{note}\n{result.reply}" if result.reply else note)
