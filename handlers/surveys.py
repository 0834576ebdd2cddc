"""民意调查 / 民主评议: a survey as the office writes it (YAML), checked against the city; an answer read; the questions
asked in words. Pure: `bot.service.surveys` stores, sends and closes; `handlers.survey_results` sums answers up.

The YAML (README "民意调查与民主评议"):

    title: 窗口单位民主评议
    units: [zwfw, bdc]              # or all
    audience: {dealt_with_days: 90} # or {staff_of: [bdc]}: 民主测评 of the unit's leadership, through one-use links
    opens: 2026-12-07               # the city's dates: open from 00:00 of `opens` to 24:00 of `closes`
    closes: 2026-12-21
    questions:
      - {text: 您对该单位工作人员的服务态度是否满意？, kind: scale5}
      - {text: 您最常办理的业务是？, kind: choice, options: [登记, 查询, 其他]}
      - {text: 您还有什么意见建议？, kind: text}

A mistake is refused with the file and the key named: `survey.yaml: questions.1.kind: …`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any
from typing import Literal

import yaml
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import ValidationError
from pydantic import model_validator

from handlers.config import CityConfig

# The five levels of 好差评 and of every scale5 question: 5 非常满意 … 1 非常不满意.
SCALE5: dict[int, str] = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
KINDS = {"citizen": "民意调查", "staff": "民主测评"}
QUESTION_KINDS = {"scale5": "五级满意度", "choice": "单选", "text": "文字"}
MAX_TEXT_ANSWER = 500
MAX_DAYS = 365  # dealt_with_days: QR scans are kept this long for the audience


class SurveyError(ValueError):
    """A survey that cannot be created; the message names the file (or form) and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Strict):
    text: str = Field(min_length=1, max_length=120)
    kind: Literal["scale5", "text", "choice"]
    options: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _options(self) -> Question:
        if self.kind == "choice":
            if not self.options or not 2 <= len(self.options) <= 9:
                raise ValueError("a choice question needs 2 to 9 options")
            if any(not o.strip() or len(o) > 40 for o in self.options):
                raise ValueError("each option is 1 to 40 characters")
            if len(set(self.options)) != len(self.options):
                raise ValueError("options must differ")
        elif self.options is not None:
            raise ValueError(f"options are only for kind choice, not {self.kind}")
        return self


