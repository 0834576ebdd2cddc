"""The plain data of the citizen dialog: its persisted state, what it is given, and what it decides.

`DialogState` is stored per citizen by `bot/` (JSON through `to_dict`/`from_dict`), so any worker can continue
a conversation; `DialogEnv` is everything a turn may read; `DialogResult` is everything it decides. No I/O here.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace
from datetime import date
from datetime import datetime
from enum import StrEnum
from typing import Any

from handlers.cases_view import CaseSummary
from handlers.config import CityConfig
from handlers.textfit import WECHAT_TEXT_MAX_BYTES
from nlp.types import Classification

STATE_VERSION = 1

Location = tuple[float, float, str | None]  # latitude, longitude, label


class Stage(StrEnum):
    """Where a conversation stands (the states of `handlers/dialog/dialog.mmd`)."""

    COLLECT_TEXT = "collect_text"  # what happened: appending messages until done
    CONFIRM_UNIT = "confirm_unit"  # "您反映的是X吗？" 是 / 不是
    CHOOSE_UNIT = "choose_unit"  # numbered candidates + 不确定, or a typed name
    ASK_WHEN = "ask_when"
    ASK_EVIDENCE = "ask_evidence"  # photos, video, voice, window, location; 好了 / 没有
    ASK_IDENTITY = "ask_identity"  # 1 匿名 / 2 实名
    ASK_CONTACT = "ask_contact"  # name and mobile number
    REVIEW = "review"  # read-back: 确认 / 修改 / 取消
    AMEND = "amend"  # which item to change
    RESUME = "resume"  # back after idling: 继续 / 重新开始
    SUPPLEMENT = "supplement"  # adding messages to one of the citizen's cases
    ASK_INTENT = "ask_intent"  # a first message whose intent is unclear: 反映 / 表扬 / 建议 / 咨询
    PRAISE_TARGET = "praise_target"  # a praise that named nobody: which unit / window / person
    SPLIT = "split"  # two units with separate grievances: one case or two
    CANCELLED = "cancelled"  # 取消: the draft is kept 30 minutes for 恢复
    LISTED = "listed"  # 我的反映 was shown: a number picks a case
    RATING_REASON = "rating_reason"  # after 不满意: what was wrong, attached to the 重办
    RATE_LEVEL = "rate_level"  # a rating QR was scanned: 5 非常满意 … 1 非常不满意
    RATE_REASON = "rate_reason"  # a 差评: what went wrong (becomes a review case)
    SURVEY = "survey"  # 民意调查 in the chat: one question after another, unit by unit


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A piece of evidence WeChat holds for 3 days: `bot/` downloads it by `media_id` at intake."""

    kind: str  # image | voice | video
    media_id: str
    pic_url: str | None = None
    media_format: str | None = None


@dataclass(frozen=True, slots=True)
class Supplement:
    """One message to append to one of the citizen's own cases."""

    case_number: str
    text: str | None = None
    media: MediaRef | None = None
    location: Location | None = None


@dataclass
class Slots:
    """The draft being filled in. Plain JSON-able values only: this is what the database keeps."""

    text: str = ""  # every message about what happened, joined by newlines, kept whole
    text_done: bool = False
    rewrite: bool = False  # the next description replaces the text (修改 → 事情经过)
    unit: str | None = None
    unit_source: str | None = None  # named | service | qr | chosen | classifier
    unit_decided: bool = False
    candidates: list[str] = field(default_factory=list)  # unit codes offered in CONFIRM/CHOOSE_UNIT
    window: str | None = None
    place: str | None = None
    location: list[Any] | None = None  # [lat, lon, label]
    occurred_on: str | None = None  # ISO date
    occurred_text: str | None = None
    when_answered: bool = False
    evidence: list[dict[str, Any]] = field(default_factory=list)
    evidence_answered: bool = False
    anonymous: bool = True
    identity_answered: bool = False
    real_name: str | None = None
    phone: str | None = None
    resume_stage: str | None = None  # RESUME / SUPPLEMENT: where to go back to
    pending_text: str | None = None  # RESUME: the message that arrived after the pause
    supplement_case: str | None = None
    clarified: bool = False  # the one clarifying question about a thin report has been asked
    split_units: list[str] = field(default_factory=list)  # two units → two cases
    split_decided: bool = False
    cancelled_stage: str | None = None  # CANCELLED: the stage the draft was in
    listed: list[str] = field(default_factory=list)  # LISTED: case numbers in the order shown
    rate_unit: str | None = None  # RATE_LEVEL / RATE_REASON: the window rated
    rate_window: str | None = None
    rate_level: int | None = None
    survey_id: int | None = None  # SURVEY: the survey, its title and questions (as they were when it started)
    survey_title: str | None = None
    survey_questions: list[dict[str, Any]] = field(default_factory=list)
    survey_units: list[str] = field(default_factory=list)  # the units still to answer; the first is asked now
    survey_answers: list[Any] = field(default_factory=list)  # the answers about the first unit so far

    def to_dict(self) -> dict[str, Any]:
        # The field names are computed once (_SLOT_NAMES): dataclasses.fields() rebuilds its tuple on every call,
        # and this runs on every turn that saves a draft.
        return {name: getattr(self, name) for name in _SLOT_NAMES} | self._lists()

    def copy(self) -> Slots:
        """A copy that shares nothing mutable (cheaper than deepcopy; runs on every turn)."""
        return replace(self, **self._lists())

    def _lists(self) -> dict[str, Any]:
        return {
            "candidates": list(self.candidates),
            "split_units": list(self.split_units),
            "listed": list(self.listed),
            "location": list(self.location) if self.location is not None else None,
            "evidence": [dict(e) for e in self.evidence],
            "survey_questions": [dict(q) for q in self.survey_questions],
            "survey_units": list(self.survey_units),
            "survey_answers": list(self.survey_answers),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Slots:
        # Unknown keys are dropped and missing ones take defaults, so a newer or older row still loads.
        return cls(**{k: v for k, v in data.items() if k in _SLOT_NAME_SET})

    @property
    def has_content(self) -> bool:
        return bool(self.text.strip() or self.evidence or self.location)

    def media(self) -> tuple[MediaRef, ...]:
        return tuple(MediaRef(**item) for item in self.evidence)


_SLOT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Slots))  # in declaration order, as fields() gives them
_SLOT_NAME_SET = frozenset(_SLOT_NAMES)


