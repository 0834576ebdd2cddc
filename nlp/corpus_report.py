"""Figures about the authored corpus: size, lengths, voices, traits, coverage, near-duplicates, and the
agreement of its two labellings (Cohen's kappa, the disagreements and how they were settled).

`flask --app bot nlp data-report` prints them; nlp/data/README.md and nlp/data/AGREEMENT.md quote them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nlp.dedup import similar_pairs

TRAITS = ("dictated", "traditional", "typo", "multi-issue", "long", "dialect", "hint-bribe", "sarcasm", "mixed-praise")
LENGTH_BUCKETS = ((1, 9), (10, 49), (50, 99), (100, 199), (200, 400), (401, 10**9))


def read_rows(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def kappa(first: Sequence[str], second: Sequence[str]) -> float:
    """Cohen's kappa of two labellings of the same items."""
    n = len(first)
    if n == 0:
        return 0.0
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / n
    ca, cb = Counter(first), Counter(second)
    expected = sum(ca[k] * cb.get(k, 0) for k in ca) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def _label(value: Any) -> str:
    return "none" if value is None else str(value)


def agreement(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Kappa per field between `first_label` and `second_label`, the confusion of their disagreements, and
    which reading the settled (stored) label took.

    Only lines with both labels count: a line still waiting for its blind second reading (`second_label`
    null) is counted as single-labelled and left out of every figure, rather than failing or counting as
    agreement."""
    single = sum(not r.get("second_label") for r in rows)
    rows = [r for r in rows if r.get("first_label") and r.get("second_label")]
    fields: dict[str, Any] = {}
    pairs = {
        "intent": [(r["first_label"]["intent"], r["second_label"]["intent"]) for r in rows],
        "category": [
            (r["first_label"]["category"], r["second_label"]["category"])
            for r in rows
            if r["first_label"]["intent"] == "complaint" and r["second_label"]["intent"] == "complaint"
        ],
        "unit": [(_label(r["first_label"]["unit"]), _label(r["second_label"]["unit"])) for r in rows],
    }
    for name, items in pairs.items():
        first, second = [_label(a) for a, _ in items], [_label(b) for _, b in items]
        confusion = Counter(f"{a} → {b}" for a, b in zip(first, second, strict=True) if a != b)
        fields[name] = {"n": len(items), "kappa": kappa(first, second), "disagreements": dict(confusion.most_common())}
    disagreeing = [r for r in rows if r["first_label"] != r["second_label"]]
    settled = Counter()
    for r in disagreeing:
        final = {k: r.get(k) for k in r["first_label"]}
        if final == r["first_label"]:
            settled["took the first reading"] += 1
        elif final == r["second_label"]:
            settled["took the second reading"] += 1
        else:
            settled["a third answer"] += 1
    units_pairs = [(r["first_label"].get("units"), r["second_label"].get("units")) for r in rows]
    return {
        "fields": fields,
        "double_labelled": len(rows),
        "single_labelled": single,
        "messages_with_a_disagreement": len(disagreeing),
        "marked_settled": sum(bool(r.get("settled")) for r in rows),
        "settled": dict(settled),
        "units_lists_differ": sum(a != b for a, b in units_pairs),
    }


def diversity(rows: Sequence[dict[str, Any]], *, threshold: float = 0.5) -> dict[str, Any]:
    """Lengths, traits, voices, coverage and the most similar pair of messages (character 5-gram Jaccard)."""
    lengths = np.array([len(r["text"]) for r in rows])
    traits = Counter(t for r in rows for t in r.get("traits") or [])
    pairs = similar_pairs([r["text"] for r in rows], threshold=threshold)
    complaints = [r for r in rows if r.get("intent", "complaint") == "complaint"]
    cells = Counter((r["category"], r["unit"]) for r in complaints if r.get("unit"))
    return {
        "n": len(rows),
        "length": {
            "min": int(lengths.min()),
            "p5": float(np.percentile(lengths, 5)),
            "median": float(np.median(lengths)),
            "p95": float(np.percentile(lengths, 95)),
            "max": int(lengths.max()),
            "buckets": {
                (f"{lo}-{hi}" if hi < 10**9 else f">{lo - 1}"): int(((lengths >= lo) & (lengths <= hi)).sum())
                for lo, hi in LENGTH_BUCKETS
            },
        },
        "traits": {t: {"n": traits.get(t, 0), "share": traits.get(t, 0) / len(rows)} for t in TRAITS},
        "intents": dict(Counter(r.get("intent", "complaint") for r in rows).most_common()),
        "voices": len({r.get("voice") for r in rows}),
        "category_unit_cells_filled": len(cells),
        "near_duplicate_pairs": [(rows[i]["id"], rows[j]["id"], round(s, 3)) for i, j, s in pairs],
    }


def corpus_report(train: Path, heldout: Path) -> dict[str, Any]:
    """Everything `nlp data-report` prints, for the training and the held-out file."""
    a, b = read_rows(train), read_rows(heldout)
    shared_voices = sorted({r.get("voice") for r in a} & {r.get("voice") for r in b})
    return {
        "training": diversity(a),
        "heldout": diversity(b),
        "both": {
            "near_duplicate_pairs": diversity(a + b)["near_duplicate_pairs"],
            "voices_in_both": shared_voices,
            "agreement": agreement(a + b),
        },
    }


def format_corpus_report(report: dict[str, Any]) -> str:
    lines = []
    for name in ("training", "heldout"):
        d = report[name]
        length = d["length"]
        lines.append(f"== {name}: {d['n']} messages by {d['voices']} voices; intents {d['intents']}")
        lines.append(
            f"length: min {length['min']}  p5 {length['p5']:.0f}  median {length['median']:.0f}  "
            f"p95 {length['p95']:.0f}  max {length['max']}  buckets {length['buckets']}"
        )
        lines.append("traits: " + "  ".join(f"{t} {v['n']} ({v['share']:.1%})" for t, v in d["traits"].items()))
        lines.append(f"category × unit cells with complaints: {d['category_unit_cells_filled']}")
    both = report["both"]
    lines.append(
        f"== both files: near-duplicate pairs (5-gram Jaccard > 0.5): {len(both['near_duplicate_pairs'])}; "
        f"voices in both: {both['voices_in_both'] or 'none'}"
    )
    agree = both["agreement"]
    lines.append(
        f"labelled twice: {agree['double_labelled']}; still single-labelled (no second label yet, "
        f"left out of kappa): {agree['single_labelled']}"
    )
    for name, field in agree["fields"].items():
        lines.append(f"kappa {name}: {field['kappa']:.3f} (n={field['n']}); disagreements {field['disagreements']}")
    lines.append(
        f"messages with a disagreement: {agree['messages_with_a_disagreement']} "
        f"(marked settled: {agree['marked_settled']}); settled: {agree['settled']}; "
        f"lists of units differing: {agree['units_lists_differ']}"
    )
    return "\n".join(lines)
