"""Cross-validation of the message and history models, each next to a baseline on the same folds.

Folds are grouped: the authored corpus by voice (a fold's writers are unseen), a history table by
near-duplicate clusters (`nlp.dedup`: the same body, or character 5-gram Jaccard above 0.5), so that a
message and its copy never sit on both sides of a split, also inside a stack's inner folds. The baseline is
what one would write first: character 1–4-gram TF-IDF + LinearSVC on the raw text.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.builtin import TRAIN_FILE
from nlp.datasets import Record
from nlp.datasets import message_groups
from nlp.datasets import read_messages
from nlp.dedup import duplicate_groups
from nlp.evaluation import Report
from nlp.evaluation import evaluate
from nlp.features import BlockSpec
from nlp.learners import HeadRecipe
from nlp.learners import fit_head
from nlp.learners import folds
from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.tfidf import CountBlock
from nlp.tfidf import count_blocks
from nlp.tfidf import fit_blocks
from nlp.tfidf import transform
from nlp.training import COMPLAINT_BLOCKS
from nlp.training import COMPLAINT_RECIPES
from nlp.training import HISTORY_RECIPE
from nlp.training import PARALLEL_MIN_EXAMPLES
from nlp.training import Corpus
from nlp.training import Progress
from nlp.training import _history_blocks
from nlp.training import _quiet
from nlp.training import _usable
from nlp.training import history_corpus
from nlp.training import message_corpus
from nlp.training import message_labels

CORRUPTION = "corruption"
BASELINE_NGRAMS = (1, 4)
BASELINE_C = 1.0


@dataclass(slots=True)
class HeadResult:
    """Out-of-fold results of one head: the recipe's report, the baseline's on the same folds (if asked),
    and the recipe's out-of-fold class probabilities (softmax of its scores) for threshold studies."""

    report: Report
    baseline: Report | None
    classes: tuple[str, ...]
    truth: np.ndarray  # class indices
    probabilities: np.ndarray
    rows: np.ndarray  # which documents this head was evaluated on


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _fold_scores(
    counts: Sequence[CountBlock],
    y: np.ndarray,
    recipe: HeadRecipe,
    groups: np.ndarray | None,
    fold: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """One fold: vocabulary, IDF and classifier from the training rows only (inner folds grouped too)."""
    train_rows, test_rows = fold
    fitted = fit_blocks(counts, train_rows)
    head = fit_head(
        transform(counts, fitted, train_rows),
        y[train_rows],
        recipe,
        block_names=[f.spec.name for f in fitted],
        block_sizes=[len(f.terms) for f in fitted],
        groups=None if groups is None else list(groups[train_rows]),
        calibrate=False,
    )
    return head.scores(transform(counts, fitted, test_rows))


def _baseline_fold(texts: Sequence[str], y: np.ndarray, fold: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    train_rows, test_rows = fold
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=BASELINE_NGRAMS, sublinear_tf=True)
    x = vectorizer.fit_transform([texts[i] for i in train_rows])
    model = LinearSVC(C=BASELINE_C, random_state=0, max_iter=5000).fit(x, y[train_rows])
    return np.asarray(model.predict(vectorizer.transform([texts[i] for i in test_rows])))


def _run(jobs: list, workers: int) -> list:
    if workers <= 1:
        return [fn(*args) for fn, *args in jobs]
    # Processes, not threads: liblinear has one process-wide random generator, and each fit seeds it.
    from joblib import Parallel
    from joblib import delayed

    return list(Parallel(n_jobs=workers, backend="loky")(delayed(fn)(*args) for fn, *args in jobs))


def cross_validate(
    corpus: Corpus,
    labels: dict[str, Sequence[str | None]],
    *,
    blocks: Sequence[BlockSpec],
    recipes: dict[str, HeadRecipe],
    n_folds: int = 5,
    groups: Sequence[str] | None = None,
    texts: Sequence[str] | None = None,
    progress: Progress = _quiet,
) -> dict[str, HeadResult]:
    """Grouped, stratified k-fold results for each head, on the documents it has labels for; with `texts`,
    also the baseline's on the very same folds."""
    counts = count_blocks(blocks, corpus.docs)
    all_groups = None if groups is None else np.asarray(groups)
    results = {}
    for name, values in labels.items():
        rows = np.array([i for i, v in enumerate(values) if v is not None], dtype=np.int64)
        classes = sorted({str(values[i]) for i in rows})
        y = np.asarray([classes.index(str(values[i])) for i in rows])
        head_groups = None if all_groups is None else all_groups[rows]
        splits = folds(y, n_folds, None if head_groups is None else list(head_groups))
        head_counts = [CountBlock(c.spec, c.terms, c.counts[rows]) for c in counts]
        # Worth starting processes (each imports scikit-learn, about a second) only for real data sets.
        workers = min(len(splits), _cores()) if len(y) >= PARALLEL_MIN_EXAMPLES else 1
        progress(f"{name}: {len(splits)} folds on {workers} process{'es' if workers > 1 else ''}")
        jobs = [(_fold_scores, head_counts, y, recipes[name], head_groups, fold) for fold in splits]
        if texts is not None:
            head_texts = [texts[i] for i in rows]
            jobs += [(_baseline_fold, head_texts, y, fold) for fold in splits]
        out = _run(jobs, workers)
        scores = np.zeros((len(y), len(classes)))
        baseline = np.zeros(len(y), dtype=np.int64)
        for k, (_train, test_rows) in enumerate(splits):
            scores[test_rows] = out[k]
            if texts is not None:
                baseline[test_rows] = out[len(splits) + k]
        z = np.exp(scores - scores.max(axis=1, keepdims=True))
        truth = [classes[i] for i in y]
        results[name] = HeadResult(
            report=evaluate(truth, [classes[i] for i in scores.argmax(axis=1)]),
            baseline=evaluate(truth, [classes[i] for i in baseline]) if texts is not None else None,
            classes=tuple(classes),
            truth=y,
            probabilities=z / z.sum(axis=1, keepdims=True),
            rows=rows,
        )
    return results


def cross_validate_messages(
    units: Sequence[UnitSpec],
    categories: Sequence[CategorySpec],
    *,
    data: Path = TRAIN_FILE,
    n_folds: int = 5,
    baseline: bool = True,
    progress: Progress = _quiet,
) -> dict[str, HeadResult]:
    """Every head of the built-in recipe on `data`, folds grouped by voice, next to the baseline."""
    records = _usable(read_messages(data), units, categories)
    corpus = message_corpus(records, units, categories, progress)
    return cross_validate(
        corpus,
        message_labels(records, corpus.docs),
        blocks=COMPLAINT_BLOCKS,
        recipes=COMPLAINT_RECIPES,
        n_folds=n_folds,
        groups=message_groups(records),
        texts=[r.text for r in records] if baseline else None,
        progress=progress,
    )


def history_groups(records: Sequence[Record], progress: Progress = _quiet) -> list[str]:
    """Near-duplicate clusters of a history table: the same body, or character 5-gram Jaccard above 0.5."""
    groups = duplicate_groups([r.text for r in records], same=[str(r.extra.get("body") or "") for r in records])
    n_grouped = len(groups) - len(set(groups))
    progress(f"near-duplicates: {n_grouped} rows share a cluster with an earlier row")
    return groups


def cross_validate_history(
    records: Sequence[Record],
    *,
    text_cols: Sequence[str],
    label_col: str,
    n_folds: int = 5,
    user_words: Iterable[str] = (),
    corpus: Corpus | None = None,
    groups: Sequence[str] | None = None,
    baseline: bool = True,
    recipe: HeadRecipe = HISTORY_RECIPE,
    progress: Progress = _quiet,
) -> HeadResult:
    """k-fold results of the history recipe on `records`, next to the baseline on the same folds. Pass
    `groups=history_groups(records)` for folds that keep near-duplicates together (None: plain stratified)."""
    blocks = _history_blocks(text_cols)
    corpus = corpus or history_corpus(records, user_words=user_words, progress=progress)
    labels = {"label": [r.labels[label_col] for r in records]}
    return cross_validate(
        corpus,
        labels,
        blocks=blocks,
        recipes={"label": recipe},
        n_folds=n_folds,
        groups=groups,
        texts=[r.text for r in records] if baseline else None,
        progress=progress,
    )["label"]


def corruption_study(result: HeadResult, low: float, high: float) -> dict[str, float]:
    """What the two corruption thresholds do to out-of-fold category probabilities: 吃拿卡要 is chosen when it
    is the best category with probability ≥ `high`; flagged as a possible bribe (triage) when its probability
    is ≥ `low` and it was not chosen."""
    k = result.classes.index(CORRUPTION)
    p = result.probabilities
    truly = result.truth == k
    chosen = (p.argmax(axis=1) == k) & (p[:, k] >= high)
    flagged = (p[:, k] >= low) & ~chosen
    return {
        "argmax_recall": float((p.argmax(axis=1) == k)[truly].mean()),
        "recall": float(chosen[truly].mean()),
        "precision": float(truly[chosen].mean()) if chosen.any() else 0.0,
        "caught": float((chosen | flagged)[truly].mean()),
        "flagged_other": float(flagged[~truly].mean()),
    }


def format_message_cv(results: dict[str, HeadResult], n_folds: int) -> str:
    """Each head next to the baseline on the same voice-grouped folds, then the corruption thresholds."""
    from nlp.classifier import CORRUPTION_THRESHOLD
    from nlp.classifier import POSSIBLE_CORRUPTION_THRESHOLD

    lines = [f"{n_folds}-fold CV grouped by voice (macro-F1 / accuracy), recipe vs baseline on the same folds:"]
    for name, r in results.items():
        base = f"{r.baseline.macro_f1:.4f} / {r.baseline.accuracy:.4f}" if r.baseline else "-"
        lines.append(
            f"  {name:<9} {r.report.macro_f1:.4f} / {r.report.accuracy:.4f}   baseline {base}   n={r.report.n}"
        )
    intent = results.get("intent")
    if intent is not None:
        lines.append("  intent recall: " + "  ".join(f"{k} {v.recall:.3f}" for k, v in intent.report.per_class.items()))
    category = results.get("category")
    if category is not None and CORRUPTION in category.classes:
        lines.append("吃拿卡要 on out-of-fold probabilities (possible-corruption threshold / corruption threshold):")
        for low in sorted({0.1, 0.15, 0.2, 0.3, POSSIBLE_CORRUPTION_THRESHOLD}):
            s = corruption_study(category, low, CORRUPTION_THRESHOLD)
            mark = "  <- configured default" if low == POSSIBLE_CORRUPTION_THRESHOLD else ""
            lines.append(
                f"  {low:.2f} / {CORRUPTION_THRESHOLD:.2f}: chosen recall {s['recall']:.3f} precision "
                f"{s['precision']:.3f}; caught (chosen or flagged) {s['caught']:.3f}; other complaints flagged "
                f"{s['flagged_other']:.3f}{mark}"
            )
    return "\n".join(lines)
