"""Scoring predictions: accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.

Plain numpy with scikit-learn's conventions (labels = the sorted union of true and predicted labels; a class
with no predictions has precision 0), so the CLI can evaluate without importing scikit-learn.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class ClassScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Report:
    labels: tuple[str, ...]
    accuracy: float
    macro_f1: float
    per_class: dict[str, ClassScore]
    confusion: tuple[tuple[int, ...], ...]  # rows: true label, columns: predicted label, both in `labels` order
    n: int

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "labels": list(self.labels),
            "per_class": {
                label: {
                    "precision": round(s.precision, 4),
                    "recall": round(s.recall, 4),
                    "f1": round(s.f1, 4),
                    "support": s.support,
                }
                for label, s in self.per_class.items()
            },
            "confusion": [list(row) for row in self.confusion],
        }


def evaluate(y_true: Sequence[str], y_pred: Sequence[str]) -> Report:
    """Score predicted labels against true ones."""
    if len(y_true) != len(y_pred):
        raise ValueError("y_true and y_pred differ in length")
    labels = tuple(sorted(set(y_true) | set(y_pred)))
    index = {label: i for i, label in enumerate(labels)}
    confusion = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(y_true, y_pred, strict=True):
        confusion[index[t], index[p]] += 1
    tp = np.diag(confusion).astype(float)
    predicted = confusion.sum(axis=0).astype(float)
    actual = confusion.sum(axis=1).astype(float)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    n = len(y_true)
    return Report(
        labels=labels,
        accuracy=float(tp.sum() / n) if n else 0.0,
        macro_f1=float(f1.mean()) if len(labels) else 0.0,
        per_class={
            label: ClassScore(float(precision[i]), float(recall[i]), float(f1[i]), int(actual[i]))
            for i, label in enumerate(labels)
        },
        confusion=tuple(tuple(int(v) for v in row) for row in confusion),
        n=n,
    )


def _width(text: str) -> int:
    # Chinese labels take two terminal columns per character.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def format_report(title: str, report: Report) -> str:
    """A plain-text report: summary line, per-class table, confusion matrix (rows true, columns predicted)."""
    width = max([_width(label) for label in report.labels] + [8])
    lines = [
        f"== {title}: n={report.n}  accuracy={report.accuracy:.4f}  macro-F1={report.macro_f1:.4f}",
        f"{_pad('class', width)}  precision  recall      f1  support",
    ]
    for label, s in report.per_class.items():
        lines.append(f"{_pad(label, width)}  {s.precision:9.4f}  {s.recall:6.4f}  {s.f1:6.4f}  {s.support:7d}")
    lines.append("confusion (rows = true, columns = predicted, in the order above):")
    cell = max([4] + [len(str(v)) + 1 for row in report.confusion for v in row])
    for label, row in zip(report.labels, report.confusion, strict=True):
        lines.append(f"{_pad(label, width)} " + "".join(f"{v:>{cell}d}" for v in row))
    return "\n".join(lines)
