"""The message classifier: what the person wants (intent), which behaviour and which unit(s), with calibrated
probabilities, evidence and triage.

It combines the explicit (unit names, informal names and service words from config.yaml, negations, category
cue words) with the statistical model: explicit mentions enter the model as features whose weights were
learned from the examples, a negated unit is then removed outright, and a unit the model was never trained
on can still be chosen when it is named. Built once per process; `classify` is pure and thread-safe.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nlp.evidence import SpanLookup
from nlp.evidence import centred_weights
from nlp.evidence import evidence_mask
from nlp.evidence import top_spans
from nlp.features import FIELD_TEXT
from nlp.features import SOURCE_WORDS
from nlp.features import Prepared
from nlp.features import prepare
from nlp.history import LabelClassifier
from nlp.history import LabelPrediction
from nlp.model import KIND_COMPLAINT
from nlp.model import NO_UNIT
from nlp.model import ModelError
from nlp.model import Row
from nlp.model import TextModel
from nlp.rules import KIND_SERVICE
from nlp.rules import MULTI
from nlp.rules import Hit
from nlp.rules import Lexicon
from nlp.rules import rule_tokens
from nlp.rules import turn_position
from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.text import has_content
from nlp.text import normalize
from nlp.tokenizer import tokenizer_for
from nlp.tokenizer import tokenizer_words
from nlp.types import Candidate
from nlp.types import Classification

__all__ = ["Classifier", "LabelClassifier", "LabelPrediction"]

FALLBACK_CATEGORY = "other"
COMPLAINT = "complaint"
PRAISE = "praise"
EMPTY_INTENT = "chitchat"  # what an empty (or emoji-only) message is taken for, with confidence 0
CORRUPTION = "corruption"  # 吃拿卡要: the category whose cases also go to 纪委监委
TOP_K = 3
MAX_EVIDENCE = 8
MAX_UNITS = 3
# Defaults of config.yaml's nlp.corruption_threshold / nlp.possible_corruption_threshold (README, nlp/data/README).
CORRUPTION_THRESHOLD = 0.5
POSSIBLE_CORRUPTION_THRESHOLD = 0.15
# Share of probability given to a named unit the model has never seen (a unit added to config.yaml later).
UNSEEN_NAMED_SHARE = 0.6
# "Nothing points at any unit" wins only when the model is sure of it; otherwise the best unit is returned
# (with its low probability, so the case still goes to triage) - a guess the triage desk can confirm.
NO_UNIT_MIN = 0.5


class Classifier:
    """Classifies citizens' messages for one city; see `classify`."""

    def __init__(
        self,
        model: TextModel,
        units: Sequence[UnitSpec],
        categories: Sequence[CategorySpec],
        *,
        category_threshold: float,
        unit_threshold: float,
        corruption_threshold: float = CORRUPTION_THRESHOLD,
        possible_corruption_threshold: float = POSSIBLE_CORRUPTION_THRESHOLD,
    ) -> None:
        if model.kind != KIND_COMPLAINT or "category" not in model.heads or "unit" not in model.heads:
            raise ModelError(f"a complaint model (category + unit heads) is needed, got a {model.kind!r} model")
        self.model = model
        self.units = tuple(units)
        self.categories = tuple(categories)
        self.category_threshold = float(category_threshold)
        self.unit_threshold = float(unit_threshold)
        self.corruption_threshold = float(corruption_threshold)
        self.possible_corruption_threshold = min(float(possible_corruption_threshold), self.corruption_threshold)
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
        self._corruption = cat_head.classes.index(CORRUPTION) if CORRUPTION in cat_head.classes else None
        self._unseen_units = unit_codes - set(unit_head.classes)
        self._word_max_n = max(
            (b.spec.max_n for b in model.blocks if b.spec.source == SOURCE_WORDS and b.spec.field == FIELD_TEXT),
            default=1,
        )
        self._explains = evidence_mask(model)
        self._centred = {name: centred_weights(model, name) for name in model.heads}
        self.classify("预热")  # fault in lazily built tables now, not on the first citizen's message

    def classify(self, text: str) -> Classification:
        """Intent, category and unit(s) of one message, with candidates, confidence, evidence and triage."""
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        norm = normalize(text)
        if not has_content(norm):
            return Classification(
                category=FALLBACK_CATEGORY,
                unit=None,
                confidence=0.0,
                triage=True,
                intent=EMPTY_INTENT,
                intent_confidence=0.0,
                extra={"triage_reason": "no text", "possible_corruption": False},
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
        intent, intent_confidence = self._intent(scores)
        if intent == PRAISE:
            intent, intent_confidence = self._praise_turned(text, norm, intent, intent_confidence)

        cat_head = self.model.heads["category"]
        p_cat = _renormalise(self.model.probabilities(scores, "category") * self._cat_keep)
        cat_order = [int(i) for i in np.argsort(-p_cat, kind="stable")]
        possible_corruption = False
        if self._corruption is not None and intent == COMPLAINT:
            p_corruption = float(p_cat[self._corruption])
            weak = cat_order[0] == self._corruption and p_corruption < self.corruption_threshold
            if weak and len(cat_order) > 1:
                cat_order.append(cat_order.pop(0))  # never 吃拿卡要 (and 纪委) on a weak guess
            possible_corruption = self.possible_corruption_threshold <= p_corruption and (
                weak or cat_order[0] != self._corruption
            )
        category = cat_head.classes[cat_order[0]]
        category_confidence = float(p_cat[cat_order[0]])

        unit_classes, p_unit, suppressed, named = self._unit_probabilities(scores, unit_hits)
        unit_order = [int(i) for i in np.argsort(-p_unit, kind="stable")]
        if unit_classes[unit_order[0]] == NO_UNIT and p_unit[unit_order[0]] < NO_UNIT_MIN and len(unit_order) > 1:
            unit_order.append(unit_order.pop(0))
        best = unit_classes[unit_order[0]]
        unit = None if best == NO_UNIT or p_unit[unit_order[0]] == 0 else best
        unit_confidence = float(p_unit[unit_order[0]])
        units = self._units(scores, unit, unit_hits, suppressed, dict(zip(unit_classes, p_unit, strict=True)))

        reasons = []
        if category_confidence < self.category_threshold:
            reasons.append("category uncertain")
        if possible_corruption:
            reasons.append("possible corruption")
        if unit is None:
            reasons.append("no unit")
        elif unit_confidence < self.unit_threshold:
            reasons.append("unit uncertain")
        evidence = self._evidence(text, doc, row, unit_hits, cue_hits, intent, category, unit)
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
            intent=intent,
            intent_confidence=round(intent_confidence, 4),
            units=units,
            extra={
                "triage_reason": ", ".join(reasons),
                "possible_corruption": possible_corruption,
                "negated_units": sorted(suppressed),
                "named_units": sorted(named),
                "truncated": len(text) > self.model.max_chars,
            },
        )

    def _intent(self, scores: np.ndarray) -> tuple[str, float]:
        if "intent" not in self.model.heads:  # a model trained before intents: everything is a complaint
            return COMPLAINT, 1.0
        p = self.model.probabilities(scores, "intent")
        best = int(np.argmax(p))
        return self.model.heads["intent"].classes[best], float(p[best])

    def _praise_turned(self, text: str, norm: str, intent: str, confidence: float) -> tuple[str, float]:
        """Praise of a clerk, then “可她们科长……”: when what follows the turn is itself a complaint, the message
        is a complaint (cross-validated on the corpus: mixed praise 0.80 → 0.98 right, no praise lost)."""
        start = turn_position(norm)
        if start is None:
            return intent, confidence
        tail = norm[start:]
        doc = prepare(
            self.tokenizer,
            text[start:],
            max_chars=self.model.max_chars,
            hmm=self.model.hmm,
            normalized=tail,
            rules=rule_tokens(self.lexicon.unit_hits(tail), self.lexicon.cue_hits(tail), tail),
        )
        tail_intent, tail_confidence = self._intent(self.model.decision(self.model.vectorize(doc)))
        return (tail_intent, tail_confidence) if tail_intent == COMPLAINT else (intent, confidence)

    def _units(
        self, scores: np.ndarray, unit: str | None, hits: list[Hit], suppressed: set[str], p_unit: dict[str, float]
    ) -> tuple[str, ...]:
        """Every unit with its own grievance, strongest first: the chosen unit, then, when the message points at
        other units too and the `multi` head judges that each has its own grievance, those units."""
        if unit is None:
            return ()
        mentioned = []
        for h in hits:
            if not h.negated and h.code not in suppressed and h.code != unit and h.code in p_unit:
                if h.code not in mentioned:
                    mentioned.append(h.code)
        if not mentioned or "multi" not in self.model.heads:
            return (unit,)
        head = self.model.heads["multi"]
        if head.classes[int(np.argmax(scores[head.columns]))] != MULTI:
            return (unit,)
        others = sorted(mentioned, key=lambda code: -p_unit[code])
        return (unit, *others)[:MAX_UNITS]

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
        intent: str,
        category: str,
        unit: str | None,
    ) -> tuple[str, ...]:
        """Explicit mentions first, then the whole words the model weighed most, as literal pieces of `text`:
        for a complaint those behind its category, for anything else those behind its intent; then its unit."""
        spans: list[tuple[int, int]] = [(h.start, h.end) for h in unit_hits if h.code == unit and not h.negated]
        if intent == COMPLAINT:
            spans += [(h.start, h.end) for h in cue_hits if h.code == category and not h.negated]
        eligible = np.flatnonzero(self._explains[row.idx]) if len(row.idx) else np.zeros(0, dtype=int)
        if len(eligible):
            lookup = SpanLookup(doc, self._word_max_n)
            if intent == COMPLAINT or "intent" not in self.model.heads:
                spans += self._model_spans(row, eligible, "category", category, lookup)
            else:
                spans += self._model_spans(row, eligible, "intent", intent, lookup)
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
        self, row: Row, eligible: np.ndarray, head: str, code: str, lookup: SpanLookup, top: int = 3
    ) -> list[tuple[int, int]]:
        """Spans of the whole words that pushed `code` up the most: each feature's value times how much more
        it weighs for `code` than for the head's average class."""
        column = self._centred[head][self.model.heads[head].classes.index(code)]
        contrib = row.val[eligible] * np.take(column, row.idx[eligible])
        return top_spans(self.model, row, eligible, contrib, lookup, top)


def _renormalise(p: np.ndarray) -> np.ndarray:
    total = float(p.sum())
    return p / total if total > 0 else p
