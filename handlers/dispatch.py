"""The first decision for every push: which conversation or command it belongs to, and what to answer.

Order: subscription events → binding codes → a bound supervisor's commands → a citizen's rating or answer to a
supervisor's question → the citizen dialog. `dispatch` is pure: it reads only the message and the context and
returns a `Step`; `bot.service.intake` applies the effects inside the webhook's one transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from handlers import accountability as acc
from handlers import binding
from handlers import supervisor as sup_cmd
from handlers.binding import BindCheck
from handlers.cases_view import CaseSummary
from handlers.config import CityConfig
from handlers.dialog import handle as dialog_handle
from handlers.dialog.intents import parse_scene
from handlers.dialog.types import CaseDraft
from handlers.dialog.types import DialogEnv
from handlers.dialog.types import DialogState
from handlers.dialog.types import Feedback
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.dialog.types import Supplement
from handlers.dialog.types import SurveyAnswer
from handlers.dialog.types import SurveyStop
from handlers.dialog.types import WindowRating
from handlers.followup import RATING_NUDGE
from handlers.followup import Followup
from handlers.followup import Rating
from handlers.followup import parse_rating
from handlers.lifecycle import RATING_STATES
from handlers.lifecycle import STATES
from handlers.lifecycle import can
from handlers.messages import InboundMessage
from handlers.texts import say

# -- effects ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetSubscribed:
    subscribed: bool


@dataclass(frozen=True, slots=True)
class SaveDialog:
    state: DialogState | None  # None clears the draft


@dataclass(frozen=True, slots=True)
class SubmitCase:
    draft: CaseDraft
    placeholder: str = "{case_number}"  # where the reply takes this case's number


@dataclass(frozen=True, slots=True)
class AppendSupplement:
    supplement: Supplement


@dataclass(frozen=True, slots=True)
class RateWindow:
    """A 好差评 rating of a window; with a reason (a 差评), it opens a review case; the reply may hold its number."""

    rating: WindowRating


@dataclass(frozen=True, slots=True)
class RecordScan:
    """A window or rating QR code scanned: the citizen dealt with this unit (a 民意调查's audience)."""

    unit: str
    window: str | None


@dataclass(frozen=True, slots=True)
class AnswerSurvey:
    """A citizen's answers about one unit of a survey: stored apart from who they are, once."""

    answer: SurveyAnswer


@dataclass(frozen=True, slots=True)
class StopSurvey:
    """不参加 / 停止: the invitations are declined."""

    stop: SurveyStop


@dataclass(frozen=True, slots=True)
class RecordFeedback:
    """A praise or a suggestion to record as a case of that kind (never a complaint)."""

    feedback: Feedback


@dataclass(frozen=True, slots=True)
class BindSupervisor:
    supervisor_id: str


@dataclass(frozen=True, slots=True)
class RequestRebind:
    """A valid code for a supervisor bound to another WeChat: wait for the office, warn the old binding."""

    supervisor_id: str


@dataclass(frozen=True, slots=True)
class BindFailed:
    """A wrong code: count it against the sender and against every code still waiting."""


@dataclass(frozen=True, slots=True)
class CaseAction:
    number: str
    action: str
    text: str | None = None
    days: int | None = None


@dataclass(frozen=True, slots=True)
class RecordOutcome:
    """A handler's 查实 (an acc.FindingInput) or 问责 (a tuple of acc.MeasureInput) on one of their cases."""

    number: str
    record: object


@dataclass(frozen=True, slots=True)
class AppealRating:
    """A handler's 误评 appeal of the 差评 behind one of their review cases; `bot` answers with the outcome."""

    number: str
    reason: str


@dataclass(frozen=True, slots=True)
class RateCase:
    number: str
    rating: Rating


@dataclass(frozen=True, slots=True)
class CitizenAnswer:
    number: str
    text: str


@dataclass(frozen=True, slots=True)
class TemplateStatus:
    msg_id: str
    status: str


@dataclass(frozen=True, slots=True)
class Step:
    """What to answer (None = plain `success`), how the push counts in the ledger, and what to change.

    `reply` may contain `{case_number}` when a SubmitCase effect is present; bot fills it in.
    """

    reply: str | None
    outcome: str = "handled"  # handled | ignored | unsupported
    effects: tuple[object, ...] = ()


class Context(Protocol):
    """What dispatch may read; `bot.service.intake` implements it over the database, tests with plain objects."""

    @property
    def now(self) -> datetime: ...

    @property
    def city(self) -> CityConfig: ...

    def supervisor_id(self) -> str | None: ...

    def bind_check(self, code: str) -> BindCheck: ...

    def bind_locked(self) -> bool: ...

    def supervisor_case(self, number: str) -> CaseSummary | None: ...

    def supervisor_todo(self) -> Sequence[CaseSummary]: ...

    def followup(self) -> Followup | None: ...

    def dialog_state(self) -> DialogState | None: ...

    def dialog_env(self) -> DialogEnv: ...


# Events that only tell us something happened; WeChat expects a fast `success`.
_SILENT_EVENTS = frozenset({"location", "view", "view_miniprogram", "masssendjobfinish", "unsubscribe"})
_KNOWN_MESSAGES = frozenset({"text", "voice", "image", "video", "shortvideo", "location", "link"})


def _bind(code: str, ctx: Context) -> Step:
    if ctx.bind_locked():
        return Step(binding.LOCKED)  # locked senders are not even told whether the code was right
    check = ctx.bind_check(code)
    if check.outcome == "invalid" or check.supervisor_id is None:
        return Step(binding.INVALID, effects=(BindFailed(),))
    target = check.supervisor_id
    name = next((s.name for s in ctx.city.supervisors if s.id == target), target)
    if check.outcome == "pending":
        return Step(binding.PENDING, effects=(RequestRebind(target),))
    if check.outcome == "same":
        return Step(f"您已绑定为：{name}。\n\n{sup_cmd.HELP}", effects=(BindSupervisor(target),))
    return Step(f"绑定成功：{name}。\n\n{sup_cmd.HELP}", effects=(BindSupervisor(target),))


def dispatch(msg: InboundMessage, ctx: Context) -> Step:
    texts = ctx.city.texts
    effects: list[object] = []
    if msg.msg_type == "event":
        if msg.event == "templatesendjobfinish":
            status = TemplateStatus(msg.extra.get("MsgID", ""), msg.extra.get("Status", ""))
            return Step(None, outcome="ignored", effects=(status,))
        if msg.event == "unsubscribe":
            return Step(None, effects=(SetSubscribed(False), SaveDialog(None)))
        if msg.event in _SILENT_EVENTS:
            return Step(None, outcome="ignored")
        if msg.event == "subscribe":
            effects.append(SetSubscribed(True))
        if msg.event in ("subscribe", "scan"):
            scanned = parse_scene(msg.event_key, ctx.city) or parse_scene(msg.event_key, ctx.city, key="rate")
            if scanned is not None:
                effects.append(RecordScan(*scanned))
    elif msg.msg_type not in _KNOWN_MESSAGES:
        return Step(texts.unsupported, outcome="unsupported")

    text = (msg.text or "").strip()
    if text:
        code = binding.parse_bind(text)
        if code is not None:
            return _bind(code, ctx)

    supervisor = ctx.supervisor_id()
    if supervisor is not None and msg.msg_type != "event":
        return _supervisor(text, ctx, supervisor)

    state = ctx.dialog_state()
    in_survey = state is not None and state.stage is Stage.SURVEY  # a 满意 there answers the survey, not a case
    if text and msg.msg_type in ("text", "voice") and not in_survey:
        follow = ctx.followup()
        if follow is not None and follow.kind == "rating":
            rating = parse_rating(text)
            if rating is not None:
                if rating.satisfied:
                    return Step(f"感谢您的评价！（工单 {follow.number}：{rating.label}）",
                                effects=(RateCase(follow.number, rating),))  # fmt: skip
                # Not satisfied: the case is redone, and what was wrong goes with it (the next message).
                asking = DialogState(Stage.RATING_REASON, Slots(supplement_case=follow.number), ctx.now, ctx.now)
                reply = say(ctx.city, "rating_reason_ask", number=follow.number)
                return Step(f"{reply}（{rating.label}）", effects=(RateCase(follow.number, rating), SaveDialog(asking)))
            if state is None and len(text) <= 8 and any(w in text.upper() for w in ("满意", "解决", "1", "2", "3")):
                return Step(RATING_NUDGE)
        if follow is not None and follow.kind == "question" and state is None:
            return Step(
                f"您的回复已转给督办人员（工单 {follow.number}），谢谢您的配合！",
                effects=(CitizenAnswer(follow.number, text),),
            )

    result = dialog_handle(ctx.dialog_state(), msg, ctx.dialog_env())
    effects.append(SaveDialog(result.state))
    if result.submit is not None:
        effects.append(SubmitCase(result.submit))
    if result.also_submit is not None:
        effects.append(SubmitCase(result.also_submit, placeholder="{second_case_number}"))
    if result.feedback is not None:
        effects.append(RecordFeedback(result.feedback))
    if result.window_rating is not None:
        effects.append(RateWindow(result.window_rating))
    if result.survey_answer is not None:
        effects.append(AnswerSurvey(result.survey_answer))
    if result.survey_stop is not None:
        effects.append(StopSurvey(result.survey_stop))
    effects.extend(AppendSupplement(s) for s in result.supplements)
    return Step(result.reply or None, outcome=result.outcome, effects=tuple(effects))


def _supervisor(text: str, ctx: Context, supervisor: str) -> Step:
    if not text:
        return Step(sup_cmd.HELP)
    cmd = sup_cmd.parse(text)
    if cmd.name == "todo":
        cases = ctx.supervisor_todo()
        if not cases:
            return Step("您目前没有待办工单。")
        lines = [f"您有 {len(cases)} 件待办工单："]
        for i, c in enumerate(cases[:15], start=1):
            due = f"，{c.due_at.astimezone(_tz(ctx)).strftime('%m-%d')}前答复" if c.due_at else ""
            lines.append(f"{i}. {c.number} {STATES.get(c.state, c.state)} {ctx.city.unit_name(c.unit)}{due}")
        lines.append("可以用序号代替工单号，例如“签收 1”。")
        return Step("\n".join(lines))
    if cmd.name in ("finding", "accountability"):
        return _record(cmd, ctx)
    if cmd.name == "appeal":
        return _appeal(cmd, ctx)
    if cmd.name != "action":
        return Step(sup_cmd.HELP)
    if cmd.error:
        return Step(cmd.error)
    assert cmd.number is not None and cmd.action is not None
    if cmd.number.startswith(sup_cmd.LISTED):
        todo = list(ctx.supervisor_todo())[:15]
        n = int(cmd.number[1:])
        if not 1 <= n <= len(todo):
            return Step(f"待办列表里没有第 {n} 件。发送“待办”查看您的工单。")
        cmd = dataclasses.replace(cmd, number=todo[n - 1].number)
    case = ctx.supervisor_case(cmd.number)
    if case is None:
        # Same answer whether the case does not exist or is someone else's.
        return Step(f"未找到您负责的工单 {cmd.number}。发送“待办”查看您的工单。")
    action = cmd.action
    if action == "close" and case.state in RATING_STATES:
        # The citizen's rating closes the case (or the end of the rating period): before that, only the office can.
        if not cmd.text:
            return Step(f"工单 {cmd.number} 正等待市民评价：市民评价后自动办结。确需提前办结的，请写明理由，"
                        f"例如：办结 {cmd.number} 市民已电话确认满意。提前办结须经治庸办批准。")  # fmt: skip
        action = "request_close_early"
    if not can(case.state, action):
        return Step(f"工单 {cmd.number} 当前状态为“{STATES.get(case.state, case.state)}”，不能执行该操作。")
    done = {
        "sign": "已签收",
        "reply": "答复已发送给市民，并已邀请其评价",
        "ask": "问题已转给市民，回复后会通知您",
        "return": "已退单，工单将重新分拣",
        "request_extension": f"延期 {cmd.days} 个工作日的申请已提交治庸办审批，批复后会通知您",
        "request_close_early": "提前办结申请已提交治庸办审批，批复后会通知您",
    }[action]
    return Step(f"工单 {cmd.number}：{done}。", effects=(CaseAction(cmd.number, action, cmd.text, cmd.days),))


def _record(cmd: sup_cmd.Command, ctx: Context) -> Step:
    if cmd.error or cmd.number is None or cmd.record is None:
        return Step(cmd.error or sup_cmd.HELP)
    case = ctx.supervisor_case(cmd.number)
    if case is None:
        return Step(f"未找到您负责的工单 {cmd.number}。发送“待办”查看您的工单。")
    w = acc.words(case.kind)
    if not acc.may_record(case.state):
        return Step(
            f"工单 {cmd.number} 当前状态为“{STATES.get(case.state, case.state)}”，签收后至办结前才能记录{w.pair}情况。"
        )
    if isinstance(cmd.record, acc.FindingInput):
        done = f"{w.finding}已记录（{acc.VERDICTS[cmd.record.verdict]}）"
    else:
        done = "问责处理已记录：" + "；".join(acc.describe(m.measure, m.post) for m in cmd.record)  # type: ignore[union-attr]
    return Step(f"工单 {cmd.number}：{done}，待治庸办确认。", effects=(RecordOutcome(cmd.number, cmd.record),))


def _appeal(cmd: sup_cmd.Command, ctx: Context) -> Step:
    if cmd.error or cmd.number is None or not cmd.text:
        return Step(cmd.error or sup_cmd.HELP)
    case = ctx.supervisor_case(cmd.number)
    if case is None:
        return Step(f"未找到您负责的工单 {cmd.number}。发送“待办”查看您的工单。")
    if case.kind != "review":
        return Step(f"工单 {cmd.number} 不是窗口差评形成的整改工单，不能申诉误评。")
    return Step(None, effects=(AppealRating(cmd.number, cmd.text),))


def _tz(ctx: Context) -> ZoneInfo:
    return ctx.city.tz
