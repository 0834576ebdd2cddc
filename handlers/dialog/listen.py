"""Listening before filing: what a first message wants, fear of retaliation, praise and suggestions recorded,
questions answered, 取消 that can be undone, and list numbers that stand for cases.

Matchers and callbacks like the rest of the dialog (which runs when is declared in `handlers.dialog.states`);
`fear_split` is applied by `handlers.dialog.handle` before any of them, in every state. Pure.
"""

from __future__ import annotations

import re

from handlers.cases_view import render_case_list
from handlers.cases_view import render_status
from handlers.dialog.entry import start_draft
from handlers.dialog.intents import find_window
from handlers.dialog.intents import looks_like_complaint
from handlers.dialog.intents import parse_choice
from handlers.dialog.intents import resolve_unit
from handlers.dialog.intents import simplified
from handlers.dialog.turn import Turn
from handlers.dialog.turn import end
from handlers.dialog.turn import go
from handlers.dialog.turn import keep
from handlers.dialog.types import DialogResult
from handlers.dialog.types import Feedback
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.dialog.types import Supplement
from handlers.faq import consult_answer
from handlers.texts import say
from nlp.types import Classification

# -- fear of retaliation ----------------------------------------------------------------------------------

_FEAR = re.compile(
    r"报复|打击报复|穿小鞋|秋后算账|被整|找我麻烦|找麻烦|给我小鞋|怕.{0,8}(知道|发现|查到|认出|晓得)|"
    r"(会不会|会|怕).{0,6}(泄露|暴露|知道是我)|不敢(反映|举报|投诉|说)|担心.{0,8}(知道|报复|泄露)"
)
_SENTENCE = re.compile(r"[^。！？!?\n；;]+[。！？!?\n；;]*")


def fear_split(text: str | None) -> tuple[bool, str]:
    """(whether the message voices fear of being found out or punished, what remains without those sentences)."""
    if not text or not _FEAR.search(text):
        return False, text or ""
    kept = [s for s in _SENTENCE.findall(text) if not _FEAR.search(s)]
    remainder = "".join(kept).strip(" ，,。")
    return True, remainder


# -- what a first message wants ---------------------------------------------------------------------------

# Asking about one's own earlier report, whatever the model thinks: the words are unmistakable.
_QUERY = re.compile(
    r"(我|俺)?(上次|之前|前几天|前段时间|上回|以前)?(反映|投诉|举报|提交)的(那个|那件|那|的)?(事|情况|问题|工单|件)?"
    r".{0,6}(怎么样|怎样|如何|有结果|有没有结果|有进展|进展|进度|处理了吗|办了没|有人管|结果)"
)
_FALLBACK_INTENT = "complaint"


def _threshold(turn: Turn) -> float:
    return turn.city.nlp.intent_threshold


def first_intent(turn: Turn) -> tuple[str, Classification] | None:
    """For a first text (or voice) message: ("praise" | "suggestion" | "consult" | "query" | "chitchat" | "abuse"
    | "ask", classification) when it is not a report, None when it is one (the report flow takes it)."""
    if turn.text is None or turn.is_event:
        return None
    c = turn.classify(turn.text)
    if _QUERY.search(turn.norm or ""):
        return "query", c
    intent = c.intent or _FALLBACK_INTENT
    if c.intent_confidence < _threshold(turn):
        # Unsure: a message that clearly tells of an incident is still a report; otherwise ask.
        return None if looks_like_complaint(turn.text, c) and intent == "complaint" else ("ask", c)
    return None if intent == "complaint" else (intent, c)


def on_intent(turn: Turn, found: tuple[str, Classification]) -> DialogResult:
    kind, c = found
    if kind == "ask":
        slots = Slots(pending_text=turn.text)
        return go(turn, Stage.ASK_INTENT, slots, say(turn.city, "ask_intent"))
    return _answer(turn, kind, turn.text or "", c)


def _answer(turn: Turn, kind: str, text: str, c: Classification) -> DialogResult:
    city = turn.city
    if kind == "complaint":
        return start_draft(Turn(None, turn.msg, turn.env, stored=turn.stored), Slots(), text=text)
    if kind == "praise":
        return _praise(turn, text, c)
    if kind == "suggestion":
        unit = c.unit if c.unit_explicit else None
        return end(turn, say(city, "suggestion_thanks"), feedback=Feedback("suggestion", text, unit=unit))
    if kind == "consult":
        unit = c.unit or resolve_unit(text, city)
        return end(turn, consult_answer(city, unit, text), handler="on_consult")
    if kind == "query":
        cases = turn.env.my_cases
        if len(cases) == 1:
            return end(turn, render_status(cases[0], city, turn.env.now))
        return _list(turn)
    if kind == "abuse":
        return end(turn, say(city, "abuse_reply"))
    return end(turn, f"{say(city, 'chitchat', account=city.city.account_name)}\n{city.texts.menu}")


