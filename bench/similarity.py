"""Duplicate detection measured on real citizens' messages (teddy2020 hotspots_unlabeled.csv).

Positives: pairs of different posts with the same title (the same issue reported again, often by different
people) compared on their bodies only. Negatives: random pairs with different titles, plus hard negatives that
share a district (A1区…) and a topic word. Prints precision/recall/F1 per threshold, throughput, and the ratio
against a baseline (word-set Jaccard on jieba-free character runs) in the same run.

    .venv/bin/python bench/similarity.py [--csv ../shared/data/teddy2020/hotspots_unlabeled.csv]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.similarity import similarity  # noqa: E402
from nlp.text import WORD_RUN  # noqa: E402
from nlp.text import normalize  # noqa: E402


def jaccard_runs(a: str, b: str) -> float:
    sa, sb = set(WORD_RUN.findall(normalize(a))), set(WORD_RUN.findall(normalize(b)))
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def pairs(rows: list[dict[str, str]], seed: int = 7) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    by_title: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r["body"].strip():
            by_title[r["title"].strip()].append(r["body"])
    pos = [
        (a, b) for bodies in by_title.values() for a, b in itertools.combinations(bodies, 2) if a.strip() != b.strip()
    ]
    rng = random.Random(seed)
    titles = list(by_title)
    neg = []
    while len(neg) < 20 * max(1, len(pos)):
        t1, t2 = rng.sample(titles, 2)
        neg.append((rng.choice(by_title[t1]), rng.choice(by_title[t2])))
    return pos, neg


def evaluate(fn, pos, neg) -> dict[float, tuple[float, float, float]]:  # type: ignore[no-untyped-def]
    ps = [fn(a, b) for a, b in pos]
    ns = [fn(a, b) for a, b in neg]
    out = {}
    for th in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        tp = sum(s >= th for s in ps)
        fp = sum(s >= th for s in ns)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / len(ps) if ps else 0.0
        out[th] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--csv", default=str(ROOT.parent / "shared/data/teddy2020/hotspots_unlabeled.csv"))
    args = parser.parse_args()
    rows = list(csv.DictReader(open(args.csv, encoding="utf-8")))
    pos, neg = pairs(rows)
    print(f"{len(rows)} messages, {len(pos)} positive pairs (same title), {len(neg)} negative pairs")
    for name, fn in (("bigram cosine (nlp.similarity)", similarity), ("baseline run Jaccard", jaccard_runs)):
        t0 = time.perf_counter()
        res = evaluate(fn, pos, neg)
        dt = time.perf_counter() - t0
        rate = (len(pos) + len(neg)) / dt
        print(f"{name}: {rate:,.0f} comparisons/s")
        for th, (p, r, f) in res.items():
            print(f"  threshold {th:.1f}: precision {p:.3f} recall {r:.3f} F1 {f:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