class Audience(_Strict):
    """Exactly one of: citizens who dealt with the unit in the last N days, or the staff of the listed units."""

    dealt_with_days: int | None = Field(default=None, ge=1, le=MAX_DAYS)
    staff_of: tuple[str, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> Audience:
        if (self.dealt_with_days is None) == (self.staff_of is None):
            raise ValueError("give exactly one of dealt_with_days or staff_of")
        return self


class SurveySpec(_Strict):
    title: str = Field(min_length=1, max_length=40)
    units: tuple[str, ...] | Literal["all"]
    audience: Audience
    opens: date
    closes: date
    questions: tuple[Question, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _dates(self) -> SurveySpec:
        if self.closes < self.opens:
            raise ValueError("closes must not be before opens")
        return self

    @property
    def kind(self) -> str:
        """citizen (民意调查 of those who dealt with the units) or staff (民主测评 through one-use links)."""
        return "staff" if self.audience.staff_of is not None else "citizen"

    @property
    def has_scale(self) -> bool:
        return any(q.kind == "scale5" for q in self.questions)


@dataclass(frozen=True, slots=True)
class CheckedSurvey:
    """A valid survey with its units resolved against the city (`all` expanded, 民主测评: the rated units)."""

    spec: SurveySpec
    units: tuple[str, ...]

    @property
    def kind(self) -> str:
        return self.spec.kind


class _Loader(yaml.SafeLoader):
    """Safe YAML that leaves dates as text, so a 2026-13-07 is pydantic's error on its key, not YAML's crash."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def parse_survey(text: str, *, source: str, city: CityConfig) -> CheckedSurvey:
    """Read a survey's YAML and check it against the city.

    :raises SurveyError: with `source` and the key at fault, e.g. "s.yaml: questions.0.kind: Input should be …".
    """
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise SurveyError(f"{source}: YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise SurveyError(f"{source}: (top level): a survey is a mapping with title, units, audience, opens, "
                          "closes, questions")  # fmt: skip
    return check_survey(data, source=source, city=city)


def check_survey(data: dict[str, Any], *, source: str, city: CityConfig) -> CheckedSurvey:
    try:
        spec = SurveySpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise SurveyError(f"{source}: {_key(first['loc'])}: {first['msg']}") from None
    known = {u.code for u in city.units}
    if spec.units == "all":
        units = tuple(u.code for u in city.units)
    else:
        for i, code in enumerate(spec.units):
            if code not in known:
                raise SurveyError(f"{source}: units.{i}: {code!r} is not a unit in config.yaml")
        if not spec.units:
            raise SurveyError(f"{source}: units: list at least one unit, or write all")
        units = tuple(dict.fromkeys(spec.units))
    staff = spec.audience.staff_of
    if staff is not None:
        for i, code in enumerate(staff):
            if code not in known:
                raise SurveyError(f"{source}: audience.staff_of.{i}: {code!r} is not a unit in config.yaml")
            if code not in units:
                raise SurveyError(f"{source}: audience.staff_of.{i}: {code!r} is not one of the survey's units")
        units = tuple(dict.fromkeys(staff))
    return CheckedSurvey(spec, units)


# -- answers ----------------------------------------------------------------------------------------------------


class AnswerError(ValueError):
    """An answer that does not fit its question; the message tells the citizen what to send (Chinese)."""


SKIP_WORDS = frozenset({"跳过", "略过", "没有", "无", "没了", "不填", "pass"})
_SCALE_DIGIT = re.compile(r"^(?:打|给|选)?([1-5一二三四五])(?:分|星|颗星)?$")
_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
_SCALE_WORDS = {v: k for k, v in SCALE5.items()} | {"很满意": 5, "比较满意": 4, "一般": 3, "很不满意": 1}


@functools.lru_cache(maxsize=4096)  # the dialog's matchers ask for one message's compact form several times
def compact(text: str) -> str:
    """The text without spaces and punctuation, in half-width characters, for reading one-word answers."""
    norm = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in norm if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


def read_scale(raw: str) -> int | None:
    key = compact(raw)
    m = _SCALE_DIGIT.match(key)
    if m:
        digit = m.group(1)
        return int(digit) if digit.isdigit() else _CN[digit]
    return _SCALE_WORDS.get(key)


def read_choice(raw: str, options: tuple[str, ...]) -> int | None:
    key = compact(raw)
    if key.isdigit() and 1 <= int(key) <= len(options):
        return int(key) - 1
    found = [i for i, o in enumerate(options) if compact(o) == key]
    return found[0] if found else None


def read_answer(question: Question, raw: str | None) -> int | str | None:
    """An answer as stored: a level 1–5, a 0-based option index, a text (masked on display) or None (text skipped).

    :raises AnswerError: the answer does not fit; the message says what would.
    """
    raw = (raw or "").strip()
    if question.kind == "scale5":
        level = read_scale(raw)
        if level is None:
            raise AnswerError("请回复 1–5 中的一个数字（5 非常满意 … 1 非常不满意），或直接回复“满意”“不满意”等。")
        return level
    if question.kind == "choice":
        options = question.options or ()
        index = read_choice(raw, options)
        if index is None:
            raise AnswerError(f"请回复选项前的序号（1–{len(options)}）。")
        return index
    if not raw or compact(raw).lower() in SKIP_WORDS:
        return None
    return raw[:MAX_TEXT_ANSWER]


# -- asking in words --------------------------------------------------------------------------------------------


def ask(question: Question, number: int, total: int) -> str:
    """One question as the chat asks it: its number, its text, and how to answer."""
    head = f"第{number}题（共{total}题）：{question.text}"
    if question.kind == "scale5":
        return f"{head}\n请回复数字：5 非常满意，4 满意，3 基本满意，2 不满意，1 非常不满意。"
    if question.kind == "choice":
        lines = "\n".join(f"{i} {o}" for i, o in enumerate(question.options or (), start=1))
        return f"{head}\n{lines}\n请回复序号。"
    return f"{head}\n请直接回复文字；不想填写请回复“跳过”。"


STOP_HINT = "回复“停止”可随时结束。"


def unit_list(city: CityConfig, units: tuple[str, ...] | list[str]) -> str:
    names = [city.unit_name(u) for u in units]
    return "、".join(names[:3]) + (f"等{len(names)}个单位" if len(names) > 3 else "")


def invitation_text(city: CityConfig, title: str, units: tuple[str, ...], closes: date, link: str) -> str:
    """The customer-service invitation: what, about whom, until when, how (chat or the page). No identity."""
    return (
        f"您好！{city.city.account_name}正在开展“{title}”，想听听您对{unit_list(city, units)}的评价。"
        f"问卷匿名，您的回答与身份分开保存，被评议单位看不到您是谁。\n"
        f"回复“开始”在这里作答，或打开链接填写：{link}\n"
        f"截止日期：{closes:%Y年%m月%d日}。回复“不参加”将不再就本次调查打扰您。"
    )


@dataclass(frozen=True, slots=True)
class SurveyInvite:
    """A citizen's open invitation, as the chat needs it: the survey, the units still to answer, the questions."""

    survey_id: int
    title: str
    units: tuple[str, ...]
    questions: tuple[Question, ...]


def questions_from(data: list[dict[str, Any]]) -> tuple[Question, ...]:
    return tuple(Question.model_validate(q) for q in data)
