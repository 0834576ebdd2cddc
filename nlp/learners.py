"""Learners for one classification head, each delivered as a single linear layer over the TF-IDF features:
a LinearSVC calibrated by temperature scaling, or a stack of LinearSVC/NB-SVM/ComplementNB learners under a
logistic regression fitted on their out-of-fold scores (folded back into one matrix). Deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

SEED = 0


class LearnerError(ValueError):
    """Labels a learner cannot be fitted on (e.g. a class missing from a training fold)."""


@dataclass(frozen=True, slots=True)
class BaseLearner:
    """One base model of a stacked head: LinearSVC, NB-SVM or ComplementNB over weighted feature blocks (a block
    without a weight is not seen). `c`: the SVCs' C, ComplementNB's alpha."""

    name: str
    kind: str  # "svc" | "cnb" | "nbsvm"
    weights: tuple[tuple[str, float], ...]
    c: float = 0.3


@dataclass(frozen=True, slots=True)
class HeadRecipe:
    """How one head is fitted: a calibrated LinearSVC, or a stack of base learners under a logistic
    regression fitted on their out-of-fold scores. Both fold into one linear layer for inference."""

    c: float = 0.5
    stack: tuple[BaseLearner, ...] = ()
    inner_folds: int = 3
    meta_c: float = 1.0
    # "balanced" weighs each class by the inverse of its frequency (a rare intent is not drowned by complaints).
    class_weight: str | None = None
    # A plain head's view of the shared blocks: multipliers by block name (1 when absent), folded into its weights.
    weights: tuple[tuple[str, float], ...] = ()


def _svc(c: float, class_weight: str | None = None) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, random_state=SEED, max_iter=5000, class_weight=class_weight)


def _stacked_scores(model: Any, x: sp.csr_matrix) -> np.ndarray:
    """Decision scores as one column per class, also for two classes (where liblinear gives one)."""
    scores = model.decision_function(x)
    if scores.ndim == 1:
        return np.column_stack([np.zeros_like(scores), scores])
    return scores


def _stacked_coef(model: Any) -> tuple[np.ndarray, np.ndarray]:
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    return coef.T, intercept


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """The T minimising the log-loss of softmax(scores / T) on held-out scores (temperature scaling)."""
    from scipy.optimize import minimize_scalar

    rows = np.arange(len(y))

    def nll(log_t: float) -> float:
        z = scores / math.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-log_p[rows, y].mean())

    result = minimize_scalar(nll, bounds=(math.log(0.01), math.log(10.0)), method="bounded")
    return float(math.exp(result.x))


def folds(y: np.ndarray, n_folds: int, groups: Sequence[str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds; with `groups`, examples sharing a group (e.g. the phrase that produced them) stay in
    one fold, so held-out scores measure unseen wording rather than recall of a template."""
    smallest = int(np.bincount(y).min())
    k = max(2, min(n_folds, smallest))
    if groups is not None:
        return _grouped_folds(y, list(groups), k)
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=SEED)
    return list(splitter.split(np.zeros(len(y)), y))