def scanned_first_words(turn: Turn) -> tuple[str, Classification] | None:
    """The first words after a window QR scan (a draft with the unit and no story yet) when they are not a report:
    "很好，办得很快，点个赞" praises that window, it opens no case against it."""
    state = turn.state
    if state is None or state.stage is not Stage.COLLECT_TEXT or state.slots.text.strip() or not state.slots.unit:
        return None
    found = first_intent(turn)
    return None if found is None or found[0] == "ask" else found


def on_scanned_first_words(turn: Turn, found: tuple[str, Classification]) -> DialogResult:
    from handlers.dialog.flow import ask_again

    kind, c = found
    slots = turn.slots()
    text = turn.text or ""
    if kind == "praise":
        window = slots.window or find_window(simplified(text))
        return _record_praise(turn, text, slots.unit, window, find_person(text))
    if kind in ("chitchat", "abuse"):  # the scan still stands: one line, then the question again
        line = say(turn.city, "abuse_reply" if kind == "abuse" else "chitchat", account=turn.city.city.account_name)
        return ask_again(turn, slots, Stage.COLLECT_TEXT, line)
    if kind == "suggestion":
        return end(turn, say(turn.city, "suggestion_thanks"), feedback=Feedback("suggestion", text, unit=slots.unit))
    if kind == "consult":
        return end(turn, consult_answer(turn.city, slots.unit, text), handler="on_consult")
    return _answer(turn, kind, text, c)


def on_intent_choice(turn: Turn, choice: int) -> DialogResult:
    slots = turn.slots()
    text = slots.pending_text or ""
    kind = {1: "complaint", 2: "praise", 3: "suggestion", 4: "consult"}[choice]
    return _answer(Turn(None, turn.msg, turn.env, stored=turn.stored), kind, text, turn.classify(text))


def intent_choice(turn: Turn) -> int | None:
    return parse_choice(turn.key, 4)


# -- praise -----------------------------------------------------------------------------------------------

_PERSON = re.compile(
    r"(?:工号|编号)\s*[:：]?\s*\d{1,8}|[小老][\u4e00-\u9fff](?=[\u4e00-\u9fff]{0,2}(?:同志|师傅|姐|哥)?)"
    r"|[\u4e00-\u9fff]{1,2}(?:同志|师傅|警官|医生|护士|老师|大姐|阿姨|小姐姐|主任|科长|所长)"
)


def find_person(text: str) -> str | None:
    """The person a praise names, as written (小王, 李警官, 工号1234), or None."""
    m = _PERSON.search(text)
    return m.group(0).strip() if m else None


def _praise_target(turn: Turn, text: str, c: Classification) -> tuple[str | None, str | None, str | None]:
    norm = simplified(text)
    unit = c.unit if c.unit_explicit or (c.unit and c.unit_confidence >= turn.city.nlp.unit_threshold) else None
    return unit or resolve_unit(norm, turn.city), find_window(norm), find_person(text)


def _praise(turn: Turn, text: str, c: Classification) -> DialogResult:
    unit, window, person = _praise_target(turn, text, c)
    if unit is None and window is None and person is None:
        return go(turn, Stage.PRAISE_TARGET, Slots(pending_text=text), say(turn.city, "praise_ask_target"))
    return _record_praise(turn, text, unit, window, person)


def _record_praise(turn: Turn, text: str, unit: str | None, window: str | None, person: str | None) -> DialogResult:
    city = turn.city
    target = city.unit_name(unit) if unit else say(city, "praise_target_unknown")
    target += f"{window}号窗口" if window and window.isdigit() else (f"{window}窗口" if window else "")
    target += f"的{person}" if person else ""
    feedback = Feedback("praise", text, unit=unit, window=window, person=person)
    return end(turn, say(city, "praise_thanks", target=target), feedback=feedback)


