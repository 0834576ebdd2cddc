"""A citizen's messages that belong to an existing case rather than to a new report: ratings and answers.

`followup_for` is the rule for which case (if any) a citizen's next message belongs to: a case waiting for their
rating first, then a case whose supervisor asked them a question.

After a case is answered the citizen is asked to rate the outcome (1 已解决 / 2 部分解决 / 3 未解决) and the
conduct (A 满意 / B 基本满意 / C 不满意); after a supervisor's question, the next message is the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass

from handlers.lifecycle import RATING_STATES
from handlers.lifecycle import CaseState

OUTCOMES = {"1": "已解决", "2": "部分解决", "3": "未解决"}
CONDUCT = {"A": "满意", "B": "基本满意", "C": "不满意"}
_WORDS_OUTCOME = {"已解决": "1", "部分解决": "2", "未解决": "3", "没解决": "3", "没有解决": "3"}
_WORDS_CONDUCT = {"基本满意": "B", "不满意": "C", "满意": "A"}


@dataclass(frozen=True, slots=True)
class Rating:
    outcome: str  # 1 | 2 | 3
    conduct: str  # A | B | C

    @property
    def satisfied(self) -> bool:
        return self.outcome != "3" and self.conduct != "C"

    @property
    def label(self) -> str:
        return f"{OUTCOMES[self.outcome]}，{CONDUCT[self.conduct]}"


# A rating in one word, as people answer when they do not follow the format: the outcome is read from it too.
_ONE_WORD = {
    "非常满意": ("1", "A"), "很满意": ("1", "A"), "满意": ("1", "A"), "挺满意": ("1", "A"), "好评": ("1", "A"),
    "基本满意": ("2", "B"), "还行": ("2", "B"), "一般": ("2", "B"), "还可以": ("2", "B"),
    "不满意": ("3", "C"), "很不满意": ("3", "C"), "非常不满意": ("3", "C"), "差评": ("3", "C"), "没解决": ("3", "C"),
    "没有解决": ("3", "C"), "未解决": ("3", "C"),
}  # fmt: skip
_ONE_WORD_KEY = re.compile(r"[\s，,。.！!~～]+")


def parse_rating(text: str) -> Rating | None:
    """'1A', '1 a', '已解决 满意', '3C', '未解决，不满意', or one word ('满意', '不满意', '差评') → Rating."""
    word = _ONE_WORD_KEY.sub("", text)
    if word in _ONE_WORD:
        return Rating(*_ONE_WORD[word])
    t = text.strip().upper().replace("，", " ").replace(",", " ")
    m = re.fullmatch(r"([123])\s*([ABC])", t)
    if m:
        return Rating(m.group(1), m.group(2))
    outcome = next((v for k, v in sorted(_WORDS_OUTCOME.items(), key=lambda kv: -len(kv[0])) if k in t), None)
    rest = t
    if outcome:
        for k in sorted(_WORDS_OUTCOME, key=len, reverse=True):
            rest = rest.replace(k, " ")
    conduct = next((v for k, v in sorted(_WORDS_CONDUCT.items(), key=lambda kv: -len(kv[0])) if k in rest), None)
    if outcome and conduct:
        return Rating(outcome, conduct)
    return None


# The five words of a 12345 platform's satisfaction survey, as (outcome, conduct): the top three are satisfied
# (the case is 办结), the bottom two are not (重办); only 非常不满意 marks the staff's conduct 不满意.
FIVE_LEVELS: dict[str, tuple[str, str]] = {
    "非常满意": ("1", "A"),
    "满意": ("1", "B"),
    "基本满意": ("2", "B"),
    "不满意": ("3", "B"),
    "非常不满意": ("3", "C"),
}


def rating_from(
    *, outcome: str | None = None, conduct: str | None = None, satisfaction: str | None = None
) -> Rating | None:
    """A rating another channel sends: outcome 1–3 with conduct A–C, or one of the five satisfaction words."""
    if satisfaction:
        found = FIVE_LEVELS.get(satisfaction.strip())
        return Rating(*found) if found else None
    o, c = (outcome or "").strip(), (conduct or "").strip().upper()
    return Rating(o, c) if o in OUTCOMES and c in CONDUCT else None


RATING_NUDGE = (
    "请按“数字+字母”的格式评价，例如“1A”：\n1 已解决 / 2 部分解决 / 3 未解决；A 满意 / B 基本满意 / C 不满意。"
)


@dataclass(frozen=True, slots=True)
class Followup:
    kind: str  # rating | question
    number: str


def followup_for(
    cases: Iterable[tuple[str, str, int]], last_message_kind: Callable[[int], str | None]
) -> Followup | None:
    """`cases` are the citizen's recent (number, state, id), newest first; `last_message_kind(id)` is looked up only
    for a case in progress, so a citizen with nothing pending costs no query."""
    cases = list(cases)
    for number, state, _id in cases:
        if state in RATING_STATES:
            return Followup("rating", number)
    for number, state, case_id in cases:
        if state == CaseState.IN_PROGRESS and last_message_kind(case_id) == "question":
            return Followup("question", number)
    return None
