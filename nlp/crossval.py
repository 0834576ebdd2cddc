"""Cross-validation of the complaint and history models: out-of-fold predictions, in parallel when it pays."""

from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nlp.builtin import TRAIN_FILE
from nlp.builtin import domain_vocabulary
from nlp.datasets import Record
from nlp.datasets import complaint_groups
from nlp.datasets import read_complaints
from nlp.evaluation import Report
from nlp.evaluation import evaluate
from nlp.features import BlockSpec
from nlp.learners import HeadRecipe
from nlp.learners import folds
from nlp.rules import Lexicon
from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.tfidf import count_blocks
from nlp.training import COMPLAINT_BLOCKS
from nlp.training import COMPLAINT_MAX_CHARS
from nlp.training import COMPLAINT_RECIPES
from nlp.training import HISTORY_RECIPE
from nlp.training import PARALLEL_MIN_EXAMPLES
from nlp.training import Corpus
from nlp.training import Progress
from nlp.training import _fold_predictions
from nlp.training import _history_blocks
from nlp.training import _quiet
from nlp.training import build_corpus
from nlp.training import history_corpus


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def cross_validate(
    corpus: Corpus,
    labels: dict[str, Sequence[str]],
    *,
    blocks: Sequence[BlockSpec],
    recipes: dict[str, HeadRecipe],
    n_folds: int = 5,
    groups: dict[str, Sequence[str]] | None = None,
    progress: Progress = _quiet,
) -> dict[str, Report]:
    """Stratified k-fold predictions for each head; vocabulary and IDF are fitted inside each fold."""
    counts = count_blocks(blocks, corpus.docs)
    reports = {}
    for name, values in labels.items():
        classes = sorted(set(values))
        y = np.asarray([classes.index(v) for v in values])
        predicted = np.zeros(len(y), dtype=np.int64)
        splits = folds(y, n_folds, (groups or {}).get(name))
        # Worth starting processes (each imports scikit-learn, about a second) only for real data sets.
        workers = min(len(splits), _cores()) if len(y) >= PARALLEL_MIN_EXAMPLES else 1
        progress(f"{name}: {len(splits)} folds on {workers} process{'es' if workers > 1 else ''}")
        if workers > 1:
            # Processes, not threads: liblinear has one process-wide random generator, and each fit seeds it.
            from joblib import Parallel
            from joblib import delayed

            results = Parallel(n_jobs=workers, backend="loky")(
                delayed(_fold_predictions)(counts, y, recipes[name], fold) for fold in splits
            )
        else:
            results = [_fold_predictions(counts, y, recipes[name], fold) for fold in splits]
        for (_train, test_rows), fold_predicted in zip(splits, results, strict=True):
            predicted[test_rows] = fold_predicted
        reports[name] = evaluate([classes[i] for i in y], [classes[i] for i in predicted])
    return reports


def cross_validate_complaints(
    units: Sequence[UnitSpec],
    categories: Sequence[CategorySpec],
    *,
    data: Path = TRAIN_FILE,
    n_folds: int = 5,
    progress: Progress = _quiet,
) -> dict[str, Report]:
    records = read_complaints(data)
    lexicon = Lexicon(units, categories)
    corpus = build_corpus(
        records,
        user_words=[*lexicon.words(), *domain_vocabulary()],
        max_chars=COMPLAINT_MAX_CHARS,
        hmm=False,
        lexicon=lexicon,
        progress=progress,
    )
    labels = {"category": [r.labels["category"] for r in records], "unit": [r.labels["unit"] for r in records]}
    return cross_validate(
        corpus,
        labels,
        blocks=COMPLAINT_BLOCKS,
        recipes=COMPLAINT_RECIPES,
        n_folds=n_folds,
        groups=complaint_groups(records),
        progress=progress,
    )


def cross_validate_history(
    records: Sequence[Record],
    *,
    text_cols: Sequence[str],
    label_col: str,
    n_folds: int = 5,
    user_words: Iterable[str] = (),
    corpus: Corpus | None = None,
    progress: Progress = _quiet,
) -> Report:
    """Stratified k-fold macro-F1 etc. of the history recipe on `records`."""
    blocks = _history_blocks(text_cols)
    corpus = corpus or history_corpus(records, user_words=user_words, progress=progress)
    labels = {"label": [r.labels[label_col] for r in records]}
    return cross_validate(
        corpus, labels, blocks=blocks, recipes={"label": HISTORY_RECIPE}, n_folds=n_folds, progress=progress
    )["label"]
