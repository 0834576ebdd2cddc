"""Matchers of the citizen dialog: small predicates over a turn that say whether a handler applies.

A matcher returns None or False for "not mine", anything else for "mine" (that value is passed to the callback,
e.g. the parsed correction or the chosen number). They decide only: nothing here changes a draft. Pure.
"""

from __future__ import annotations

from handlers.dialog.intents import Contact
from handlers.dialog.intents import QueryCommand
from handlers.dialog.intents import SupplementCommand
from handlers.dialog.intents import find_window
from handlers.dialog.intents import identity_choice
from handlers.dialog.intents import is_amend
from handlers.dialog.intents import is_cancel
from handlers.dialog.intents import is_clear
from handlers.dialog.intents import is_confirm
from handlers.dialog.intents import is_continue
from handlers.dialog.intents import is_done
from handlers.dialog.intents import is_greeting
from handlers.dialog.intents import is_help
from handlers.dialog.intents import is_my_cases
from handlers.dialog.intents import is_no
from handlers.dialog.intents import is_none
from handlers.dialog.intents import is_report_intent
from handlers.dialog.intents import is_restart
from handlers.dialog.intents import is_thanks
from handlers.dialog.intents import is_unsure
from handlers.dialog.intents import is_yes
from handlers.dialog.intents import looks_like_complaint
from handlers.dialog.intents import meaningful_length
from handlers.dialog.intents import parse_append
from handlers.dialog.intents import parse_choice
from handlers.dialog.intents import parse_contact
from handlers.dialog.intents import parse_correction
from handlers.dialog.intents import parse_query
from handlers.dialog.intents import parse_scene
from handlers.dialog.intents import parse_supplement
from handlers.dialog.intents import resolve_unit
from handlers.dialog.turn import Turn
from handlers.dialog.types import Fix
from handlers.masking import find_mobile
from handlers.when import When
from handlers.when import parse_when

LONG_TEXT = 15  # meaningful characters: longer than any answer to a question, so it is more of the story
SHORT_ANSWER = 20  # a typed unit name, a window: anything longer is not one


# -- matchers on events -----------------------------------------------------------------------------------


def unsubscribed(turn: Turn) -> bool:
    return turn.event == "unsubscribe"


def silent_event(turn: Turn) -> bool:
    return turn.is_event and turn.event not in ("subscribe", "unsubscribe", "scan", "click")


def scene(turn: Turn) -> tuple[str, str | None] | None:
    if turn.event not in ("subscribe", "scan"):
        return None
    return parse_scene(turn.msg.event_key, turn.city)


def subscribed(turn: Turn) -> bool:
    return turn.event == "subscribe"


def report_click(turn: Turn) -> bool:
    return turn.click_key == "REPORT"


def any_event(turn: Turn) -> bool:
    return turn.is_event


# -- matchers on the commands that work everywhere --------------------------------------------------------


def cancel(turn: Turn) -> bool:
    return is_cancel(turn.key)


def restart(turn: Turn) -> bool:
    return is_restart(turn.key)


def help_request(turn: Turn) -> bool:
    return turn.click_key == "HELP" or is_help(turn.key)


def my_cases_request(turn: Turn) -> bool:
    return turn.click_key == "MY_CASES" or is_my_cases(turn.key)


def query_request(turn: Turn) -> QueryCommand | None:
    if turn.click_key == "QUERY":
        return QueryCommand(None)
    return parse_query(turn.norm)


def supplement_request(turn: Turn) -> SupplementCommand | None:
    cmd = parse_supplement(turn.text)
    if cmd is not None and cmd.bare and turn.state is not None:
        return None  # inside a draft a bare "补充" is about the draft: more words will follow
    return cmd


# -- matchers on what the citizen said --------------------------------------------------------------------


def any_text(turn: Turn) -> bool:
    return turn.text is not None


def long_text(turn: Turn) -> bool:
    return meaningful_length(turn.text) >= LONG_TEXT


def smalltalk(turn: Turn) -> bool:
    if turn.msg.msg_type == "text" and turn.text is None:
        return True  # an empty or blank text message
    return turn.text is not None and is_greeting(turn.key)


def thanks(turn: Turn) -> bool:
    return is_thanks(turn.key)


def smalltalk_or_thanks(turn: Turn) -> bool:
    return smalltalk(turn) or thanks(turn)


def report_intent(turn: Turn) -> bool:
    return is_report_intent(turn.key)


def complaint(turn: Turn) -> bool:
    return is_complaint(turn)


def media(turn: Turn) -> bool:
    return turn.media is not None


def location(turn: Turn) -> bool:
    return turn.msg.msg_type == "location" and turn.msg.location is not None


def anything(turn: Turn) -> bool:
    return True


