"""The stacked head's base learners as linear layers, on tiny synthetic splits."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.svm import LinearSVC

from nlp.learners import BaseLearner
from nlp.learners import HeadRecipe
from nlp.learners import _fit_learner
from nlp.learners import fit_head
from nlp.learners import nb_ratios


def _split(seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix, np.ndarray]:
    """Three classes, each with two cue columns of its own among 30 noise columns; rows L2-normalised."""
    rng = np.random.RandomState(seed)

    def rows(n: int) -> tuple[sp.csr_matrix, np.ndarray]:
        y = np.arange(n) % 3
        x = (rng.rand(n, 36) < 0.15) * rng.rand(n, 36)
        for i, k in enumerate(y):
            x[i, 30 + 2 * k + rng.randint(2)] = 1.0
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return sp.csr_matrix(x), y

    x, y = rows(90)
    x_test, y_test = rows(30)
    return x, y, x_test, y_test


def test_nb_ratios_are_the_log_count_ratios_of_presence() -> None:
    x = sp.csr_matrix(np.array([[0.5, 0.0, 0.2], [0.3, 0.0, 0.0], [0.0, 0.9, 0.4]]))
    positive = np.array([True, True, False])
    # presence: class (2, 0, 1) + 1 = (3, 1, 2), |.|=6; others (0, 1, 1) + 1 = (1, 2, 2), |.|=5
    expected = np.log(np.array([3, 1, 2]) / 6) - np.log(np.array([1, 2, 2]) / 5)
    assert np.allclose(nb_ratios(x, positive), expected)


def test_nbsvm_folds_into_one_linear_layer_and_learns_the_cues() -> None:
    x, y, x_test, y_test = _split()
    head = _fit_learner("nbsvm", 0.3, x, y, 3)
    for k in range(3):  # each column is the binary SVC on NB-scaled features, folded
        r = nb_ratios(x, y == k)
        svc = LinearSVC(C=0.3, random_state=0, max_iter=5000).fit(x @ sp.diags(r), (y == k).astype(int))
        assert np.allclose(head.scores(x_test)[:, k], svc.decision_function(x_test @ sp.diags(r)), atol=1e-6)
    assert (head.scores(x_test).argmax(axis=1) == y_test).mean() >= 0.9
    # the cue columns carry the class: its own cues weigh more than any other class's
    for k in range(3):
        assert head.coef[30 + 2 * k, k] > np.delete(head.coef[30 + 2 * k], k).max()


def test_a_stack_with_nbsvm_folds_and_predicts_held_out_rows() -> None:
    x, y, x_test, y_test = _split(1)
    recipe = HeadRecipe(
        stack=(
            BaseLearner("all", "svc", (("a", 1.0),)),
            BaseLearner("nb", "cnb", (("a", 1.0),)),
            BaseLearner("nbsvm", "nbsvm", (("a", 1.0),)),
        )
    )
    head = fit_head(x, y, recipe, block_names=["a"], block_sizes=[36], calibrate=False)  # checks its folding
    assert (head.scores(x_test).argmax(axis=1) == y_test).mean() >= 0.9
