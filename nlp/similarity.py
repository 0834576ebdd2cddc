"""Near-duplicate detection between complaints: character-bigram shingles and cosine similarity.

Two citizens describing the same incident share most of its character bigrams (unit, window, service, what
was done) even when their wording differs; bigrams need no tokenizer, so this is cheap enough to compare a
new case with every open case about the same unit at intake. Measured on real text by `bench/similarity.py`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from nlp.text import WORD_RUN
from nlp.text import normalize

# Above this, two complaints about the same unit within a week are linked as related: on real messages it gave
# precision 0.98 at recall 0.78 (bench/similarity.py); a link only asks staff to look, a merge is their call.
DEFAULT_THRESHOLD = 0.4
_MAX_CHARS = 2000  # long transcripts: the first part carries the incident


def shingles(text: str) -> Counter[str]:
    grams: Counter[str] = Counter()
    for run in WORD_RUN.findall(normalize(text[:_MAX_CHARS])):
        if len(run) == 1:
            grams[run] += 1
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def cosine(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0) for k, v in a.items())
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm if norm else 0.0


def similarity(a: str, b: str) -> float:
    return cosine(shingles(a), shingles(b))


@dataclass(frozen=True, slots=True)
class Match:
    key: str
    score: float


def similar(text: str, candidates: Iterable[tuple[str, str]], *, threshold: float = DEFAULT_THRESHOLD) -> list[Match]:
    """Candidates (key, text) at or above the threshold, most similar first."""
    base = shingles(text)
    found = [Match(key, cosine(base, shingles(other))) for key, other in candidates]
    return sorted((m for m in found if m.score >= threshold), key=lambda m: -m.score)
