"""A city's history model applied to messages: one `label` head (e.g. policy areas from 12345 records)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nlp.evidence import SpanLookup
from nlp.evidence import explains
from nlp.features import FIELD_TEXT
from nlp.features import prepare
from nlp.model import KIND_HISTORY
from nlp.model import ModelError
from nlp.model import TextModel
from nlp.text import has_content
from nlp.text import normalize
from nlp.tokenizer import tokenizer_for
from nlp.types import Candidate

TOP_K = 3


@dataclass(frozen=True, slots=True)
class LabelPrediction:
    """A history model's answer for one message."""

    label: str
    confidence: float
    candidates: tuple[Candidate, ...]
    evidence: tuple[str, ...]


class LabelClassifier:
    """Applies a history model (one `label` head, e.g. policy areas from 12345 records) to messages."""

    def __init__(self, model: TextModel) -> None:
        if model.kind != KIND_HISTORY or "label" not in model.heads:
            raise ModelError(f"a history model (label head) is needed, got a {model.kind!r} model")
        self.model = model
        self.tokenizer = tokenizer_for(model.dictionary, model.jieba_total, model.metadata.get("user_words", []))
        self.text_cols: list[str] = list(model.metadata.get("text_cols", ["text"]))
        self._uses_title = any(b.spec.field != FIELD_TEXT for b in model.blocks)

    def predict(self, text: str, title: str = "") -> LabelPrediction:
        """The label of one message (`title` only matters for models trained with several text columns)."""
        head = self.model.heads["label"]
        norm = normalize(text)
        if not has_content(norm) and not has_content(normalize(title)):
            return LabelPrediction(head.classes[0], 0.0, (), ())
        doc = prepare(
            self.tokenizer,
            text,
            title=title if self._uses_title else "",
            max_chars=self.model.max_chars,
            hmm=self.model.hmm,
            normalized=norm,
            rules=[],
        )
        row = self.model.vectorize(doc)
        p = self.model.probabilities(self.model.decision(row), "label")
        order = np.argsort(-p, kind="stable")
        evidence: list[str] = []
        if len(row.idx):
            # A history model has hundreds of thousands of features: check the few strongest lazily.
            everything = np.arange(len(row.idx))
            contrib = self.model.contributions(row, "label", int(order[0]))
            lookup = SpanLookup(doc, 2)
            for k in np.argsort(-contrib, kind="stable")[:30]:
                if contrib[k] <= 0 or len(evidence) >= 5:
                    break
                spec, term = self.model.term(row, int(everything[k]))
                if not explains(spec, term):
                    continue
                span = lookup.find(spec.source, term)
                if span is not None and text[span[0] : span[1]] not in evidence:
                    evidence.append(text[span[0] : span[1]])
        return LabelPrediction(
            label=head.classes[order[0]],
            confidence=round(float(p[order[0]]), 4),
            candidates=tuple(Candidate(head.classes[i], round(float(p[i]), 4)) for i in order[:TOP_K]),
            evidence=tuple(evidence),
        )