@dataclass(frozen=True)
class DialogState:
    """One citizen's conversation: the stage, the draft so far, and when they last spoke (for the idle rule)."""

    stage: Stage
    slots: Slots
    updated_at: datetime
    started_at: datetime
    version: int = STATE_VERSION

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (ISO timestamps)."""
        return {
            "version": self.version,
            "stage": str(self.stage),
            "slots": self.slots.to_dict(),
            "updated_at": self.updated_at.isoformat(),
            "started_at": self.started_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DialogState:
        """Rebuild a stored state. :raises ValueError: for a version or stage this code does not know."""
        version = int(data.get("version", 0))
        if version != STATE_VERSION:
            raise ValueError(f"unsupported dialog state version {version}")
        updated = datetime.fromisoformat(data["updated_at"])
        return cls(
            stage=Stage(data["stage"]),
            slots=Slots.from_dict(data.get("slots", {})),
            updated_at=updated,
            started_at=datetime.fromisoformat(data.get("started_at", data["updated_at"])),
            version=version,
        )


@dataclass(frozen=True)
class DialogEnv:
    """Everything a turn may read besides the message: the clock, the city, the classifier, the citizen's cases."""

    now: datetime  # aware
    city: CityConfig
    classify: Callable[[str], Classification]
    my_cases: Sequence[CaseSummary] = ()  # the citizen's own recent cases, newest first
    cases_today: int = 0  # cases this citizen submitted today
    max_reply_bytes: int = WECHAT_TEXT_MAX_BYTES
    # The citizen's open survey invitation (handlers.surveys.SurveyInvite), looked up only when a message could
    # start or decline one (开始 / 不参加): most turns never pay for the query.
    survey_invite: Callable[[], Any] | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("DialogEnv.now must be timezone-aware")

    @property
    def tz(self) -> str:
        return self.city.city.timezone


@dataclass(frozen=True)
class CaseDraft:
    """A complete report, ready for `bot/` to turn into a case (number, routing, deadlines) in one transaction."""

    text: str
    category: str
    unit: str | None
    classification: Classification
    triage: bool
    unit_source: str | None  # named | service | qr | chosen | classifier; None when the unit is left to triage
    window: str | None = None
    place: str | None = None
    occurred_on: date | None = None
    occurred_text: str | None = None
    location: Location | None = None
    evidence: tuple[MediaRef, ...] = ()
    anonymous: bool = True
    real_name: str | None = None
    phone: str | None = None  # 11 digits, validated


@dataclass(frozen=True, slots=True)
class WindowRating:
    """A five-level rating of one window's service (好差评), with what went wrong for a 差评 once it is said.
    One per citizen per visit: a second within the hour replaces the first."""

    unit: str
    window: str | None
    level: int  # 5 非常满意 … 1 非常不满意
    reason: str | None = None

    @property
    def poor(self) -> bool:
        return self.level <= 2


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    """A citizen's answers about one unit of a survey, to store apart from who they are (one answer each)."""

    survey_id: int
    unit: str
    answers: tuple[Any, ...]  # aligned with the questions: level 1–5, option index, text, or None (skipped)


@dataclass(frozen=True, slots=True)
class SurveyStop:
    """不参加 / 停止: these invitations are never brought up again."""

    survey_id: int
    units: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Feedback:
    """A message that is not a report but is recorded: praise (counted for the unit) or a suggestion (for the
    office). Becomes a case of that kind, outside the complaint loop."""

    kind: str  # praise | suggestion
    text: str
    unit: str | None = None
    window: str | None = None
    person: str | None = None


@dataclass(frozen=True)
class DialogResult:
    """What one turn decided. `reply` may contain `{case_number}` only when `submit` is set (and
    `{case_number_2}` when `also_submit` is: a report split into two cases)."""

    state: DialogState | None  # None: no conversation (any draft is discarded)
    reply: str  # the passive reply; "" means answer WeChat with plain `success`
    submit: CaseDraft | None = None
    also_submit: CaseDraft | None = None
    feedback: Feedback | None = None
    window_rating: WindowRating | None = None
    survey_answer: SurveyAnswer | None = None
    survey_stop: SurveyStop | None = None
    supplements: tuple[Supplement, ...] = ()
    handler: str = ""  # which callback decided, for logs and tests (never content)
    outcome: str = "handled"  # handled | ignored | unsupported, as handlers.dispatch.Step counts them


@dataclass(frozen=True, slots=True)
class Fix:
    """A correction already resolved against the city: unit (code), unit_unknown, when, window, place, identity."""

    kind: str
    value: object