def _grouped_folds(y: np.ndarray, groups: list[str], k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Greedy stratified group k-fold: biggest groups first, each into the fold that has the fewest examples of
    its labels so far. (scikit-learn's StratifiedGroupKFold gives similar folds but takes seconds here.)"""
    members: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    names = sorted(members)
    np.random.RandomState(SEED).shuffle(names)
    names.sort(key=lambda g: -len(members[g]))  # stable: ties keep the seeded order
    n_classes = int(y.max()) + 1
    per_fold = np.zeros((k, n_classes))
    fold_of: dict[str, int] = {}
    for group in names:
        counts = np.bincount(y[members[group]], minlength=n_classes)
        labels = counts > 0
        cost = per_fold[:, labels].sum(axis=1) + 1e-3 * per_fold.sum(axis=1)
        fold = int(np.argmin(cost))
        per_fold[fold] += counts
        fold_of[group] = fold
    assignment = np.array([fold_of[g] for g in groups])
    everything = np.arange(len(y))
    return [(everything[assignment != f], everything[assignment == f]) for f in range(k)]


def _block_scaling(x_blocks: Sequence[str], sizes: Sequence[int], weights: Sequence[tuple[str, float]]) -> np.ndarray:
    """Per-column multipliers that turn the unweighted stacked matrix into one learner's weighted view."""
    table = dict(weights)
    return np.concatenate([np.full(n, table.get(name, 0.0)) for name, n in zip(x_blocks, sizes, strict=True)])


@dataclass(slots=True)
class LinearHead:
    """A fitted head as one linear layer: scores = x @ coef + intercept, probabilities softmax(scores / T)."""

    coef: np.ndarray  # (n_features, n_classes)
    intercept: np.ndarray
    temperature: float = 1.0

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(x @ self.coef) + self.intercept


def _fit_learner(
    kind: str, c: float, x: sp.csr_matrix, y: np.ndarray, n_classes: int, class_weight: str | None = None
) -> LinearHead:
    """LinearSVC, NB-SVM or ComplementNB as a linear layer (ComplementNB's log-likelihoods are linear in x too)."""
    if kind == "svc":
        coef, intercept = _stacked_coef(_svc(c, class_weight).fit(x, y))
        return LinearHead(coef, intercept)
    if kind == "nbsvm":
        return _fit_nbsvm(c, x, y, n_classes)
    from sklearn.naive_bayes import ComplementNB

    nb = ComplementNB(alpha=c).fit(x, y)
    if len(nb.classes_) != n_classes:
        raise LearnerError("every class needs examples in every training fold")
    weights = nb.feature_log_prob_.T
    # Centred per document, as the scores of the other learners are.
    return LinearHead(weights - weights.mean(axis=1, keepdims=True), np.zeros(n_classes))


def nb_ratios(x: sp.csr_matrix, positive: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """NB log-count ratios of one class against the rest (Wang & Manning 2012), from the features' presence:
    log((p / |p|₁) / (q / |q|₁)) with p, q = alpha + the number of positive / other documents using each."""
    present = (x > 0).astype(np.float64)
    p = alpha + np.asarray(present[positive].sum(axis=0)).ravel()
    q = alpha + np.asarray(present[~positive].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def _fit_nbsvm(c: float, x: sp.csr_matrix, y: np.ndarray, n_classes: int) -> LinearHead:
    """NB-SVM one against the rest: a binary LinearSVC per class on x scaled by that class's NB log-count
    ratios r; its score (x ∘ r) · w + b is x · (r ∘ w) + b, a linear layer over x."""
    if len(np.unique(y)) != n_classes:
        raise LearnerError("every class needs examples in every training fold")
    coef = np.zeros((x.shape[1], n_classes))
    intercept = np.zeros(n_classes)
    for k in range(n_classes):
        positive = y == k
        r = nb_ratios(x, positive)
        svc = _svc(c).fit((x @ sp.diags(r)).tocsr(), positive.astype(np.int64))
        coef[:, k] = r * svc.coef_.ravel()
        intercept[k] = svc.intercept_[0]
    return LinearHead(coef, intercept)


def fit_head(
    x: sp.csr_matrix,
    y: np.ndarray,
    recipe: HeadRecipe,
    *,
    block_names: Sequence[str] = (),
    block_sizes: Sequence[int] = (),
    groups: Sequence[str] | None = None,
    calibrate: bool = True,
) -> LinearHead:
    """Fit one head on rows `x` with labels `y` (0..k-1) and return it as a single linear layer.

    On one BLAS thread: multi-threaded reductions change the last bits of the logistic regression's solution,
    and with them a few predictions, depending on the machine's core count.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _fit_head(x, y, recipe, block_names, block_sizes, groups, calibrate)


def _fit_head(
    x: sp.csr_matrix,
    y: np.ndarray,
    recipe: HeadRecipe,
    block_names: Sequence[str],
    block_sizes: Sequence[int],
    groups: Sequence[str] | None,
    calibrate: bool,
) -> LinearHead:
    n_classes = int(y.max()) + 1
    if not recipe.stack:
        scale = None
        if recipe.weights:
            table = dict(recipe.weights)
            scale = _block_scaling(block_names, block_sizes, [(b, table.get(b, 1.0)) for b in block_names])
            x = (x @ sp.diags(scale)).tocsr()
        head = _fit_learner("svc", recipe.c, x, y, n_classes, recipe.class_weight)
        if calibrate:
            oof = np.zeros((len(y), n_classes))
            for train_rows, test_rows in folds(y, 5, groups):
                oof[test_rows] = _fit_learner(
                    "svc", recipe.c, x[train_rows], y[train_rows], n_classes, recipe.class_weight
                ).scores(x[test_rows])
            head.temperature = fit_temperature(oof, y)
        if scale is not None:  # scores on the shared, unscaled features stay the same
            head.coef = head.coef * scale[:, None]
        return head
    from sklearn.linear_model import LogisticRegression

    learners = []
    for base in recipe.stack:
        scale = _block_scaling(block_names, block_sizes, base.weights)
        if scale.any():
            learners.append((base, scale))
    inner = folds(y, recipe.inner_folds, groups)
    oof_parts, finals, direct = [], [], []
    probe = np.arange(min(20, x.shape[0]))
    for base, scale in learners:
        xb = (x @ sp.diags(scale)).tocsr()
        oof = np.zeros((len(y), n_classes))
        for train_rows, test_rows in inner:
            oof[test_rows] = _fit_learner(base.kind, base.c, xb[train_rows], y[train_rows], n_classes).scores(
                xb[test_rows]
            )
        spread = float(oof.std()) or 1.0
        oof_parts.append(oof / spread)
        final = _fit_learner(base.kind, base.c, xb, y, n_classes)
        direct.append(final.scores(xb[probe]) / spread)
        # Fold the column scaling and the standardisation into the learner's own weights.
        finals.append(LinearHead(final.coef * scale[:, None] / spread, final.intercept / spread))
    meta = LogisticRegression(C=recipe.meta_c, max_iter=5000).fit(np.hstack(oof_parts), y)
    m, intercept = _stacked_coef(meta)  # (n_learners * n_classes, n_classes), also for two classes
    coef = np.zeros((x.shape[1], n_classes))
    intercept = np.asarray(intercept, dtype=np.float64).copy()
    for i, learner in enumerate(finals):
        block = m[i * n_classes : (i + 1) * n_classes]
        coef += learner.coef @ block
        intercept += learner.intercept @ block
    folded = LinearHead(coef, intercept, 1.0)
    # The single layer must score exactly like base learners + meta-learner; check it here, not in production.
    if not np.allclose(folded.scores(x[probe]), _stacked_scores(meta, np.hstack(direct)), atol=1e-6):
        raise AssertionError("the folded stack does not reproduce its learners")
    # The meta-learner's softmax is itself fitted on held-out scores: no further temperature.
    return folded
