"""Turning a message into feature terms: jieba words and word pairs, character n-grams, explicit-rule tokens.

Training (scikit-learn vectorizers) and inference (`nlp.model`) call the same functions here, so a model
sees exactly the terms at inference that it was trained on.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol

from nlp.rules import Lexicon
from nlp.rules import rule_tokens
from nlp.text import WORD_RUN
from nlp.text import fold_digits
from nlp.text import model_segments
from nlp.text import normalize


class Tokenizes(Protocol):
    """What `prepare` needs of a tokenizer: `jieba.Tokenizer.tokenize` (nlp.tokenizer.Segmenter, or jieba's own)."""

    def tokenize(self, text: str, HMM: bool = ...) -> Iterable[tuple[str, int, int]]: ...  # noqa: N803


SOURCE_WORDS = "words"
SOURCE_CHARS = "chars"
SOURCE_SYMBOLS = "symbols"  # emoji, punctuation (👍, 😂, ？, ！) and the length class, unseen by character n-grams
SOURCE_RULES = "rules"  # every explicit-rule token
SOURCE_UNIT_RULES = "unit_rules"  # unit mentions only (named/svc/neg/last/contrast)
SOURCE_CUE_RULES = "cue_rules"  # category cue words only
_CUE_PREFIXES = ("cue:", "negcue:")
FIELD_TEXT = "text"
FIELD_TITLE = "title"


@dataclass(frozen=True, slots=True)
class BlockSpec:
    """One group of features with its own TF-IDF vocabulary, L2 normalisation and weight."""

    name: str
    source: str  # words | chars | rules
    field: str = FIELD_TEXT  # text | title
    min_n: int = 1
    max_n: int = 1
    weight: float = 1.0
    min_df: int = 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BlockSpec:
        return cls(**data)


@dataclass(slots=True)
class Prepared:
    """A message ready for feature extraction.

    `text` is the normalised full text (same length as the input); `segments` are the digit-folded windows
    the model reads, by field, with their offsets into `text`; `words` are jieba tokens with spans in `text`.
    """

    text: str
    segments: dict[str, list[tuple[int, str]]]
    words: dict[str, list[tuple[str, int, int]]]
    rules: list[str] = field(default_factory=list)


def is_wordlike(token: str) -> bool:
    return WORD_RUN.search(token) is not None


def prepare(
    tokenizer: Tokenizes,
    text: str,
    *,
    title: str = "",
    max_chars: int,
    hmm: bool = False,
    lexicon: Lexicon | None = None,
    normalized: str | None = None,
    rules: list[str] | None = None,
    focus: Sequence[tuple[int, int]] = (),
) -> Prepared:
    """Normalise, window, tokenise and (with a lexicon) match rules.

    Callers that already have the normalised text, the rule tokens and the spans of explicit mentions
    (`focus`, which steers the window over long texts) pass them to avoid recomputing them.
    """
    norm = normalize(text) if normalized is None else normalized
    if rules is None and lexicon is not None:
        unit_hits, cue_hits = lexicon.unit_hits(norm), lexicon.cue_hits(norm)
        rules = rule_tokens(unit_hits, cue_hits, norm)
        focus = [(h.start, h.end) for h in (*unit_hits, *cue_hits)]
    segments = {FIELD_TEXT: [(off, fold_digits(seg)) for off, seg in model_segments(norm, max_chars, focus)]}
    words = {FIELD_TEXT: _tokens(tokenizer, segments[FIELD_TEXT], hmm)}
    if title:
        title_norm = fold_digits(normalize(title))[:max_chars]
        segments[FIELD_TITLE] = [(0, title_norm)]
        words[FIELD_TITLE] = _tokens(tokenizer, segments[FIELD_TITLE], hmm)
    return Prepared(norm, segments, words, rules or [])


def _tokens(tokenizer: Tokenizes, segments: list[tuple[int, str]], hmm: bool) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    wordlike = WORD_RUN.search  # is_wordlike, without a Python call per token
    for offset, segment in segments:
        # A space between segments/tokens breaks word pairs (see word_terms); keep a marker for it.
        gap = ("", offset, offset)
        if out:
            out.append(gap)
        out += [
            (word, start + offset, end + offset) if wordlike(word) else gap
            for word, start, end in tokenizer.tokenize(segment, HMM=hmm)
        ]
    return out


def word_terms(tokens: list[tuple[str, int, int]], min_n: int, max_n: int) -> list[str]:
    """Word n-grams (n ≤ 2) over adjacent word-like tokens; punctuation and emoji break pairs."""
    terms: list[str] = []
    prev = ""
    for word, _start, _end in tokens:
        if not word:
            prev = ""
            continue
        if min_n <= 1:
            terms.append(word)
        if max_n >= 2 and prev:
            terms.append(prev + " " + word)
        prev = word
    return terms


def word_spans(tokens: list[tuple[str, int, int]], max_n: int) -> dict[str, tuple[int, int]]:
    """First span of each word term in the normalised text, for evidence."""
    spans: dict[str, tuple[int, int]] = {}
    prev: tuple[str, int, int] | None = None
    for tok in tokens:
        word, start, end = tok
        if not word:
            prev = None
            continue
        spans.setdefault(word, (start, end))
        if max_n >= 2 and prev is not None:
            spans.setdefault(prev[0] + " " + word, (prev[1], end))
        prev = tok
    return spans


def char_terms(segments: Iterable[tuple[int, str]], min_n: int, max_n: int) -> list[str]:
    """Character n-grams inside runs of CJK/letters/digits (punctuation and emoji separate runs)."""
    terms: list[str] = []
    for _offset, segment in segments:
        for run in WORD_RUN.findall(segment):
            length = len(run)
            for n in range(min_n, max_n + 1):
                if n > length:
                    break
                terms += [run[i : i + n] for i in range(length - n + 1)]
    return terms


# Upper bounds of the length classes: a greeting or an insult is short, a complaint rarely is.
_LENGTH_CLASSES = (6, 15, 40, 100)


def symbol_terms(segments: Iterable[tuple[int, str]]) -> list[str]:
    """Every character outside the word runs that is not a space (emoji, punctuation, symbols), and one term
    for the message's length class (len:1 under 6 characters … len:5 from 100 on)."""
    segments = list(segments)
    length = sum(len(segment) for _offset, segment in segments)
    length_class = 1 + sum(length >= bound for bound in _LENGTH_CLASSES)
    symbols = [ch for _offset, segment in segments for ch in WORD_RUN.sub("", segment) if not ch.isspace()]
    return [*symbols, f"len:{length_class}"]


def block_terms(block: BlockSpec, doc: Prepared) -> list[str]:
    """The terms of one feature block for one prepared message."""
    if block.source == SOURCE_RULES:
        return doc.rules
    if block.source == SOURCE_UNIT_RULES:
        return [t for t in doc.rules if not t.startswith(_CUE_PREFIXES)]
    if block.source == SOURCE_CUE_RULES:
        return [t for t in doc.rules if t.startswith(_CUE_PREFIXES)]
    if block.field not in doc.segments:
        return []
    if block.source == SOURCE_WORDS:
        return word_terms(doc.words[block.field], block.min_n, block.max_n)
    if block.source == SOURCE_CHARS:
        return char_terms(doc.segments[block.field], block.min_n, block.max_n)
    if block.source == SOURCE_SYMBOLS:
        return symbol_terms(doc.segments[block.field])
    raise ValueError(f"unknown feature source {block.source!r}")
