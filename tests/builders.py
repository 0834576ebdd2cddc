"""Builders shared by the dialog tests: WeChat pushes as `InboundMessage`, the city, a fake classifier, a chat.

`Chat` plays one citizen against `handlers.dialog.handle`, persisting the state through JSON after every turn
exactly as the database would, and checks the rules every reply must keep (2048 bytes, no stray placeholder).
"""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import yaml

from handlers.cases_view import CaseSummary
from handlers.config import CityConfig
from handlers.dialog import handle
from handlers.dialog.types import DialogEnv
from handlers.dialog.types import DialogResult
from handlers.dialog.types import DialogState
from handlers.dialog.types import Slots
from handlers.dialog.types import Stage
from handlers.messages import InboundMessage
from handlers.surveys import Question
from handlers.surveys import SurveyInvite
from handlers.textfit import utf8_len
from nlp.types import Candidate
from nlp.types import Classification

ROOT = Path(__file__).resolve().parents[1]
OPENID = "o_citizen_1"
# A Friday morning in Beijing: 2026-11-27 10:00 +08:00 (the same instant as tests/conftest.py's clock).
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

_ids = itertools.count(24512345678900000)


@functools.cache
def city() -> CityConfig:
    """The shipped config.yaml, validated."""
    return CityConfig.model_validate(yaml.safe_load((ROOT / "config.yaml").read_text("utf-8")))


def _message(msg_type: str, *, at: datetime = NOW, sender: str = OPENID, **fields: object) -> InboundMessage:
    msg_id = str(next(_ids))
    key = msg_id if msg_type != "event" else f"{sender}|{int(at.timestamp())}|{fields.get('event')}|{msg_id}"
    return InboundMessage(
        key=key,
        msg_type=msg_type,
        sender=sender,
        account="gh_account",
        created_at=at,
        pseudonym="p_" + sender,
        msg_id=None if msg_type == "event" else msg_id,
        **fields,  # type: ignore[arg-type]
    )


def text(content: str, **kw: object) -> InboundMessage:
    return _message("text", content=content, **kw)


def voice(recognition: str | None, media_id: str = "voice_media_1", **kw: object) -> InboundMessage:
    return _message("voice", media_id=media_id, media_format="amr", recognition=recognition, **kw)


def image(media_id: str = "img_media_1", **kw: object) -> InboundMessage:
    return _message("image", media_id=media_id, pic_url=f"http://mmbiz.qpic.cn/{media_id}", **kw)


def video(media_id: str = "video_media_1", **kw: object) -> InboundMessage:
    return _message("video", media_id=media_id, **kw)


def location(
    lat: float = 29.841, lon: float = 114.322, label: str = "湖北省咸宁市咸安区", **kw: object
) -> InboundMessage:
    return _message("location", location=(lat, lon), label=label, **kw)


def link(title: str = "一篇文章", **kw: object) -> InboundMessage:
    return _message("link", label=title, url="https://example.com/a", **kw)


def event(name: str, key: str | None = None, **kw: object) -> InboundMessage:
    return _message("event", event=name.lower(), event_key=key, **kw)


def click(key: str, **kw: object) -> InboundMessage:
    return event("click", key, **kw)


# -- a deterministic stand-in for nlp's classifier --------------------------------------------------------


