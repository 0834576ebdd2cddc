"""A report about two units split into two cases: each case's own part of the story decides its category.

"在社保局办退休，社保局让我去医保局开证明，医保局窗口的人态度很差还骂人" is a 事难办 about 社保局 and a 脸难看 about
医保局: both cases keep the whole story (the context matters to both supervisors), but each is classified on the
clauses about its unit. Pure.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from handlers.config import CityConfig
from handlers.dialog.types import CaseDraft
from nlp.types import Classification

_CLAUSE = re.compile(r"[^，,。.；;！!？?\n]+")


def _names(city: CityConfig, code: str) -> tuple[str, ...]:
    unit = city.unit(code)
    if unit is None:
        return ()
    return tuple(n for n in (unit.name, *unit.aliases) if n)


def part_about(text: str, unit: str, units: list[str], city: CityConfig) -> str:
    """The clauses of `text` about `unit`: those whose first-named unit it is ("社保局让我去医保局开证明" is about
    社保局, who sent the citizen on), and those after them that name none of `units`. The whole text when no
    clause is about it."""
    names = {u: _names(city, u) for u in units}
    current: str | None = None
    mine: list[str] = []
    for clause in _CLAUSE.findall(text):
        found = [(clause.find(w), u) for u, words in names.items() for w in words if w in clause]
        if found:
            current = min(found)[1]
        if current == unit and clause.strip():
            mine.append(clause.strip())
    return "，".join(mine) or text


def split_drafts(
    draft: CaseDraft, units: list[str], city: CityConfig, classify: Callable[[str], Classification]
) -> tuple[CaseDraft, CaseDraft]:
    """The two cases of a split report, each with the category of its own part when the classifier is sure of it
    (otherwise the whole report's)."""
    out = []
    for i, unit in enumerate(units[:2]):
        part = part_about(draft.text, unit, units[:2], city)
        changes: dict[str, object] = {}
        if part != draft.text:
            c = classify(part)
            sure = city.category(c.category) is not None and (
                (c.category_confidence or c.confidence) >= city.nlp.category_threshold
            )
            if sure:
                # A possible bribe in either part still goes to the triage desk, never to 纪委 on a guess.
                doubt = bool(
                    c.extra.get("possible_corruption") or draft.classification.extra.get("possible_corruption")
                )
                changes = {"category": c.category, "classification": c, "triage": doubt}
        out.append(dataclasses.replace(draft, unit=unit, unit_source="named", window=draft.window if i == 0 else None,
                                       **changes))  # type: ignore[arg-type]  # fmt: skip
    return out[0], out[1]
