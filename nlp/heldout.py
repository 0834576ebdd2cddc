"""Measuring a message model on labelled messages (nlp/data/heldout.jsonl), and deciding whether a retrained
model may replace the live one.

Every figure of nlp/data/README.md's results table comes from `evaluate_messages`; `flask --app bot nlp eval
nlp/data/heldout.jsonl` prints them. A candidate is promoted only if its `score` on the held-out set is not
below the live model's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Protocol

from nlp.builtin import HELDOUT_FILE
from nlp.datasets import Record
from nlp.datasets import read_messages
from nlp.evaluation import Report
from nlp.evaluation import evaluate
from nlp.model import KIND_COMPLAINT
from nlp.model import NO_UNIT
from nlp.model import ModelError
from nlp.model import TextModel
from nlp.model import read_metadata
from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.types import Classification

COMPLAINT = "complaint"
CORRUPTION = "corruption"


class _Classifies(Protocol):
    def classify(self, text: str) -> Classification: ...


@dataclass(frozen=True, slots=True)
class MessageEvaluation:
    """Reports per head plus the figures that matter most, on one set of labelled messages."""

    intent: Report
    category: Report  # on the messages labelled complaints
    unit: Report  # on every message ("none" when no unit)
    summary: dict[str, float]

    @property
    def score(self) -> float:
        """The promotion score: the mean of intent accuracy, category macro-F1, unit accuracy and 吃拿卡要
        recall (a missed bribe counts as much as the rest of a category)."""
        keys = ("intent_accuracy", "category_macro_f1", "unit_accuracy", "corruption_recall")
        return sum(self.summary[k] for k in keys) / len(keys)

    def to_json(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "summary": {k: round(v, 4) if isinstance(v, float) else v for k, v in self.summary.items()},
            "intent": self.intent.to_json(),
            "category": self.category.to_json(),
            "unit": self.unit.to_json(),
        }


def _share(hits: Sequence[bool]) -> float:
    return sum(hits) / len(hits) if hits else 0.0


def _unit(code: str | None) -> str:
    return "none" if code in (None, NO_UNIT) else str(code)


def evaluate_messages(classifier: _Classifies, records: Sequence[Record]) -> MessageEvaluation:
    """Classify every record and score intent, category (complaints), unit (named, implied, none), 吃拿卡要
    (chosen, or flagged for triage as a possible bribe) and the split into several units."""
    results = [classifier.classify(r.text) for r in records]
    intent = evaluate([r.labels["intent"] for r in records], [c.intent for c in results])
    complaints = [i for i, r in enumerate(records) if "category" in r.labels]
    category = evaluate([records[i].labels["category"] for i in complaints], [results[i].category for i in complaints])
    unit_ok = [_unit(r.labels["unit"]) == _unit(c.unit) for r, c in zip(records, results, strict=True)]
    unit = evaluate([_unit(r.labels["unit"]) for r in records], [_unit(c.unit) for c in results])
    named = [ok for ok, r in zip(unit_ok, records, strict=True) if r.extra.get("named") is True]
    implied = [ok for ok, r in zip(unit_ok, records, strict=True) if not r.extra.get("named") and _has_unit(r)]
    nothing = [ok for ok, r in zip(unit_ok, records, strict=True) if not _has_unit(r)]
    corrupt = [i for i in complaints if records[i].labels["category"] == CORRUPTION]
    honest = [i for i in complaints if records[i].labels["category"] != CORRUPTION]
    flagged = [bool(results[i].extra.get("possible_corruption")) for i in range(len(results))]
    several = [i for i, r in enumerate(records) if len(r.extra.get("units") or []) > 1]
    single = [i for i, r in enumerate(records) if len(r.extra.get("units") or []) <= 1]
    summary: dict[str, float] = {
        "n": len(records),
        "intent_accuracy": intent.accuracy,
        "intent_macro_f1": intent.macro_f1,
        "complaint_recall": intent.per_class[COMPLAINT].recall if COMPLAINT in intent.per_class else 0.0,
        "complaint_precision": intent.per_class[COMPLAINT].precision if COMPLAINT in intent.per_class else 0.0,
        "complaints": len(complaints),
        "category_accuracy": category.accuracy if complaints else 0.0,
        "category_macro_f1": category.macro_f1 if complaints else 0.0,
        "corruption": len(corrupt),
        "corruption_recall": _share([results[i].category == CORRUPTION for i in corrupt]),
        "corruption_caught": _share([results[i].category == CORRUPTION or flagged[i] for i in corrupt]),
        "corruption_precision": _share(
            [records[i].labels.get("category") == CORRUPTION for i in complaints if results[i].category == CORRUPTION]
        ),
        "possible_corruption_share_of_other_complaints": _share([flagged[i] for i in honest]),
        "unit_accuracy": unit.accuracy,
        "unit_accuracy_complaints": _share([unit_ok[i] for i in complaints]),
        "unit_named": len(named),
        "unit_named_accuracy": _share(named),
        "unit_implied": len(implied),
        "unit_implied_accuracy": _share(implied),
        "unit_none": len(nothing),
        "unit_none_accuracy": _share(nothing),
        "several_units": len(several),
        "several_units_found": _share([_same_units(records[i], results[i]) for i in several]),
        "single_unit_split": _share([len(results[i].units) > 1 for i in single]),
    }
    return MessageEvaluation(intent, category, unit, summary)


def _has_unit(record: Record) -> bool:
    return record.labels["unit"] not in (None, NO_UNIT)


def _same_units(record: Record, result: Classification) -> bool:
    wanted = list(record.extra.get("units") or [])
    return bool(result.units) and result.units[0] == wanted[0] and set(result.units) == set(wanted)


def format_summary(title: str, evaluation: MessageEvaluation) -> str:
    s = evaluation.summary
    recalls = "  ".join(f"{k} {v.recall:.3f}" for k, v in evaluation.intent.per_class.items())
    return "\n".join(
        [
            f"== {title}: {s['n']:.0f} messages, promotion score {evaluation.score:.4f}",
            f"intent     accuracy {s['intent_accuracy']:.4f}  macro-F1 {s['intent_macro_f1']:.4f}  "
            f"complaint recall {s['complaint_recall']:.4f}  precision {s['complaint_precision']:.4f}",
            f"           recall by intent: {recalls}",
            f"category   accuracy {s['category_accuracy']:.4f}  macro-F1 {s['category_macro_f1']:.4f}  "
            f"(on {s['complaints']:.0f} complaints)",
            f"吃拿卡要   recall {s['corruption_recall']:.4f}  caught (chosen or flagged) {s['corruption_caught']:.4f}  "
            f"precision {s['corruption_precision']:.4f}  (n={s['corruption']:.0f}); flagged among other complaints "
            f"{s['possible_corruption_share_of_other_complaints']:.4f}",
            f"unit       accuracy {s['unit_accuracy']:.4f} (complaints {s['unit_accuracy_complaints']:.4f}); "
            f"named {s['unit_named_accuracy']:.4f} (n={s['unit_named']:.0f})  implied "
            f"{s['unit_implied_accuracy']:.4f} (n={s['unit_implied']:.0f})  none {s['unit_none_accuracy']:.4f} "
            f"(n={s['unit_none']:.0f})",
            f"units      two or more found {s['several_units_found']:.4f} (n={s['several_units']:.0f}); "
            f"one unit split by mistake {s['single_unit_split']:.4f}",
        ]
    )


@dataclass(frozen=True, slots=True)
class Promotion:
    promote: bool
    candidate: float
    live: float | None
    message: str


def decide(candidate: MessageEvaluation, live: MessageEvaluation | None, *, tolerance: float = 0.0) -> Promotion:
    """Promote when there is no live model, or when the candidate's held-out score is not below the live
    model's (minus `tolerance`)."""
    if live is None:
        return Promotion(True, candidate.score, None, f"no live model; candidate {candidate.score:.4f}")
    verdict = candidate.score >= live.score - tolerance
    comparison = f"candidate {candidate.score:.4f} vs live {live.score:.4f}"
    if verdict:
        return Promotion(True, candidate.score, live.score, f"{comparison}: not worse, promoted")
    return Promotion(False, candidate.score, live.score, f"{comparison}: worse on the held-out set, not promoted")


