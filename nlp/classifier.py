"""The complaint classifier: which behaviour and which unit, with probabilities, evidence and triage.

It combines the explicit (unit names, informal names and service words from config.yaml, negations, category
cue words) with the statistical model: explicit mentions enter the model as features whose weights were
learned from the examples, a negated unit is then removed outright, and a unit the model was never trained
on can still be chosen when it is named. Built once per process; `classify` is pure and thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlp.features import FIELD_TEXT
from nlp.features import SOURCE_CHARS
from nlp.features import SOURCE_WORDS
from nlp.features import BlockSpec
from nlp.features import Prepared
from nlp.features import prepare
from nlp.features import word_spans
from nlp.model import KIND_COMPLAINT
from nlp.model import KIND_HISTORY
from nlp.model import NO_UNIT
from nlp.model import ModelError
from nlp.model import Row
from nlp.model import TextModel
from nlp.rules import KIND_SERVICE
from nlp.rules import Hit
from nlp.rules import Lexicon
from nlp.rules import rule_tokens
from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.text import fold_digits
from nlp.text import has_content
from nlp.text import normalize
from nlp.tokenizer import tokenizer_for
from nlp.tokenizer import tokenizer_words
from nlp.types import Candidate
from nlp.types import Classification

FALLBACK_CATEGORY = "other"
TOP_K = 3
MAX_EVIDENCE = 8
# Share of probability given to a named unit the model has never seen (a unit added to config.yaml later).
UNSEEN_NAMED_SHARE = 0.6
# "Nothing points at any unit" wins only when the model is sure of it; otherwise the best unit is returned
# (with its low probability, so the case still goes to triage) - a guess the triage desk can confirm.
NO_UNIT_MIN = 0.5
# A model word is evidence only if it contributed at least this share of the strongest word's contribution.
EVIDENCE_FLOOR = 0.2


class Classifier:
    """Classifies complaints for one city; see `classify`."""

    def __init__(
        self,
        model: TextModel,
        units: Sequence[UnitSpec],
        categories: Sequence[CategorySpec],
        *,
        category_threshold: float,
        unit_threshold: float,
    ) -> None:
        if model.kind != KIND_COMPLAINT or "category" not in model.heads or "unit" not in model.heads:
            raise ModelError(f"a complaint model (category + unit heads) is needed, got a {model.kind!r} model")
        self.model = model
        self.units = tuple(units)
        self.categories = tuple(categories)
        self.category_threshold = float(category_threshold)
        self.unit_threshold = float(unit_threshold)
        self.lexicon = Lexicon(self.units, self.categories)
        words = set(model.metadata.get("user_words", [])) | set(tokenizer_words(self.lexicon.words()))
        self.tokenizer = tokenizer_for(model.dictionary, model.jieba_total, words)
        unit_codes = {u.code for u in self.units}
        category_codes = {c.code for c in self.categories}
        cat_head = model.heads["category"]
        unit_head = model.heads["unit"]
        # Classes the configuration no longer has are dropped; configured codes the model lacks get 0.
        self._cat_keep = np.array([c in category_codes for c in cat_head.classes])
        self._unit_keep = np.array([c in unit_codes or c == NO_UNIT for c in unit_head.classes])
        self._unseen_units = unit_codes - set(unit_head.classes)
        self._word_max_n = max(
            (b.spec.max_n for b in model.blocks if b.spec.source == SOURCE_WORDS and b.spec.field == FIELD_TEXT),
            default=1,
        )
        self._explains = _evidence_mask(model)
        self._centred = {name: _centred_weights(model, name) for name in ("category", "unit")}
        self.classify("预热")  # fault in lazily built tables now, not on the first citizen's message

    def classify(self, text: str) -> Classification:
        """Category and unit of one complaint, with candidates, confidence, evidence and the triage flag."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        norm = normalize(text)
        if not has_content(norm):
            return Classification(
                category=FALLBACK_CATEGORY, unit=None, confidence=0.0, triage=True, extra={"triage_reason": "no text"}
            )
        unit_hits = self.lexicon.unit_hits(norm)
        cue_hits = self.lexicon.cue_hits(norm)
        doc = prepare(
            self.tokenizer,
            text,
            max_chars=self.model.max_chars,
            hmm=self.model.hmm,
            normalized=norm,
            rules=rule_tokens(unit_hits, cue_hits, norm),
            focus=[(h.start, h.end) for h in (*unit_hits, *cue_hits)],
        )
        row = self.model.vectorize(doc)
        scores = self.model.decision(row)

        cat_head = self.model.heads["category"]
        p_cat = _renormalise(self.model.probabilities(scores, "category") * self._cat_keep)
        cat_order = np.argsort(-p_cat, kind="stable")
        category = cat_head.classes[cat_order[0]]
        category_confidence = float(p_cat[cat_order[0]])

        unit_classes, p_unit, suppressed, named = self._unit_probabilities(scores, unit_hits)
        unit_order = [int(i) for i in np.argsort(-p_unit, kind="stable")]
        if unit_classes[unit_order[0]] == NO_UNIT and p_unit[unit_order[0]] < NO_UNIT_MIN and len(unit_order) > 1:
            unit_order.append(unit_order.pop(0))
        best = unit_classes[unit_order[0]]
        unit = None if best == NO_UNIT or p_unit[unit_order[0]] == 0 else best
        unit_confidence = float(p_unit[unit_order[0]])

        reasons = []
        if category_confidence < self.category_threshold:
            reasons.append("category uncertain")
        if unit is None:
            reasons.append("no unit")
        elif unit_confidence < self.unit_threshold:
            reasons.append("unit uncertain")
        evidence = self._evidence(text, doc, row, unit_hits, cue_hits, category, unit)
        return Classification(
            category=category,
            unit=unit,
            confidence=round(min(category_confidence, unit_confidence), 4),
            triage=bool(reasons),
            unit_explicit=unit is not None and unit in named,
            category_candidates=tuple(
                Candidate(cat_head.classes[i], round(float(p_cat[i]), 4))
                for i in cat_order[:TOP_K]
                if round(float(p_cat[i]), 4) > 0
            ),
            unit_candidates=tuple(
                Candidate(unit_classes[i], round(float(p_unit[i]), 4))
                for i in unit_order[: TOP_K + 1]
                if unit_classes[i] != NO_UNIT and round(float(p_unit[i]), 4) > 0
            )[:TOP_K],
            evidence=evidence,
            category_confidence=round(category_confidence, 4),
            unit_confidence=round(unit_confidence, 4),
            extra={
                "triage_reason": ", ".join(reasons),
                "negated_units": sorted(suppressed),
                "named_units": sorted(named),
                "truncated": len(text) > self.model.max_chars,
            },
        )

    def _unit_probabilities(
        self, scores: np.ndarray, hits: list[Hit]
    ) -> tuple[list[str], np.ndarray, set[str], set[str]]:
        head = self.model.heads["unit"]
        classes = list(head.classes)
        p = self.model.probabilities(scores, "unit") * self._unit_keep
        named = {h.code for h in hits if not h.negated and h.kind != KIND_SERVICE}
        mentioned = {h.code for h in hits if not h.negated}
        # “不是车管所的问题” removes 车管所 unless it is also named without negation; a negated service word
        # removes its unit only if nothing else points at it.
        suppressed = {h.code for h in hits if h.negated and h.kind != KIND_SERVICE} - named
        suppressed |= {h.code for h in hits if h.negated and h.kind == KIND_SERVICE} - mentioned
        for i, code in enumerate(classes):
            if code in suppressed:
                p[i] = 0.0
        p = _renormalise(p)
        unseen = sorted(named & self._unseen_units)
        if unseen:
            p = np.concatenate([p * (1 - UNSEEN_NAMED_SHARE), np.full(len(unseen), UNSEEN_NAMED_SHARE / len(unseen))])
            classes += unseen
        return classes, p, suppressed, named

    def _evidence(
        self,
        text: str,
        doc: Prepared,
        row: Row,
        unit_hits: list[Hit],
        cue_hits: list[Hit],
        category: str,
        unit: str | None,
    ) -> tuple[str, ...]:
        """Explicit mentions first, then the words the model weighed most, as literal pieces of `text`."""
        spans: list[tuple[int, int]] = [(h.start, h.end) for h in unit_hits if h.code == unit and not h.negated]
        spans += [(h.start, h.end) for h in cue_hits if h.code == category and not h.negated]
        eligible = np.flatnonzero(self._explains[row.idx]) if len(row.idx) else np.zeros(0, dtype=int)
        if len(eligible):
            lookup = _SpanLookup(doc, self._word_max_n)
            spans += self._model_spans(row, eligible, "category", category, lookup)
            if unit is not None and unit in self.model.heads["unit"].classes:
                spans += self._model_spans(row, eligible, "unit", unit, lookup)
        out: list[str] = []
        # Nothing that overlaps a negated mention (“不是房管局”) may be shown as evidence for anything.
        taken: list[tuple[int, int]] = [(h.start, h.end) for h in unit_hits if h.negated]
        for start, end in spans:
            if any(start < e and s < end for s, e in taken):
                continue  # a model word inside a name already shown adds nothing
            piece = text[start:end]
            if piece.strip() and piece not in out:
                out.append(piece)
                taken.append((start, end))
                if len(out) >= MAX_EVIDENCE:
                    break
        return tuple(out)

    def _model_spans(
        self, row: Row, eligible: np.ndarray, head: str, code: str, lookup: _SpanLookup, top: int = 3
    ) -> list[tuple[int, int]]:
        """Spans of the words (or longer character n-grams) that pushed `code` up the most: each feature's
        value times how much more it weighs for `code` than for the head's average class."""
        column = self._centred[head][self.model.heads[head].classes.index(code)]
        contrib = row.val[eligible] * np.take(column, row.idx[eligible])
        return _top_spans(self.model, row, eligible, contrib, lookup, top)