@dataclass
class FakeClassifier:
    """Keywords to a Classification, the way the real one behaves at the edges that matter to the dialog.

    A unit's name or alias → that unit, explicit, confident. A service word → that unit, implied (0.7). The word
    保险 alone → 人社局 at 0.3 with 医保局 and 公积金 as runners-up (triage). A category cue → that category at
    0.8; none → other at 0.2 (triage).
    """

    city: CityConfig
    calls: list[str] = field(default_factory=list)

    def __call__(self, text: str) -> Classification:
        self.calls.append(text)
        evidence: list[str] = []
        unit, explicit, unit_conf = self._explicit(text)
        candidates: tuple[Candidate, ...] = ()
        if unit is None:
            unit, unit_conf = self._service(text, evidence)
        else:
            evidence.append(next(n for n in self._names(unit) if n in text))
        if unit is None and "保险" in text:
            unit, unit_conf = "rsj", 0.3
            candidates = (Candidate("rsj", 0.3), Candidate("ybj", 0.25), Candidate("gjj", 0.1))
        elif unit is not None:
            candidates = (Candidate(unit, unit_conf),)
        category, cat_conf = "other", 0.2
        for cat in self.city.categories:
            cue = next((c for c in cat.cues if c in text), None)
            if cue and cat.code != "other":
                category, cat_conf = cat.code, 0.8
                evidence.append(cue)
                break
        triage = unit is None or unit_conf < self.city.nlp.unit_threshold or cat_conf < self.city.nlp.category_threshold
        intent, intent_conf = self._intent(text, category != "other")
        named = [u.code for u in self.city.units if any(n in text for n in (u.name, *u.aliases))]
        return Classification(
            intent=intent,
            intent_confidence=intent_conf,
            units=tuple(dict.fromkeys([unit, *named])) if unit and len(named) >= 2 else ((unit,) if unit else ()),
            category=category,
            unit=unit,
            confidence=min(unit_conf, cat_conf) if unit else cat_conf,
            triage=triage,
            unit_explicit=explicit,
            category_candidates=(Candidate(category, cat_conf),),
            unit_candidates=candidates,
            evidence=tuple(evidence),
            category_confidence=cat_conf,
            unit_confidence=unit_conf,
        )

    # What a message wants, by words, as the trained model behaves on clear cases. A behaviour cue makes it a
    # complaint whatever else is said (sarcasm and mixed praise are complaints).
    _INTENTS = (
        ("abuse", ("狗官", "垃圾", "混蛋", "废物")),
        ("praise", ("表扬", "点赞", "感谢", "很耐心", "很热情", "态度很好", "办得很快")),
        ("suggestion", ("建议", "希望能", "能不能增加")),
        ("consult", ("请问", "需要带", "几点上班", "在哪办", "怎么办理")),
        ("chitchat", ("天气", "你是谁", "机器人", "在吗")),
    )

    def _intent(self, text: str, has_cue: bool) -> tuple[str, float]:
        if "想说个事" in text:
            return "complaint", 0.3  # too little to tell what they want
        if has_cue:
            return "complaint", 0.9
        for intent, words in self._INTENTS:
            if any(w in text for w in words):
                return intent, 0.9
        return "complaint", 0.9

    def _names(self, code: str) -> list[str]:
        unit = self.city.unit(code)
        assert unit is not None
        return sorted((unit.name, *unit.aliases), key=len, reverse=True)

    def _explicit(self, text: str) -> tuple[str | None, bool, float]:
        best = max(
            ((len(n), u.code) for u in self.city.units for n in (u.name, *u.aliases) if n in text),
            default=None,
        )
        return (best[1], True, 0.92) if best else (None, False, 0.0)

    def _service(self, text: str, evidence: list[str]) -> tuple[str | None, float]:
        best = max(((len(s), s, u.code) for u in self.city.units for s in u.services if s in text), default=None)
        if best is None:
            return None, 0.0
        evidence.append(best[1])
        return best[2], 0.7


# -- one citizen's conversation ---------------------------------------------------------------------------


def case(number: str = "ZY2611250001", state: str = "in_progress", **kw: object) -> CaseSummary:
    values: dict[str, object] = {
        "unit": "bdc",
        "category": "obstruction",
        "created_at": NOW - timedelta(days=2),
        "last_update_at": NOW - timedelta(hours=3),
        "last_update_note": "督办人员已联系不动产登记中心核实情况。",
    }
    values.update(kw)
    return CaseSummary(number=number, state=state, **values)  # type: ignore[arg-type]