def on_praise_target(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    said = f"{slots.pending_text or ''}\n{turn.text or ''}".strip()
    unit, window, person = _praise_target(turn, turn.text or "", turn.classify(turn.text or ""))
    return _record_praise(turn, said, unit, window, person)


# -- 取消 that can be undone -------------------------------------------------------------------------------

_RESTORE = re.compile(r"^(?:恢复|恢复一下|撤销取消|找回|找回来|还原|我要恢复|恢复刚才的?)(?:吧|一下|了)?$")


def restore(turn: Turn) -> bool:
    return bool(_RESTORE.match(turn.key))


# States that hold a question, not a draft: 取消 simply leaves them.
_SMALL_STATES = frozenset(
    {Stage.ASK_INTENT, Stage.PRAISE_TARGET, Stage.LISTED, Stage.RATING_REASON, Stage.RATE_LEVEL, Stage.RATE_REASON}
)


def on_cancel_keep(turn: Turn, _: object) -> DialogResult:
    """取消 a draft with content: keep it for 30 minutes (恢复 brings it back), else end as before."""
    state = turn.state
    if state is not None and state.stage in _SMALL_STATES:
        return end(turn, say(turn.city, "left"))
    if state is None or not state.slots.has_content or state.stage in (Stage.SUPPLEMENT, Stage.CANCELLED):
        from handlers.dialog.entry import on_cancel

        return on_cancel(turn, None)
    slots = turn.slots()
    slots.cancelled_stage = (
        (slots.resume_stage or Stage.COLLECT_TEXT.value) if state.stage is Stage.RESUME else state.stage.value
    )
    slots.resume_stage = slots.pending_text = None
    return go(turn, Stage.CANCELLED, slots, say(turn.city, "cancelled_kept"))


def on_restore(turn: Turn, _: object) -> DialogResult:
    from handlers.dialog.flow import ask_again

    slots = turn.slots()
    stage = Stage(slots.cancelled_stage or Stage.COLLECT_TEXT)
    slots.cancelled_stage = None
    return ask_again(turn, slots, stage, say(turn.city, "restored"))


def on_after_cancel(turn: Turn, _: object) -> DialogResult:
    """Anything but 恢复 after 取消: a fresh conversation; the cancelled draft waits unless a new one starts."""
    result = fresh(turn)
    if result.state is None and turn.state is not None:
        return DialogResult(state=turn.state, reply=result.reply, submit=result.submit, feedback=result.feedback,
                            supplements=result.supplements, outcome=result.outcome)  # fmt: skip
    return result


def on_restore_nothing(turn: Turn, _: object) -> DialogResult:
    return end(turn, say(turn.city, "nothing_to_restore"))


# -- lists: a number stands for the case it lists ---------------------------------------------------------


def _list(turn: Turn) -> DialogResult:
    cases = turn.env.my_cases
    reply = render_case_list(cases, turn.city, turn.env.now)
    if not cases:
        return end(turn, reply)
    slots = Slots(listed=[c.number for c in cases])
    return go(turn, Stage.LISTED, slots, reply)


def on_my_cases_listed(turn: Turn, _: object) -> DialogResult:
    """我的反映 with no draft open: the list, after which 1, 2 … stand for its cases."""
    if turn.state is not None and turn.state.stage not in (Stage.LISTED, Stage.CANCELLED):
        from handlers.dialog.entry import on_my_cases

        return on_my_cases(turn, None)
    return _list(turn)


def list_choice(turn: Turn) -> int | None:
    listed = turn.state.slots.listed if turn.state else []
    return parse_choice(turn.key, len(listed)) if listed else None


def on_list_choice(turn: Turn, choice: int) -> DialogResult:
    number = turn.state.slots.listed[choice - 1] if turn.state else ""
    case = next((c for c in turn.env.my_cases if c.number == number), None)
    if case is None:
        return end(turn, say(turn.city, "query_not_found", number=number))
    return keep(turn, render_status(case, turn.city, turn.env.now))


# -- after 不满意: what was wrong ----------------------------------------------------------------------------


def on_rating_reason(turn: Turn, _: object) -> DialogResult:
    number = turn.state.slots.supplement_case if turn.state else None
    if not number or turn.text is None:
        return fresh(turn)
    supplement = Supplement(case_number=number, text=f"【不满意的原因】{turn.text}")
    return end(turn, say(turn.city, "rating_reason_saved", number=number), supplements=(supplement,))


# -- leaving a small state: the message is taken as if nothing were open -----------------------------------


def fresh(turn: Turn) -> DialogResult:
    from handlers.dialog import route

    clean = Turn(None, turn.msg, turn.env, stored=turn.stored)
    callback, found = route(clean)
    return callback(clean, found)


def on_leave(turn: Turn, _: object) -> DialogResult:
    return fresh(turn)