def _top_spans(
    model: TextModel, row: Row, eligible: np.ndarray, contrib: np.ndarray, lookup: _SpanLookup, top: int
) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    order = np.argsort(-contrib, kind="stable")[: top * 2]
    floor = max(EVIDENCE_FLOOR * float(contrib[order[0]]), 0.0) if len(order) else 0.0
    for k in order:
        if contrib[k] <= floor or len(found) >= top:
            break
        spec, term = model.term(row, int(eligible[k]))
        span = lookup.find(spec.source, term)
        if span is not None:
            found.append(span)
    return found


def _centred_weights(model: TextModel, head: str) -> np.ndarray:
    """A head's weights minus their mean over its classes (a feature's pull towards each class), one
    contiguous row per class so that gathering a message's features from it is cheap."""
    weights = model.coef[:, model.heads[head].columns].astype(np.float64)
    return np.ascontiguousarray((weights - weights.mean(axis=1, keepdims=True)).T)


def _evidence_mask(model: TextModel) -> np.ndarray:
    """Which features could be shown to a supervisor: words of two or more characters and character n-grams of
    three or more from the message text, none of them filler; computed once per model."""
    mask = np.zeros(model.n_features, dtype=bool)
    for block in model.blocks:
        if block.spec.field == FIELD_TEXT and block.spec.source in (SOURCE_WORDS, SOURCE_CHARS):
            for j, term in enumerate(block.terms):
                mask[block.offset + j] = _explains(block.spec, term)
    return mask


