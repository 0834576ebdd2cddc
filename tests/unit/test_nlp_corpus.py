"""The authored corpus: diverse (no near-duplicates, held-out voices unseen), labelled as the guide says, and
the near-duplicate search and agreement figures computed correctly."""

from __future__ import annotations

import itertools
import json
from collections import Counter

import numpy as np
import pytest
from flask import Flask

from bot.cli.nlp import nlp_cli
from nlp.builtin import DATA_DIR
from nlp.builtin import HELDOUT_FILE
from nlp.builtin import TRAIN_FILE
from nlp.corpus_report import agreement
from nlp.corpus_report import kappa
from nlp.corpus_report import read_rows
from nlp.dedup import duplicate_groups
from nlp.dedup import jaccard
from nlp.dedup import shingles
from nlp.dedup import similar_pairs
from nlp.learners import folds
from nlp.types import INTENTS

TRAIN = read_rows(TRAIN_FILE)
HELDOUT = read_rows(HELDOUT_FILE)


def test_no_two_messages_share_their_wording() -> None:
    """Character 5-gram Jaccard above 0.5 between any two messages of authored.jsonl + heldout.jsonl fails."""
    rows = TRAIN + HELDOUT
    pairs = similar_pairs([r["text"] for r in rows], threshold=0.5)
    assert [(rows[i]["id"], rows[j]["id"], round(s, 2)) for i, j, s in pairs] == []


def test_the_held_out_set_is_written_by_other_voices() -> None:
    assert len(TRAIN) >= 3000 and len(HELDOUT) >= 600
    assert not {r["voice"] for r in TRAIN} & {r["voice"] for r in HELDOUT}
    assert not {r["id"] for r in TRAIN} & {r["id"] for r in HELDOUT}


def test_every_line_is_authored_and_labelled_as_the_guide_says() -> None:
    for row in TRAIN + HELDOUT:
        assert row["source"] == "authored" and row["text"].strip()
        assert row["intent"] in INTENTS
        assert (row["category"] is not None) == (row["intent"] == "complaint")
        assert row["units"] == ([] if row["unit"] is None else row["units"])
        assert not row["units"] or row["units"][0] == row["unit"]
        assert row["first_label"]
        if row["second_label"] is None:
            # Waiting for its blind second reading: the stored label is the author's, and it says so.
            assert row["settled"] == "pending second label"
            assert row["first_label"] == {k: row[k] for k in ("intent", "category", "unit", "units")}
        else:
            assert isinstance(row["settled"], bool)


def test_no_generated_data_is_left_in_training() -> None:
    assert sorted(p.name for p in DATA_DIR.glob("*.jsonl")) == ["authored.jsonl", "heldout.jsonl"]
    assert not (DATA_DIR / "generate.py").exists() and not (DATA_DIR / "handwritten.py").exists()


def test_the_corpus_covers_every_intent_and_category() -> None:
    intents = Counter(r["intent"] for r in TRAIN)
    assert set(intents) == set(INTENTS) and min(intents.values()) >= 40
    traits = Counter(t for r in TRAIN for t in r["traits"])
    for trait in ("dictated", "traditional", "typo", "multi-issue", "hint-bribe", "sarcasm", "mixed-praise"):
        assert traits[trait] >= 40, trait


def test_similar_pairs_finds_exactly_what_brute_force_finds() -> None:
    rng = np.random.RandomState(1)
    base = [r["text"] for r in TRAIN[:150]]
    texts = base + [t[: max(5, int(len(t) * rng.uniform(0.6, 1.0)))] + "。" for t in base[:40]] + ["好", "好", ""]
    sets = [shingles(t) for t in texts]
    brute = {(i, j) for i, j in itertools.combinations(range(len(texts)), 2) if jaccard(sets[i], sets[j]) > 0.5}
    assert {(i, j) for i, j, _ in similar_pairs(texts)} == brute
    assert len(brute) >= 30


def test_near_duplicates_and_same_bodies_share_a_group_and_a_fold() -> None:
    texts = ["公交车绕路还拒载，司机态度很差", "公交车绕路还拒载，司机态度很差！", "化工厂半夜偷排污水", "学校乱收费"]
    bodies = ["", "", "同一段正文", "同一段正文"]
    groups = duplicate_groups(texts, same=bodies)
    assert groups[0] == groups[1] and groups[2] == groups[3] and groups[0] != groups[2]
    y = np.array([0, 0, 1, 1, 0, 1, 0, 1])
    many = groups + ["a", "b", "c", "d"]
    for _train, test in folds(y, 2, many):
        assert ({0, 1} <= set(test)) or not ({0, 1} & set(test))
        assert ({2, 3} <= set(test)) or not ({2, 3} & set(test))


def test_kappa_matches_scikit_learn() -> None:
    from sklearn.metrics import cohen_kappa_score

    a = ["x", "x", "y", "z", "y", "x", "z", "z"]
    b = ["x", "y", "y", "z", "y", "x", "x", "z"]
    assert kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_agreement_counts_how_disagreements_were_settled() -> None:
    def row(first: str, second: str, final: str) -> dict:
        label = {"intent": "complaint", "unit": "bdc", "units": ["bdc"]}
        return {
            "intent": "complaint",
            "category": final,
            "unit": "bdc",
            "units": ["bdc"],
            "first_label": {**label, "category": first},
            "second_label": {**label, "category": second},
            "settled": first != second,
        }

    report = agreement([row("access", "access", "access"), row("access", "other", "other"), row("a", "b", "c")])
    assert report["settled"] == {"took the second reading": 1, "a third answer": 1}
    assert report["fields"]["category"]["disagreements"] == {"access → other": 1, "a → b": 1}


def test_agreement_leaves_single_labelled_lines_out_and_counts_them() -> None:
    def row(first: str, second: str | None) -> dict:
        label = {"intent": first, "category": None, "unit": None, "units": []}
        return {
            **label,
            "first_label": label,
            "second_label": None if second is None else {**label, "intent": second},
            "settled": "pending second label" if second is None else first != second,
        }

    both = [row("praise", "praise"), row("chitchat", "chitchat"), row("praise", "chitchat"), row("abuse", "abuse")]
    pending = [row("query", None), row("abuse", None)]
    report = agreement(both + pending)
    assert report["single_labelled"] == 2 and report["double_labelled"] == 4
    assert report["fields"]["intent"] == agreement(both)["fields"]["intent"]
    assert report["fields"]["intent"]["n"] == 4
    assert report["marked_settled"] == 1 and report["messages_with_a_disagreement"] == 1


def test_data_report_command_prints_the_figures() -> None:
    app = Flask("nlp-data-report-test")
    app.cli.add_command(nlp_cli)
    result = app.test_cli_runner().invoke(args=["nlp", "data-report", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["training"]["n"] == len(TRAIN) and report["heldout"]["n"] == len(HELDOUT)
    assert report["both"]["near_duplicate_pairs"] == [] and report["both"]["voices_in_both"] == []
    assert set(report["training"]["traits"]) >= {"dictated", "traditional", "typo", "multi-issue"}
    agree = report["both"]["agreement"]
    assert 0.95 < agree["fields"]["intent"]["kappa"] <= 1
    single = sum(r["second_label"] is None for r in TRAIN + HELDOUT)
    assert agree["single_labelled"] == single and agree["double_labelled"] == len(TRAIN) + len(HELDOUT) - single
    assert agree["fields"]["intent"]["n"] == agree["double_labelled"]
    text = app.test_cli_runner().invoke(args=["nlp", "data-report"]).output
    assert f"still single-labelled (no second label yet, left out of kappa): {single}" in text
