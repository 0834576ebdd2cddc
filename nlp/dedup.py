"""Near-duplicate messages: character 5-gram Jaccard similarity, found exactly without comparing every pair.

Used to keep near-duplicates in the same cross-validation fold (a history table often holds the same message
twice, and a model that has read one copy "predicts" the other), and to check that the authored corpus has no
two messages with the same wording. The search is a prefix-filtered set-similarity join: each message's
shingles are ordered rarest first, and two sets with Jaccard ≥ t must share one of the first
|x| − ⌈t·|x|⌉ + 1 shingles of each, so only pairs that do are compared.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from nlp.text import WORD_RUN
from nlp.text import normalize

SHINGLE = 5
THRESHOLD = 0.5


def shingles(text: str, n: int = SHINGLE) -> frozenset[str]:
    """Character n-grams of the normalised text with punctuation and spaces removed; a text shorter than n is
    its own single shingle (so two identical short texts are still duplicates)."""
    compact = "".join(WORD_RUN.findall(normalize(text)))
    if len(compact) < n:
        return frozenset([compact]) if compact else frozenset()
    return frozenset(compact[i : i + n] for i in range(len(compact) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def similar_pairs(
    texts: Sequence[str], *, threshold: float = THRESHOLD, n: int = SHINGLE
) -> list[tuple[int, int, float]]:
    """Every pair (i, j, similarity) with i < j whose shingle Jaccard is above `threshold`."""
    sets = [shingles(t, n) for t in texts]
    frequency: Counter[str] = Counter()
    for s in sets:
        frequency.update(s)
    index: dict[str, list[int]] = {}
    found: list[tuple[int, int, float]] = []
    # Shorter sets first: a pair can only pass when the shorter one is at least t times the longer one.
    order = sorted(range(len(sets)), key=lambda i: (len(sets[i]), i))
    for i in order:
        current = sets[i]
        if not current:
            continue
        ranked = sorted(current, key=lambda g: (frequency[g], g))
        prefix = ranked[: len(ranked) - math.ceil(threshold * len(ranked)) + 1]
        candidates: set[int] = set()
        for gram in prefix:
            candidates.update(index.get(gram, ()))
        for j in candidates:
            other = sets[j]
            if len(other) < threshold * len(current):
                continue
            score = jaccard(current, other)
            if score > threshold:
                found.append((min(i, j), max(i, j), score))
        for gram in prefix:
            index.setdefault(gram, []).append(i)
    return sorted(found)


def duplicate_groups(
    texts: Sequence[str], *, threshold: float = THRESHOLD, n: int = SHINGLE, same: Sequence[str] | None = None
) -> list[str]:
    """A group name per text: texts linked by Jaccard above `threshold` (transitively), or sharing a non-empty
    key in `same` (e.g. the same body under different titles), get the same group."""
    parent = list(range(len(texts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    for i, j, _score in similar_pairs(texts, threshold=threshold, n=n):
        union(i, j)
    if same is not None:
        first: dict[str, int] = {}
        for i, key in enumerate(same):
            key = normalize(key).strip()
            if key:
                union(i, first.setdefault(key, i))
    return [f"dup{find(i)}" for i in range(len(texts))]