def heldout_records(
    units: Sequence[UnitSpec], categories: Sequence[CategorySpec], path: Path = HELDOUT_FILE
) -> list[Record]:
    """The held-out messages whose labels the configuration knows."""
    unit_codes = {u.code for u in units} | {NO_UNIT}
    category_codes = {c.code for c in categories}
    return [
        r
        for r in read_messages(path)
        if r.labels["unit"] in unit_codes and r.labels.get("category", "") in category_codes | {""}
    ]


def compare_with_live(
    candidate: TextModel,
    live_dir: Path,
    units: Sequence[UnitSpec],
    categories: Sequence[CategorySpec],
    options: dict[str, float],
    *,
    heldout: Path = HELDOUT_FILE,
    tolerance: float = 0.0,
) -> tuple[MessageEvaluation, MessageEvaluation | None, Promotion]:
    """Both models on the held-out set, and whether the candidate may replace the model in `live_dir` (a
    directory without a message model, or with another kind of model, has nothing to compare with)."""
    from nlp.classifier import Classifier

    records = heldout_records(units, categories, heldout)
    new = evaluate_messages(Classifier(candidate, units, categories, **options), records)
    metadata = read_metadata(live_dir)
    old = None
    if metadata is not None and metadata.get("kind") == KIND_COMPLAINT:
        try:
            old = evaluate_messages(Classifier(TextModel.load(live_dir), units, categories, **options), records)
        except ModelError:
            old = None  # an unreadable live model is no model: the candidate replaces it
    return new, old, decide(new, old, tolerance=tolerance)
