"""A retrained message model is promoted, not swapped: it replaces the live model only if it is not worse on
nlp/data/heldout.jsonl, and the command says so with both scores."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from bot.cli.nlp import nlp_cli
from bot.settings import load_city_config
from nlp.heldout import compare_with_live
from nlp.heldout import decide
from nlp.loading import ensure_model
from nlp.model import TextModel
from nlp.specs import options_from_config
from nlp.specs import specs_from_config

CITY = load_city_config()
UNITS, CATEGORIES = specs_from_config(CITY)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.getbasetemp() / "nlp-complaint-model"
    ensure_model(UNITS, CATEGORIES, directory)
    return directory


def _bad_candidate(model_dir: Path) -> TextModel:
    """The live model with its weights scrambled: a deliberately bad candidate that still loads and runs."""
    good = TextModel.load(model_dir)
    rng = np.random.RandomState(0)
    coef = good.coef[rng.permutation(good.coef.shape[0])]
    return TextModel(good.blocks, list(good.heads.values()), coef, good.intercept, good.metadata, good.dictionary)


def _live_copy(model_dir: Path, tmp_path: Path) -> Path:
    live = tmp_path / "live"
    shutil.copytree(model_dir, live)
    return live


def test_a_worse_candidate_is_refused(model_dir: Path, tmp_path: Path) -> None:
    live = _live_copy(model_dir, tmp_path)
    new, old, verdict = compare_with_live(_bad_candidate(model_dir), live, UNITS, CATEGORIES, options_from_config(CITY))
    assert old is not None and not verdict.promote
    assert verdict.candidate == pytest.approx(new.score) and verdict.live == pytest.approx(old.score)
    assert new.score < old.score - 0.1
    assert "not promoted" in verdict.message


def test_the_same_model_is_not_worse_and_no_live_model_means_promote(model_dir: Path, tmp_path: Path) -> None:
    live = _live_copy(model_dir, tmp_path)
    same = TextModel.load(model_dir)
    _new, old, verdict = compare_with_live(same, live, UNITS, CATEGORIES, options_from_config(CITY))
    assert old is not None and verdict.promote and verdict.candidate == verdict.live
    _new, old, verdict = compare_with_live(same, tmp_path / "empty", UNITS, CATEGORIES, options_from_config(CITY))
    assert old is None and verdict.promote and verdict.live is None


def test_decide_allows_a_tolerance() -> None:
    class Fake:
        def __init__(self, score: float) -> None:
            self.score = score

    assert not decide(Fake(0.80), Fake(0.81)).promote  # type: ignore[arg-type]
    assert decide(Fake(0.80), Fake(0.81), tolerance=0.02).promote  # type: ignore[arg-type]


@pytest.fixture()
def runner() -> FlaskCliRunner:
    app = Flask("nlp-promotion-test")
    app.cli.add_command(nlp_cli)
    return app.test_cli_runner()


def test_train_keeps_the_live_model_when_the_candidate_is_worse(
    runner: FlaskCliRunner, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = _live_copy(model_dir, tmp_path)
    before = (live / "model.npz").read_bytes()
    bad = _bad_candidate(model_dir)
    monkeypatch.setattr("bot.cli.nlp._train_complaints", lambda cv, with_corrections: bad)
    result = runner.invoke(args=["nlp", "train", "--out", str(live)])
    assert result.exit_code != 0
    assert "candidate on heldout.jsonl" in result.stdout and f"live model in {live}" in result.stdout
    assert "the live model is kept" in result.output and "use --force" in result.output
    assert (live / "model.npz").read_bytes() == before
    forced = runner.invoke(args=["nlp", "train", "--out", str(live), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (live / "model.npz").read_bytes() != before


def test_train_promotes_a_candidate_that_is_not_worse(
    runner: FlaskCliRunner, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = _live_copy(model_dir, tmp_path)
    good = TextModel.load(model_dir)
    monkeypatch.setattr("bot.cli.nlp._train_complaints", lambda cv, with_corrections: good)
    result = runner.invoke(args=["nlp", "train", "--out", str(live)])
    assert result.exit_code == 0, result.output
    assert "not worse, promoted" in result.stdout and "saved complaint model" in result.stdout