def done(turn: Turn) -> bool:
    return is_done(turn.key)


def nothing_more(turn: Turn) -> bool:
    return is_none(turn.key)


def clear(turn: Turn) -> bool:
    return is_clear(turn.key)


def yes(turn: Turn) -> bool:
    return is_yes(turn.key)


def no(turn: Turn) -> bool:
    return is_no(turn.key)


def unsure(turn: Turn) -> bool:
    return is_unsure(turn.key)


def confirm(turn: Turn) -> bool:
    return is_confirm(turn.key)


def amend(turn: Turn) -> bool:
    return is_amend(turn.key)


def resume_continue(turn: Turn) -> bool:
    return is_continue(turn.key)


def unit_choice(turn: Turn) -> int | None:
    assert turn.state is not None
    return parse_choice(turn.key, len(turn.state.slots.candidates) + 1)


def _unit_in(turn: Turn, words: str) -> str | None:
    """A unit named in `words` (name or alias), or one the classifier is sure the words point at."""
    code = resolve_unit(words, turn.city)
    if code is not None:
        return code
    c = turn.classify(words)
    sure = (c.unit_confidence or c.confidence) >= turn.city.nlp.unit_threshold
    if c.unit is not None and turn.city.unit(c.unit) is not None and (c.unit_explicit or sure):
        return c.unit
    return None


def typed_unit(turn: Turn) -> str | None:
    if turn.text is None or meaningful_length(turn.text) > SHORT_ANSWER:
        return None
    return _unit_in(turn, turn.norm or "")


def when_answer(turn: Turn) -> When | None:
    if turn.text is None:
        return None
    return parse_when(turn.norm or "", turn.env.now, turn.env.tz)


def window_answer(turn: Turn) -> str | None:
    if turn.text is None or meaningful_length(turn.text) > SHORT_ANSWER:
        return None
    return find_window(turn.norm or "")


def identity_answer(turn: Turn) -> str | None:
    return identity_choice(turn.key) if turn.key else None


def phone_given(turn: Turn) -> Contact | None:
    if turn.text is None or find_mobile(turn.text) is None:
        return None
    return parse_contact(turn.text)


def contact_answer(turn: Turn) -> Contact | None:
    if turn.text is None or meaningful_length(turn.text) > 30:
        return None
    contact = parse_contact(turn.text)
    return contact if contact.name or contact.phone or contact.bad_phone else None


_AMEND_WORDS = (
    (("单位", "部门"), 1),
    (("经过", "事情", "内容", "描述"), 2),
    (("时间", "日期"), 3),
    (("材料", "照片", "证据", "图片", "视频"), 4),
    (("身份", "联系", "电话", "手机"), 5),
)


def amend_choice(turn: Turn) -> int | None:
    choice = parse_choice(turn.key, 5)
    if choice is not None or len(turn.key) > 8:
        return choice
    return next((n for words, n in _AMEND_WORDS if any(w in turn.key for w in words)), None)


def correction(turn: Turn) -> Fix | None:
    """A repair in plain words, resolved against the city; None when the words do not resolve to anything."""
    fix = parse_correction(turn.norm)
    if fix is None:
        return None
    env = turn.env
    if fix.kind == "identity":
        return Fix("identity", fix.value)
    if fix.kind == "unit":
        code = _unit_in(turn, fix.value)
        return Fix("unit", code) if code else Fix("unit_unknown", fix.value)
    if fix.kind == "when":
        when = parse_when(fix.value, env.now, env.tz)
        return Fix("when", when) if when else None
    if fix.kind == "window":
        window = find_window(fix.value) or find_window(fix.value + "窗口")
        return Fix("window", window) if window else None
    if fix.kind == "place":
        return Fix("place", fix.value)
    # "不对，是…": whatever the rest names. A vague time here is more likely "不是，不清楚" about something else.
    code = resolve_unit(fix.value, turn.city)
    if code:
        return Fix("unit", code)
    window = find_window(fix.value)
    if window:
        return Fix("window", window)
    when = parse_when(fix.value, env.now, env.tz)
    if when is not None and when.day is not None:
        return Fix("when", when)
    code = _unit_in(turn, fix.value)
    return Fix("unit", code) if code else None


def append_request(turn: Turn) -> str | None:
    return parse_append(turn.text)


def supplement_content(turn: Turn) -> bool:
    return turn.text is not None or turn.media is not None or location(turn)


def is_complaint(turn: Turn) -> bool:
    return turn.text is not None and looks_like_complaint(turn.text, turn.classify(turn.text))


def split_choice(turn: Turn) -> int | None:
    """1 (two cases) or 2 (one case) after the offer to split a report about two units."""
    if is_yes(turn.key):
        return 1
    if is_no(turn.key):
        return 2
    return parse_choice(turn.key, 2)
