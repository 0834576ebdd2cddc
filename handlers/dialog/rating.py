"""好差评 from a window's rating QR: five levels, one per citizen per visit, and for a 差评 what went wrong.

Scanning `rate=<unit>;window=<n>` asks for 5 非常满意 … 1 非常不满意 (digits or words). 满意 and above end with
thanks; 基本满意 too; 不满意 and below ask what went wrong, and that answer becomes a review case (kind review, 整改)
for the unit's supervisors. A draft that was open when the code was scanned waits and is picked up afterwards.
Pure: `bot/` stores the rating and opens the case.
"""

from __future__ import annotations

import dataclasses
import re

from handlers.dialog.flow import ask_again
from handlers.dialog.intents import meaningful_length
from handlers.dialog.intents import parse_scene
from handlers.dialog.turn import Turn
from handlers.dialog.turn import end
from handlers.dialog.turn import go
from handlers.dialog.types import DialogResult
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.dialog.types import WindowRating
from handlers.texts import say
from handlers.when import cn_number

# The five levels of 好差评 (national rules): 5 非常满意 … 1 非常不满意, as digits or words.
RATING_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
_LEVEL_WORDS = (
    ("非常不满意", 1), ("很不满意", 1), ("特别不满意", 1), ("极差", 1), ("很差", 1), ("非常差", 1),
    ("不满意", 2), ("差评", 2), ("不太满意", 2), ("差", 2),
    ("基本满意", 3), ("一般", 3), ("还行", 3), ("还可以", 3), ("凑合", 3),
    ("非常满意", 5), ("很满意", 5), ("特别满意", 5), ("非常好", 5), ("很好", 5), ("太棒了", 5), ("五星", 5),
    ("满意", 4), ("好评", 4), ("不错", 4), ("挺好", 4), ("好", 4),
)  # fmt: skip
_LEVEL_DIGIT = re.compile(r"^(?:打|给|评)?([1-5一二三四五])(?:分|星|颗星)?$")


def parse_level(key: str) -> int | None:
    """A five-level rating from "5", "五星", "打4分", "非常满意", "不满意" (compact form); None otherwise."""
    if not key:
        return None
    m = _LEVEL_DIGIT.match(key)
    if m:
        return cn_number(m.group(1))
    core = re.sub(r"(?:吧|了|啊|呀|的|哦|啦|谢谢|谢谢你们?)+$", "", key)
    for word, level in _LEVEL_WORDS:
        if core == word:
            return level
    return None


def rate_scene(turn: Turn) -> tuple[str, str | None] | None:
    if turn.event not in ("subscribe", "scan"):
        return None
    return parse_scene(turn.msg.event_key, turn.city, key="rate")


def _place(turn: Turn, unit: str, window: str | None) -> str:
    return turn.city.unit_name(unit) + (f" {window}号窗口" if window else "")


def on_rate_scene(turn: Turn, scene: tuple[str, str | None]) -> DialogResult:
    unit, window = scene
    slots = turn.slots()
    if turn.state is not None and turn.state.stage not in (Stage.RATE_LEVEL, Stage.RATE_REASON):
        slots.resume_stage = turn.state.stage.value  # a draft in progress waits for the rating
    slots.rate_unit, slots.rate_window, slots.rate_level = unit, window, None
    welcome = turn.city.texts.welcome if turn.event == "subscribe" else ""
    ask = say(turn.city, "rate_ask", place=_place(turn, unit, window))
    return go(turn, Stage.RATE_LEVEL, slots, f"{welcome}\n{ask}".strip())


def level(turn: Turn) -> int | None:
    return parse_level(turn.key)


def _finish(turn: Turn, slots: Slots, reply: str, rating: WindowRating) -> DialogResult:
    back = slots.resume_stage
    slots.resume_stage = None
    slots.rate_unit = slots.rate_window = None
    slots.rate_level = None
    if back:  # the draft that was open when the code was scanned
        return dataclasses.replace(ask_again(turn, slots, Stage(back), reply), window_rating=rating)
    return end(turn, reply, window_rating=rating)


def on_level(turn: Turn, value: int) -> DialogResult:
    slots = turn.slots()
    assert slots.rate_unit is not None
    rating = WindowRating(slots.rate_unit, slots.rate_window, value)
    label = RATING_LEVELS[value]
    if not rating.poor:
        return _finish(turn, slots, say(turn.city, "rate_thanks", level=label), rating)
    slots.rate_level = value
    # The 差评 is counted now; what went wrong (the next message) turns it into a case to put right.
    return go(turn, Stage.RATE_REASON, slots, say(turn.city, "rate_reason_ask", level=label), window_rating=rating)


def on_rate_nudge(turn: Turn, _: object) -> DialogResult:
    return go(turn, Stage.RATE_LEVEL, turn.slots(), say(turn.city, "rate_nudge"))


def reason(turn: Turn) -> bool:
    return turn.text is not None and meaningful_length(turn.text) >= 2


def on_reason(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    assert slots.rate_unit is not None and slots.rate_level is not None
    rating = WindowRating(slots.rate_unit, slots.rate_window, slots.rate_level, reason=turn.text)
    days = turn.city.reviews.rectify_days
    return _finish(turn, slots, say(turn.city, "rate_reason_thanks", case_number="{case_number}", days=days), rating)


def on_no_reason(turn: Turn, _: object) -> DialogResult:
    slots = turn.slots()
    label = RATING_LEVELS.get(slots.rate_level or 2, "")
    return end(turn, say(turn.city, "rate_reason_none", level=label))
