"""The first decision for every push: which conversation or command it belongs to, and what to answer.

`dispatch` is pure: it reads only the message and the context it is given and returns a `Step`; `bot.intake`
applies the step's effects inside the webhook's one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers.config import CityConfig
from handlers.messages import InboundMessage


@dataclass(frozen=True, slots=True)
class SetSubscribed:
    subscribed: bool


@dataclass(frozen=True, slots=True)
class Step:
    """What to answer (None = plain `success`), how the push counts in the ledger, and what to change."""

    reply: str | None
    outcome: str = "handled"  # handled | ignored | unsupported
    effects: tuple[object, ...] = ()


class Context(Protocol):
    @property
    def now(self) -> datetime: ...

    @property
    def city(self) -> CityConfig: ...


# Events that only tell us something happened; WeChat expects a fast `success`.
_SILENT_EVENTS = frozenset({"templatesendjobfinish", "location", "view", "view_miniprogram", "masssendjobfinish"})
_KNOWN_MESSAGES = frozenset({"text", "voice", "image", "video", "shortvideo", "location", "link"})


def dispatch(msg: InboundMessage, ctx: Context) -> Step:
    texts = ctx.city.texts
    if msg.msg_type == "event":
        if msg.event == "subscribe":
            return Step(texts.welcome, effects=(SetSubscribed(True),))
        if msg.event == "unsubscribe":
            return Step(None, effects=(SetSubscribed(False),))
        if msg.event in _SILENT_EVENTS:
            return Step(None, outcome="ignored")
        if msg.event == "click" and (msg.event_key or "").upper() == "HELP":
            return Step(texts.help)
        if msg.event in ("click", "scan"):
            return Step(texts.menu)
        return Step(None, outcome="ignored")
    if msg.msg_type not in _KNOWN_MESSAGES:
        return Step(texts.unsupported, outcome="unsupported")
    if msg.msg_type == "voice" and not msg.text:
        return Step(texts.unsupported, outcome="unsupported")
    return Step(texts.menu)
