"""One turn of the dialog as the callbacks see it, and the three ways a callback ends it (go, end, keep).

`Turn` bundles the stored state, the message and the environment with the derived views every matcher needs
(the text, its compact form, the media it carries, whether the draft has gone idle). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property

from handlers.config import CityConfig
from handlers.dialog.intents import compact
from handlers.dialog.intents import simplified
from handlers.dialog.types import DialogEnv
from handlers.dialog.types import DialogResult
from handlers.dialog.types import DialogState
from handlers.dialog.types import MediaRef
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.messages import InboundMessage
from nlp.types import Classification

CANCEL_KEEP_MINUTES = 30
_MEDIA_KINDS = {"image": "image", "voice": "voice", "video": "video", "shortvideo": "video"}


@dataclass(frozen=True)
class Turn:
    """The stored state (already normalised for idling, see `begin_turn`), the message and the environment."""

    state: DialogState | None
    msg: InboundMessage
    env: DialogEnv
    expired: bool = False  # the draft has been idle longer than `limits.dialog_idle_minutes`
    stored: DialogState | None = None  # the state exactly as it was stored, for turns that must not touch it

    @property
    def city(self) -> CityConfig:
        return self.env.city

    @property
    def stage(self) -> Stage | None:
        return self.state.stage if self.state else None

    @cached_property
    def text(self) -> str | None:
        """What the citizen said (typed, or voice recognition), or None; kept exactly as sent."""
        text = self.msg.text
        return text if text and text.strip() else None

    @cached_property
    def norm(self) -> str | None:
        """The text in simplified, half-width characters, for reading it (never for keeping it)."""
        return simplified(self.text) if self.text is not None else None

    @cached_property
    def key(self) -> str:
        """The compact form of the text for whole-message words."""
        return compact(self.text)

    @cached_property
    def media(self) -> MediaRef | None:
        """The image, voice or video this message carries, if WeChat gave us a media id."""
        kind = _MEDIA_KINDS.get(self.msg.msg_type)
        if kind is None or not self.msg.media_id:
            return None
        return MediaRef(
            kind=kind, media_id=self.msg.media_id, pic_url=self.msg.pic_url, media_format=self.msg.media_format
        )

    @property
    def is_event(self) -> bool:
        return self.msg.msg_type == "event"

    @property
    def event(self) -> str:
        return (self.msg.event or "").lower() if self.is_event else ""

    @property
    def click_key(self) -> str:
        return (self.msg.event_key or "").strip().upper() if self.event == "click" else ""

    def classify(self, text: str) -> Classification:
        """The injected classifier, asked at most once per distinct text in a turn."""
        memo = self._memo
        if text not in memo:
            memo[text] = self.env.classify(text)
        return memo[text]

    @cached_property
    def _memo(self) -> dict[str, Classification]:
        return {}

    def slots(self) -> Slots:
        """A private copy of the draft to change (a new, empty one when there is none)."""
        return self.state.slots.copy() if self.state else Slots()


def begin_turn(state: DialogState | None, msg: InboundMessage, env: DialogEnv) -> Turn:
    """Apply the idle rule before anything else is decided.

    A supplement session that went idle simply ends (back to the draft it interrupted, if any); an idle draft
    with nothing in it is forgotten; an idle draft with content is kept and marked expired, so the turn offers
    继续 / 重新开始. RESUME itself never expires: it already is the offer.
    """
    stored = state
    if state is None:
        return Turn(None, msg, env, stored=stored)
    idle = env.now - state.updated_at > timedelta(minutes=env.city.limits.dialog_idle_minutes)
    if state.stage is Stage.CANCELLED:
        # A cancelled draft is kept for 恢复 for CANCEL_KEEP_MINUTES, then it is gone.
        kept = env.now - state.updated_at <= timedelta(minutes=CANCEL_KEEP_MINUTES)
        return Turn(state if kept else None, msg, env, stored=stored)
    if not idle or state.stage is Stage.RESUME:
        return Turn(state, msg, env, stored=stored)
    if state.stage is Stage.SUPPLEMENT:
        back = state.slots.resume_stage
        if not back:
            return Turn(None, msg, env, stored=stored)
        slots = state.slots.copy()
        slots.resume_stage = None
        slots.supplement_case = None
        state = DialogState(Stage(back), slots, state.updated_at, state.started_at)
    if not state.slots.has_content:
        return Turn(None, msg, env, stored=stored)
    return Turn(state, msg, env, expired=True, stored=stored)


def go(turn: Turn, stage: Stage, slots: Slots, reply: str, **extra: object) -> DialogResult:
    """Continue the conversation in `stage` with `slots`."""
    started = turn.state.started_at if turn.state else turn.env.now
    state = DialogState(stage=stage, slots=slots, updated_at=turn.env.now, started_at=started)
    return DialogResult(state=state, reply=reply, **extra)  # type: ignore[arg-type]


def end(turn: Turn, reply: str, **extra: object) -> DialogResult:
    """Finish: no conversation remains (a draft, if any, is discarded or was submitted)."""
    return DialogResult(state=None, reply=reply, **extra)  # type: ignore[arg-type]


def keep(turn: Turn, reply: str, **extra: object) -> DialogResult:
    """Answer without touching the draft. An idle draft keeps its old time, so the next turn still offers resume."""
    state = turn.state
    if state is not None and not turn.expired:
        state = DialogState(state.stage, state.slots, turn.env.now, state.started_at)
    return DialogResult(state=state, reply=reply, **extra)  # type: ignore[arg-type]
