"""Evidence a supervisor can read: the whole words and cue phrases that drove a decision, quoted from the text.

A feature is shown only if it is a whole word of the message as the tokenizer cut it (a jieba word, a pair of
adjacent words, or a character n-gram that is itself one whole word), never a fragment that straddles a word
boundary such as “时候我”; explicit mentions (unit names, aliases, service words, category cues from
config.yaml) are whole phrases by construction. Filler words that tell a supervisor nothing are left out.
"""

from __future__ import annotations

import numpy as np

from nlp.features import FIELD_TEXT
from nlp.features import SOURCE_CHARS
from nlp.features import SOURCE_WORDS
from nlp.features import BlockSpec
from nlp.features import Prepared
from nlp.features import word_spans
from nlp.model import Row
from nlp.model import TextModel

# A model word is evidence only if it contributed at least this share of the strongest word's contribution.
EVIDENCE_FLOOR = 0.2

# Words the model may lean on that tell a supervisor nothing (“的人”, “一直在”, “然后”).
_FILLER_CHARS = frozenset(
    "的了在是我你他她它们人就都也还很又再吗呢吧啊呀嘛哦这那个些着过把被给和与跟说去来到有要一直上下"
)
_FILLER_WORDS = frozenset(
    ["时候", "然后", "就是", "那个", "这个", "今天", "昨天", "问题", "已经", "真的", "特别", "非常", "一下", "什么"]
)


def is_filler(term: str) -> bool:
    compact = term.replace(" ", "")
    return compact in _FILLER_WORDS or all(ch in _FILLER_CHARS or ch.isdigit() for ch in compact)


def explains(spec: BlockSpec, term: str) -> bool:
    """Whether a feature could be shown at all: words of two or more characters and character n-grams of
    three or more from the message text, none of them filler (whether it is a whole word is checked per
    message, by `SpanLookup`)."""
    if spec.field != FIELD_TEXT or spec.source not in (SOURCE_WORDS, SOURCE_CHARS):
        return False
    shortest = 2 if spec.source == SOURCE_WORDS else 3  # single characters explain nothing
    if len(term.replace(" ", "")) < shortest:
        return False
    # A word pair is shown only when both of its words say something (“反映 的” says no more than 反映).
    return not any(is_filler(part) for part in term.split(" "))


def evidence_mask(model: TextModel) -> np.ndarray:
    """`explains` for every feature of a model, computed once per model."""
    mask = np.zeros(model.n_features, dtype=bool)
    for block in model.blocks:
        if block.spec.field == FIELD_TEXT and block.spec.source in (SOURCE_WORDS, SOURCE_CHARS):
            for j, term in enumerate(block.terms):
                mask[block.offset + j] = explains(block.spec, term)
    return mask


def centred_weights(model: TextModel, head: str) -> np.ndarray:
    """A head's weights minus their mean over its classes (a feature's pull towards each class), one
    contiguous row per class so that gathering a message's features from it is cheap."""
    weights = model.coef[:, model.heads[head].columns].astype(np.float64)
    return np.ascontiguousarray((weights - weights.mean(axis=1, keepdims=True)).T)


class SpanLookup:
    """Where a feature term occurs in the message as whole words; computed only when evidence asks for it."""

    def __init__(self, doc: Prepared, word_max_n: int) -> None:
        self._doc = doc
        self._word_max_n = max(1, word_max_n)
        self._words: dict[str, tuple[int, int]] | None = None

    def find(self, source: str, term: str) -> tuple[int, int] | None:
        """The span of `term` if it is a whole word (or, for a word pair, two adjacent whole words), else None.

        A character n-gram counts only when the tokenizer cut exactly that string as one word: “玩手机” in
        “一直玩手机” may be shown, “时候我” never is.
        """
        if self._words is None:
            self._words = word_spans(self._doc.words[FIELD_TEXT], self._word_max_n)
        if source == SOURCE_WORDS:
            return self._words.get(term)
        if source == SOURCE_CHARS and " " not in term:
            return self._words.get(term)
        return None


def top_spans(
    model: TextModel, row: Row, eligible: np.ndarray, contrib: np.ndarray, lookup: SpanLookup, top: int
) -> list[tuple[int, int]]:
    """Spans of up to `top` features with the largest positive contributions that are whole words."""
    found: list[tuple[int, int]] = []
    order = np.argsort(-contrib, kind="stable")[: top * 4]
    floor = max(EVIDENCE_FLOOR * float(contrib[order[0]]), 0.0) if len(order) else 0.0
    for k in order:
        if contrib[k] <= floor or len(found) >= top:
            break
        spec, term = model.term(row, int(eligible[k]))
        span = lookup.find(spec.source, term)
        if span is not None and span not in found:
            found.append(span)
    return found
