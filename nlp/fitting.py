"""Fitting a `TextModel`: tokenise a corpus (with a jieba dictionary pruned to its texts), fit TF-IDF blocks and
one linear head per task, and export everything as numpy arrays checked to reproduce the fitted model.

Imports scikit-learn (through `nlp.learners`) only when a head is fitted.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from nlp.datasets import DataError
from nlp.datasets import Record
from nlp.features import BlockSpec
from nlp.features import Prepared
from nlp.features import prepare
from nlp.learners import HeadRecipe
from nlp.learners import fit_head
from nlp.model import Block
from nlp.model import Head
from nlp.model import TextModel
from nlp.rules import Lexicon
from nlp.text import fold_digits
from nlp.text import normalize
from nlp.tfidf import count_blocks
from nlp.tfidf import fit_blocks
from nlp.tfidf import transform
from nlp.tokenizer import jieba_dictionary_size
from nlp.tokenizer import prune_dictionary
from nlp.tokenizer import tokenizer_for
from nlp.tokenizer import tokenizer_words

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


@dataclass(slots=True)
class Corpus:
    """Prepared documents plus everything needed to rebuild the same tokenizer at inference."""

    docs: list[Prepared]
    dictionary: str
    jieba_total: int
    user_words: list[str]


def build_corpus(
    records: Sequence[Record],
    *,
    user_words: Iterable[str],
    max_chars: int,
    hmm: bool,
    lexicon: Lexicon | None,
    progress: Progress = _quiet,
) -> Corpus:
    """Normalise, prune jieba's dictionary to these texts, tokenise: the part of training that needs jieba."""
    words = tokenizer_words(user_words)
    progress("reading jieba's dictionary")
    full_size, total = jieba_dictionary_size()
    # Every character the tokenizer could be shown (windows of long texts are a subset of the whole text).
    texts = [fold_digits(normalize(r.text)) for r in records]
    texts += [fold_digits(normalize(r.title))[:max_chars] for r in records if r.title]
    pruned = prune_dictionary([*texts, *words])
    dictionary = "".join(f"{w} {pruned[w]}\n" for w in pruned)
    progress(f"dictionary: {len(pruned)} of {full_size} jieba words occur in the texts, +{len(words)} own words")
    tokenizer = tokenizer_for(dictionary, total, words)
    docs = []
    step = max(1, len(records) // 10)
    for i, record in enumerate(records):
        if i and i % step == 0:
            progress(f"tokenised {i}/{len(records)}")
        docs.append(prepare(tokenizer, record.text, title=record.title, max_chars=max_chars, hmm=hmm, lexicon=lexicon))
    return Corpus(docs, dictionary, total, words)


def fit_model(
    corpus: Corpus,
    labels: dict[str, Sequence[str | None]],
    *,
    blocks: Sequence[BlockSpec],
    recipes: dict[str, HeadRecipe],
    metadata: dict[str, Any],
    groups: Sequence[str] | None = None,
    progress: Progress = _quiet,
) -> TextModel:
    """Fit every head and export a numpy `TextModel` (checked against the training matrix).

    The features are fitted on all documents; each head on the documents it has a label for (None: not this
    head's business, e.g. the category of a praise). A plain head's temperature is fitted on out-of-fold
    scores, grouped by `groups` (one per document) when given.
    """
    counts = count_blocks(blocks, corpus.docs)
    everything = np.arange(len(corpus.docs))
    fitted = fit_blocks(counts, everything)
    x = transform(counts, fitted, everything)
    progress(f"features: {x.shape[1]} over {len(fitted)} blocks")
    heads: list[Head] = []
    coefs: list[np.ndarray] = []
    intercepts: list[np.ndarray] = []
    head_examples: dict[str, int] = {}
    column = 0
    for name, values in labels.items():
        rows = np.array([i for i, v in enumerate(values) if v is not None], dtype=np.int64)
        present = [str(values[i]) for i in rows]
        classes = sorted(set(present))
        if len(classes) < 2:
            raise DataError(f"{name}: need at least two different labels, got {classes}")
        y = np.asarray([classes.index(v) for v in present])
        recipe = recipes[name]
        kind = f"a stack of {len(recipe.stack)} learners" if recipe.stack else "a calibrated LinearSVC"
        progress(f"{name}: fitting {kind} on {len(y)} examples, {len(classes)} classes")
        head = fit_head(
            x[rows],
            y,
            recipe,
            block_names=[f.spec.name for f in fitted],
            block_sizes=[len(f.terms) for f in fitted],
            groups=None if groups is None else [groups[i] for i in rows],
        )
        coefs.append(head.coef)
        intercepts.append(head.intercept)
        heads.append(Head(name, tuple(classes), slice(column, column + len(classes)), head.temperature))
        head_examples[name] = len(y)
        column += len(classes)
    model_blocks = []
    offset = 0
    for fit in fitted:
        model_blocks.append(Block(fit.spec, fit.terms, fit.idf, offset))
        offset += len(fit.terms)
    meta = dict(metadata)
    meta.update(
        jieba_total=corpus.jieba_total,
        user_words=corpus.user_words,
        n_examples=len(corpus.docs),
        head_examples=head_examples,
        n_features=int(x.shape[1]),
        recipes={name: _recipe_json(r) for name, r in recipes.items()},
        sklearn=_sklearn_version(),
        labels={h.name: list(h.classes) for h in heads},
    )
    text_model = TextModel(
        model_blocks,
        heads,
        np.hstack(coefs).astype(np.float32),
        np.concatenate(intercepts),
        meta,
        corpus.dictionary,
    )
    _check_export(text_model, corpus.docs, x)
    return text_model


def _recipe_json(recipe: HeadRecipe) -> dict[str, Any]:
    if not recipe.stack:
        plain: dict[str, Any] = {"learner": "LinearSVC", "C": recipe.c, "calibration": "temperature"}
        if recipe.class_weight:
            plain["class_weight"] = recipe.class_weight
        if recipe.weights:
            plain["weights"] = dict(recipe.weights)
        return plain
    return {
        "learner": "stack",
        "meta": {"learner": "LogisticRegression", "C": recipe.meta_c, "inner_folds": recipe.inner_folds},
        "bases": [{"name": b.name, "kind": b.kind, "C": b.c, "weights": dict(b.weights)} for b in recipe.stack],
    }


def _check_export(model: TextModel, docs: Sequence[Prepared], x: sp.csr_matrix) -> None:
    """The numpy inference path must reproduce the training matrix; fail loudly at training, never later."""
    for i in range(0, len(docs), max(1, len(docs) // 25)):
        row = model.vectorize(docs[i])
        dense = np.zeros(x.shape[1])
        dense[row.idx] = row.val
        if not np.allclose(dense, x[i].toarray().ravel(), atol=1e-9):
            raise AssertionError(f"exported features differ from the training matrix for document {i}")


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)