@dataclass
class Chat:
    """One citizen talking to the dialog; the state goes through JSON between turns, as in the database."""

    now: datetime = NOW
    my_cases: Sequence[CaseSummary] = ()
    cases_today: int = 0
    classify: Callable[[str], Classification] | None = None
    state: DialogState | None = None
    results: list[DialogResult] = field(default_factory=list)
    survey: SurveyInvite | None = None  # the citizen's open survey invitation, as bot/ would look it up

    def env(self) -> DialogEnv:
        classify = self.classify or FakeClassifier(city())
        return DialogEnv(now=self.now, city=city(), classify=classify, my_cases=self.my_cases,
                         cases_today=self.cases_today, survey_invite=lambda: self.survey)  # fmt: skip

    def send(self, msg: InboundMessage) -> DialogResult:
        result = handle(self.state, msg, self.env())
        assert utf8_len(result.reply) <= 2048
        if result.submit is None and not (result.window_rating and result.window_rating.reason):
            assert "{case_number}" not in result.reply
        else:
            assert "{case_number}" in result.reply
        if result.state is None:
            self.state = None
        else:
            stored = json.loads(json.dumps(result.state.to_dict(), ensure_ascii=False))
            self.state = DialogState.from_dict(stored)
            assert self.state == result.state
        self.results.append(result)
        return result

    def say(self, content: str) -> DialogResult:
        return self.send(text(content, at=self.now))

    def wait(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    @property
    def stage(self) -> Stage | None:
        return self.state.stage if self.state else None

    @property
    def last(self) -> DialogResult:
        return self.results[-1]


def survey_invite(units: tuple[str, ...] = ("bdc",), survey_id: int = 7) -> SurveyInvite:
    """An open invitation to a three-question survey: scale5, choice, text."""
    questions = (
        Question(text="您对该单位工作人员的服务态度是否满意？", kind="scale5"),
        Question(text="您办理的业务是？", kind="choice", options=("登记", "查询", "其他")),
        Question(text="您还有什么意见建议？", kind="text"),
    )
    return SurveyInvite(survey_id, "窗口单位民主评议", units, questions)


# -- getting a conversation into a given stage ------------------------------------------------------------

NAMED = "昨天上午在不动产登记中心办房产证，窗口工作人员让我跑了三趟，态度很差"
NAMED_NO_TIME = "在不动产登记中心办房产证，窗口工作人员让我跑了三趟，态度很差"
IMPLIED = "我去换驾照，等了一上午没人理，工作人员一直在玩手机"
UNCLEAR = "我去办保险，工作人员推诿扯皮让我来回跑"

_PATHS: dict[Stage, tuple[str | InboundMessage, ...]] = {
    Stage.COLLECT_TEXT: (click("REPORT"),),
    Stage.CONFIRM_UNIT: (IMPLIED,),
    Stage.CHOOSE_UNIT: (UNCLEAR,),
    Stage.ASK_WHEN: (NAMED_NO_TIME,),
    Stage.ASK_EVIDENCE: (NAMED,),
    Stage.ASK_IDENTITY: (NAMED, "没有"),
    Stage.ASK_CONTACT: (NAMED, "没有", "2"),
    Stage.REVIEW: (NAMED, "没有", "1"),
    Stage.AMEND: (NAMED, "没有", "1", "修改"),
    Stage.SUPPLEMENT: ("补充 ZY2611250001",),
    Stage.ASK_INTENT: ("想说个事",),
    Stage.PRAISE_TARGET: ("我要表扬一下",),
    Stage.SPLIT: ("昨天在社保局被推诿扯皮，后来去医保局又被骂了一顿",),
    Stage.CANCELLED: (NAMED, "取消"),
    Stage.LISTED: ("我的反映",),
    Stage.RATE_LEVEL: (event("SCAN", "rate=bdc;window=3"),),
    Stage.RATE_REASON: (event("SCAN", "rate=bdc;window=3"), "2"),
}


def drive_to(stage: Stage, **chat: object) -> Chat:
    """A chat whose conversation stands at `stage` (RESUME: a draft at ASK_EVIDENCE left idle, then 你好)."""
    conversation = Chat(my_cases=(case(),), **chat)  # type: ignore[arg-type]
    if stage is Stage.RESUME:
        conversation = drive_to(Stage.ASK_EVIDENCE, **chat)
        conversation.wait(minutes=city().limits.dialog_idle_minutes + 1)
        conversation.say("你好")
    elif stage is Stage.RATING_REASON:
        # Entered by handlers.dispatch after a 不满意 rating, not by a dialog turn.
        now = conversation.now
        conversation.state = DialogState(stage, Slots(supplement_case="ZY2611250001"), now, now)
    elif stage is Stage.SURVEY:
        conversation.survey = survey_invite()
        conversation.say("开始")
    else:
        for step in _PATHS[stage]:
            conversation.send(text(step, at=conversation.now) if isinstance(step, str) else step)
    assert conversation.stage is stage, (stage, conversation.stage, conversation.last.reply)
    return conversation