def _explains(spec: BlockSpec, term: str) -> bool:
    if spec.field != FIELD_TEXT or spec.source not in (SOURCE_WORDS, SOURCE_CHARS):
        return False
    shortest = 2 if spec.source == SOURCE_WORDS else 3  # single characters explain nothing
    return len(term.replace(" ", "")) >= shortest and not _is_filler(term)


# Words the model may lean on that tell a supervisor nothing (“的人”, “一直在”, “然后”).
_FILLER_CHARS = frozenset(
    "的了在是我你他她它们人就都也还很又再吗呢吧啊呀嘛哦这那个些着过把被给和与跟说去来到有要一直上下"
)
_FILLER_WORDS = frozenset(
    ["时候", "然后", "就是", "那个", "这个", "今天", "昨天", "问题", "已经", "真的", "特别", "非常"]
)


def _is_filler(term: str) -> bool:
    compact = term.replace(" ", "")
    return compact in _FILLER_WORDS or all(ch in _FILLER_CHARS or ch.isdigit() for ch in compact)


class _SpanLookup:
    """Where a feature term occurs in the message, computed only when evidence asks for it."""

    def __init__(self, doc: Prepared, word_max_n: int) -> None:
        self._doc = doc
        self._word_max_n = word_max_n
        self._words: dict[str, tuple[int, int]] | None = None
        self._folded: str | None = None

    def find(self, source: str, term: str) -> tuple[int, int] | None:
        if source == SOURCE_WORDS:
            if self._words is None:
                self._words = word_spans(self._doc.words[FIELD_TEXT], self._word_max_n)
            return self._words.get(term)
        if self._folded is None:
            self._folded = fold_digits(self._doc.text)
        start = self._folded.find(term)
        return (start, start + len(term)) if start >= 0 else None


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
            lookup = _SpanLookup(doc, 2)
            for k in np.argsort(-contrib, kind="stable")[:30]:
                if contrib[k] <= 0 or len(evidence) >= 5:
                    break
                spec, term = self.model.term(row, int(everything[k]))
                if not _explains(spec, term):
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


def _renormalise(p: np.ndarray) -> np.ndarray:
    total = float(p.sum())
    return p / total if total > 0 else p
