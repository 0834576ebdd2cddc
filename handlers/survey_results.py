"""A survey's results: per unit and question the counts per level or option, the mean of a scale5 question, the
sample sizes, the text answers (masked, for the office only); the unit's score 0–100; a 民主测评's result in words
for the officials' 活档案. Pure: `bot.service.surveys` reads the answer rows and calls these.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from handlers.masking import mask_text
from handlers.surveys import SCALE5
from handlers.surveys import Question


def level_score(level: int) -> float:
    """A scale5 answer on 0–100: 1 → 0, 2 → 25, 3 → 50, 4 → 75, 5 → 100."""
    return (level - 1) * 25.0


@dataclass
class QuestionResult:
    index: int
    text: str
    kind: str
    answered: int = 0  # sample size of this question (a skipped text question is not counted)
    counts: dict[str, int] = field(default_factory=dict)  # scale5: "5".."1"; choice: the option texts
    mean: float | None = None  # scale5: the mean level (1–5)
    texts: list[str] = field(default_factory=list)  # text answers, masked

    def as_dict(self, *, with_texts: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "text": self.text, "kind": self.kind, "answered": self.answered}
        if self.kind != "text":
            out["counts"] = dict(self.counts)
        if self.kind == "scale5":
            out["mean"] = self.mean
        if with_texts and self.kind == "text":
            out["texts"] = list(self.texts)
        return out


@dataclass
class UnitResult:
    unit: str
    respondents: int = 0  # sample size: one response per respondent per unit
    score: float | None = None  # 0–100 over every scale5 answer, None without any
    questions: list[QuestionResult] = field(default_factory=list)

    def as_dict(self, name: str, *, with_texts: bool = False) -> dict[str, Any]:
        return {"unit": self.unit, "name": name, "respondents": self.respondents, "score": self.score,
                "questions": [q.as_dict(with_texts=with_texts) for q in self.questions]}  # fmt: skip


def _round(value: float) -> float:
    return round(value, 2)


def summarise(questions: Sequence[Question], units: Sequence[str],
              responses: Iterable[tuple[str, Sequence[Any]]]) -> list[UnitResult]:  # fmt: skip
    """Sum up `responses` ((unit, answers aligned with `questions`)) for each of `units`, in that order."""
    results: dict[str, UnitResult] = {}
    levels: dict[str, list[int]] = {}
    for unit in units:
        results[unit] = UnitResult(unit, questions=[_empty(i, q) for i, q in enumerate(questions)])
        levels[unit] = []
    for unit, answers in responses:
        result = results.get(unit)
        if result is None:
            continue
        result.respondents += 1
        for i, question in enumerate(questions):
            value = answers[i] if i < len(answers) else None
            if value is None:
                continue
            q = result.questions[i]
            q.answered += 1
            if question.kind == "scale5" and isinstance(value, int) and value in SCALE5:
                q.counts[str(value)] += 1
                levels[unit].append(value)
            elif question.kind == "choice" and isinstance(value, int) and 0 <= value < len(question.options or ()):
                q.counts[(question.options or ())[value]] += 1
            elif question.kind == "text" and isinstance(value, str):
                q.texts.append(mask_text(value))
    for unit, result in results.items():
        for q in result.questions:
            if q.kind == "scale5" and q.answered:
                q.mean = _round(sum(int(level) * n for level, n in q.counts.items()) / q.answered)
        if levels[unit]:
            result.score = _round(sum(map(level_score, levels[unit])) / len(levels[unit]))
    return list(results.values())


def _empty(index: int, question: Question) -> QuestionResult:
    q = QuestionResult(index, question.text, question.kind)
    if question.kind == "scale5":
        q.counts = {str(level): 0 for level in sorted(SCALE5, reverse=True)}
    elif question.kind == "choice":
        q.counts = {o: 0 for o in question.options or ()}
    return q


def assessment_text(result: UnitResult) -> str:
    """A 民主测评's result for the 活档案: shares of 满意 (非常满意 and 满意), 基本满意 and 不满意 over every scale5 answer,
    the score and the number of valid votes, e.g. "满意 82%，基本满意 14%，不满意 4%，得分 71.3（有效票 96 张）"."""
    counts = {level: 0 for level in SCALE5}
    for q in result.questions:
        if q.kind == "scale5":
            for level, n in q.counts.items():
                counts[int(level)] += n
    total = sum(counts.values())
    if not total:
        return f"未收到评分（有效票 {result.respondents} 张）"
    good, fair, poor = counts[5] + counts[4], counts[3], counts[2] + counts[1]
    pct = [round(100 * n / total) for n in (good, fair, poor)]
    return (f"满意 {pct[0]}%，基本满意 {pct[1]}%，不满意 {pct[2]}%，得分 {result.score:.1f}"
            f"（有效票 {result.respondents} 张）")  # fmt: skip
