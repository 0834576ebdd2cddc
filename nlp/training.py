"""Training and cross-validation: the project's category + unit model from `nlp/data/`, and history models
from any city's labelled CSV/JSONL (e.g. 12345 records), both deterministic for a given input.

The recipes live here; the pieces live beside it (`datasets`, `tfidf`, `learners`). Together they are the only
code that imports scikit-learn; what they produce is a numpy-only `TextModel`, checked at training time to
reproduce what was fitted.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from nlp.builtin import RECIPE
from nlp.builtin import TRAIN_FILE
from nlp.builtin import VOCAB_FILE
from nlp.builtin import domain_vocabulary
from nlp.builtin import file_sha256
from nlp.builtin import specs_sha256
from nlp.datasets import DataError
from nlp.datasets import Record
from nlp.datasets import complaint_groups
from nlp.datasets import read_complaints
from nlp.datasets import read_table
from nlp.features import FIELD_TITLE
from nlp.features import SOURCE_CHARS
from nlp.features import SOURCE_RULES
from nlp.features import SOURCE_WORDS
from nlp.features import BlockSpec
from nlp.features import Prepared
from nlp.features import prepare
from nlp.learners import BaseLearner
from nlp.learners import HeadRecipe
from nlp.learners import LearnerError
from nlp.learners import fit_head
from nlp.model import KIND_COMPLAINT
from nlp.model import KIND_HISTORY
from nlp.model import NO_UNIT
from nlp.model import Block
from nlp.model import Head
from nlp.model import TextModel
from nlp.rules import Lexicon
from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.text import fold_digits
from nlp.text import normalize
from nlp.tfidf import CountBlock
from nlp.tfidf import count_blocks
from nlp.tfidf import fit_blocks
from nlp.tfidf import transform
from nlp.tokenizer import jieba_dictionary_size
from nlp.tokenizer import prune_dictionary
from nlp.tokenizer import tokenizer_for
from nlp.tokenizer import tokenizer_words

HISTORY_BLOCKS = (
    BlockSpec("chars", SOURCE_CHARS, min_n=1, max_n=3, min_df=2),
    BlockSpec("words", SOURCE_WORDS, min_n=1, max_n=1, min_df=2),
    # With several text columns the first (a title) also gets blocks of its own: it states the topic.
    BlockSpec("title_chars", SOURCE_CHARS, field=FIELD_TITLE, min_n=1, max_n=3, min_df=2),
    BlockSpec("title_words", SOURCE_WORDS, field=FIELD_TITLE, min_n=1, max_n=1, min_df=1),
)


HISTORY_MAX_CHARS = 3000


_ALL = (("chars", 1.0), ("words", 1.0), ("title_chars", 0.7), ("title_words", 0.5))


# 5-fold CV on teddy2020/train.csv (macro-F1): the first learner alone 0.926, the whole stack 0.932.
HISTORY_RECIPE = HeadRecipe(
    stack=(
        BaseLearner("all", "svc", _ALL),
        BaseLearner("title", "svc", (("title_chars", 1.0), ("title_words", 0.7))),
        BaseLearner("text", "svc", (("chars", 1.0), ("words", 1.0))),
        BaseLearner("nb", "cnb", _ALL),
    )
)


COMPLAINT_BLOCKS = (
    BlockSpec("words", SOURCE_WORDS, min_n=1, max_n=2, weight=1.0),
    BlockSpec("chars", SOURCE_CHARS, min_n=1, max_n=3, weight=1.0),
    # Rule tokens also show up as the names' own characters and words; a low weight keeps them from
    # drowning the rest (grouped 5-fold CV on nlp/data: rules at 1.0 → category 0.91, at 0.3 → 0.94).
    BlockSpec("rules", SOURCE_RULES, weight=0.3),
)


COMPLAINT_MAX_CHARS = 600


COMPLAINT_RECIPES = {"category": HeadRecipe(c=0.5), "unit": HeadRecipe(c=1.0)}


PARALLEL_MIN_EXAMPLES = 2000


Progress = Callable[[str], None]


# Re-exported: callers read data and catch errors through this module.
__all__ = [
    "DataError",
    "LearnerError",
    "Record",
    "count_blocks",
    "fit_blocks",
    "fit_model",
    "history_corpus",
    "read_complaints",
    "read_table",
    "train_complaint_model",
    "train_history_model",
    "transform",
]


def _quiet(_message: str) -> None:
    pass


def _fold_predictions(
    counts: Sequence[CountBlock], y: np.ndarray, recipe: HeadRecipe, fold: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """One cross-validation fold: vocabulary, IDF and classifier from the training rows only."""
    train_rows, test_rows = fold
    fitted = fit_blocks(counts, train_rows)
    head = fit_head(
        transform(counts, fitted, train_rows),
        y[train_rows],
        recipe,
        block_names=[f.spec.name for f in fitted],
        block_sizes=[len(f.terms) for f in fitted],
        calibrate=False,
    )
    return head.scores(transform(counts, fitted, test_rows)).argmax(axis=1)


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
    labels: dict[str, Sequence[str]],
    *,
    blocks: Sequence[BlockSpec],
    recipes: dict[str, HeadRecipe],
    metadata: dict[str, Any],
    groups: dict[str, Sequence[str]] | None = None,
    progress: Progress = _quiet,
) -> TextModel:
    """Fit every head on all documents and export a numpy `TextModel` (checked against the training matrix).

    A plain head's temperature is fitted on out-of-fold scores (grouped by `groups[head]` when given).
    """
    counts = count_blocks(blocks, corpus.docs)
    everything = np.arange(len(corpus.docs))
    fitted = fit_blocks(counts, everything)
    x = transform(counts, fitted, everything)
    progress(f"features: {x.shape[1]} over {len(fitted)} blocks")
    heads: list[Head] = []
    coefs: list[np.ndarray] = []
    intercepts: list[np.ndarray] = []
    column = 0
    for name, values in labels.items():
        classes = sorted(set(values))
        if len(classes) < 2:
            raise DataError(f"{name}: need at least two different labels, got {classes}")
        y = np.asarray([classes.index(v) for v in values])
        recipe = recipes[name]
        kind = f"a stack of {len(recipe.stack)} learners" if recipe.stack else "a calibrated LinearSVC"
        progress(f"{name}: fitting {kind} on {len(y)} examples, {len(classes)} classes")
        head = fit_head(
            x,
            y,
            recipe,
            block_names=[f.spec.name for f in fitted],
            block_sizes=[len(f.terms) for f in fitted],
            groups=(groups or {}).get(name),
        )
        coefs.append(head.coef)
        intercepts.append(head.intercept)
        heads.append(Head(name, tuple(classes), slice(column, column + len(classes)), head.temperature))
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
        return {"learner": "LinearSVC", "C": recipe.c, "calibration": "temperature"}
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


def train_complaint_model(
    units: Sequence[UnitSpec],
    categories: Sequence[CategorySpec],
    *,
    data: Path = TRAIN_FILE,
    source: str | None = None,
    progress: Progress = _quiet,
) -> TextModel:
    """The project's own category + unit model, from `data` (default nlp/data/train.jsonl).

    `source` names the data in the model's metadata (default: "builtin", or the file's path).
    """
    progress(f"reading {data}")
    records = read_complaints(data)
    known_units = {u.code for u in units} | {NO_UNIT}
    known_categories = {c.code for c in categories}
    dropped = [
        r for r in records if r.labels["unit"] not in known_units or r.labels["category"] not in known_categories
    ]
    if dropped:
        progress(f"skipping {len(dropped)} examples whose unit or category is not in the configuration")
        records = [r for r in records if r not in dropped]
    lexicon = Lexicon(units, categories)
    corpus = build_corpus(
        records,
        user_words=[*lexicon.words(), *domain_vocabulary()],
        max_chars=COMPLAINT_MAX_CHARS,
        hmm=False,
        lexicon=lexicon,
        progress=progress,
    )
    metadata = {
        "kind": KIND_COMPLAINT,
        "source": source or ("builtin" if data.resolve() == TRAIN_FILE.resolve() else str(data)),
        "recipe": RECIPE,
        "data_sha256": file_sha256(data, VOCAB_FILE),
        "specs_sha256": specs_sha256(units, categories),
        "max_chars": COMPLAINT_MAX_CHARS,
        "hmm": False,
    }
    labels = {"category": [r.labels["category"] for r in records], "unit": [r.labels["unit"] for r in records]}
    return fit_model(
        corpus,
        labels,
        blocks=COMPLAINT_BLOCKS,
        recipes=COMPLAINT_RECIPES,
        metadata=metadata,
        groups=complaint_groups(records),
        progress=progress,
    )


def _history_blocks(text_cols: Sequence[str]) -> list[BlockSpec]:
    use_title = len(text_cols) > 1
    return [b for b in HISTORY_BLOCKS if use_title or b.field != FIELD_TITLE]


def history_corpus(records: Sequence[Record], *, user_words: Iterable[str] = (), progress: Progress = _quiet) -> Corpus:
    """Tokenised history records, shared by cross-validation and training."""
    return build_corpus(
        records,
        user_words=[*user_words, *domain_vocabulary()],
        max_chars=HISTORY_MAX_CHARS,
        hmm=False,
        lexicon=None,
        progress=progress,
    )


def train_history_model(
    records: Sequence[Record],
    *,
    text_cols: Sequence[str],
    label_col: str,
    source: str,
    user_words: Iterable[str] = (),
    corpus: Corpus | None = None,
    progress: Progress = _quiet,
) -> TextModel:
    """A model for one label column of a city's history (e.g. 12345 records by policy area).

    `corpus` (from `history_corpus` on the same records) saves tokenising twice after a cross-validation.
    """
    blocks = _history_blocks(text_cols)
    corpus = corpus or history_corpus(records, user_words=user_words, progress=progress)
    metadata = {
        "kind": KIND_HISTORY,
        "source": source,
        "recipe": RECIPE,
        "data_sha256": file_sha256(Path(source)) if Path(source).is_file() else None,
        "max_chars": HISTORY_MAX_CHARS,
        "hmm": False,
        "text_cols": list(text_cols),
        "label_col": label_col,
    }
    labels = {"label": [r.labels[label_col] for r in records]}
    return fit_model(
        corpus, labels, blocks=blocks, recipes={"label": HISTORY_RECIPE}, metadata=metadata, progress=progress
    )
