"""Training and cross-validation: the project's category + unit model from `nlp/data/`, and history models
from any city's labelled CSV/JSONL (e.g. 12345 records), both deterministic for a given input.

This is the only module that imports scikit-learn; it fits TF-IDF + LinearSVC per head, calibrates each head
with a temperature fitted on out-of-fold scores, and exports everything to a numpy-only `TextModel`.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
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
from nlp.evaluation import Report
from nlp.evaluation import evaluate
from nlp.features import FIELD_TITLE
from nlp.features import SOURCE_CHARS
from nlp.features import SOURCE_RULES
from nlp.features import SOURCE_WORDS
from nlp.features import BlockSpec
from nlp.features import Prepared
from nlp.features import block_terms
from nlp.features import prepare
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
from nlp.tokenizer import jieba_dictionary_size
from nlp.tokenizer import prune_dictionary
from nlp.tokenizer import tokenizer_for
from nlp.tokenizer import tokenizer_words

SEED = 0

COMPLAINT_BLOCKS = (
    BlockSpec("words", SOURCE_WORDS, min_n=1, max_n=2, weight=1.0),
    BlockSpec("chars", SOURCE_CHARS, min_n=1, max_n=3, weight=1.0),
    # Rule tokens also show up as the names' own characters and words; a low weight keeps them from
    # drowning the rest (grouped 5-fold CV on nlp/data: rules at 1.0 → category 0.91, at 0.3 → 0.94).
    BlockSpec("rules", SOURCE_RULES, weight=0.3),
)
COMPLAINT_MAX_CHARS = 600
COMPLAINT_C = {"category": 0.5, "unit": 1.0}

HISTORY_BLOCKS = (
    BlockSpec("chars", SOURCE_CHARS, min_n=1, max_n=3, weight=1.0, min_df=2),
    BlockSpec("words", SOURCE_WORDS, min_n=1, max_n=1, weight=1.0, min_df=2),
    BlockSpec("title_chars", SOURCE_CHARS, field=FIELD_TITLE, min_n=1, max_n=3, weight=0.7, min_df=2),
)
HISTORY_MAX_CHARS = 3000
HISTORY_C = 0.5

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    pass


class DataError(ValueError):
    """Training or evaluation data that cannot be used; the message names the file and line."""


@dataclass(slots=True)
class Record:
    """One labelled message: `text` (all text columns joined), `title` (first column when several)."""

    text: str
    labels: dict[str, str]
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --- reading data ------------------------------------------------------------------------------------------


def read_complaints(path: Path = TRAIN_FILE) -> list[Record]:
    """The project's JSONL examples: `text`, `category`, `unit` (null → NO_UNIT)."""
    records = []
    for lineno, obj in _jsonl(path):
        text, category = obj.get("text"), obj.get("category")
        if not isinstance(text, str) or not isinstance(category, str):
            raise DataError(f"{path}:{lineno}: needs string fields 'text' and 'category'")
        unit = obj.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise DataError(f"{path}:{lineno}: 'unit' must be a string or null")
        extra = {k: v for k, v in obj.items() if k not in ("text", "category", "unit")}
        records.append(Record(text, {"category": category, "unit": unit or NO_UNIT}, extra=extra))
    return records


def _jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{path}:{lineno}: not valid JSON: {exc}") from None
            if not isinstance(obj, dict):
                raise DataError(f"{path}:{lineno}: each line must be a JSON object")
            yield lineno, obj


def read_table(path: Path, *, text_cols: Sequence[str], label_cols: Sequence[str] = ()) -> list[Record]:
    """Rows of a CSV (UTF-8, UTF-8 with BOM, or GB18030 as Excel exports it) or JSONL file.

    The text is the named text columns joined; with several, the first is also kept as the title. Labels are
    keyed by column name. Rows with no text, or with an empty value in a label column, are skipped.
    """
    if not text_cols:
        raise DataError("at least one text column is needed")
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows: Iterable[tuple[int, dict[str, Any]]] = _jsonl(path)
    else:
        rows = _csv_rows(path)
    records = []
    checked = False
    for lineno, row in rows:
        if not checked:
            missing = [c for c in [*text_cols, *label_cols] if c not in row]
            if missing:
                raise DataError(f"{path}: no column(s) {', '.join(missing)} (found: {', '.join(map(str, row))})")
            checked = True
        parts = [str(row.get(c) or "").strip() for c in text_cols]
        text = "。".join(p for p in parts if p)
        labels = {c: str(row.get(c) or "").strip() for c in label_cols}
        if not text or not all(labels.values()):
            continue
        extra = {"id": row.get("id"), "line": lineno}
        records.append(Record(text, labels, title=parts[0] if len(text_cols) > 1 else "", extra=extra))
    if not checked:
        raise DataError(f"{path}: no rows")
    return records


def _csv_rows(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise DataError(f"{path}: neither UTF-8 nor GB18030")
    reader = csv.DictReader(text.splitlines())
    for row in reader:
        yield reader.line_num, row


# --- TF-IDF from counts ------------------------------------------------------------------------------------


@dataclass(slots=True)
class CountBlock:
    """All documents' raw term counts for one block over a shared term index (built once, sliced per fold)."""

    spec: BlockSpec
    terms: list[str]
    counts: sp.csr_matrix


def count_blocks(blocks: Sequence[BlockSpec], docs: Sequence[Prepared]) -> list[CountBlock]:
    out = []
    for spec in blocks:
        index: dict[str, int] = {}
        indptr = [0]
        indices: list[int] = []
        data: list[int] = []
        for doc in docs:
            row: dict[int, int] = {}
            for term in block_terms(spec, doc):
                j = index.setdefault(term, len(index))
                row[j] = row.get(j, 0) + 1
            indices.extend(row)
            data.extend(row.values())
            indptr.append(len(indices))
        counts = sp.csr_matrix(
            (np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(docs), len(index)),
        )
        out.append(CountBlock(spec, list(index), counts))
    return out


@dataclass(slots=True)
class FittedBlock:
    spec: BlockSpec
    columns: np.ndarray  # columns of the shared count matrix kept in this vocabulary (sorted by term)
    terms: list[str]
    idf: np.ndarray


def fit_blocks(blocks: Sequence[CountBlock], rows: np.ndarray) -> list[FittedBlock]:
    """Vocabulary and IDF from the documents `rows` only, as TfidfVectorizer(min_df, smooth_idf) does."""
    fitted = []
    n = len(rows)
    for block in blocks:
        df = np.asarray((block.counts[rows] > 0).sum(axis=0)).ravel()
        keep = np.flatnonzero(df >= block.spec.min_df)
        # Sorted terms give a deterministic column order whatever order documents were read in.
        order = sorted(keep.tolist(), key=block.terms.__getitem__)
        columns = np.asarray(order, dtype=np.int64)
        idf = np.log((1.0 + n) / (1.0 + df[columns])) + 1.0
        fitted.append(FittedBlock(block.spec, columns, [block.terms[j] for j in order], idf))
    return fitted


def transform(blocks: Sequence[CountBlock], fitted: Sequence[FittedBlock], rows: np.ndarray) -> sp.csr_matrix:
    """Sublinear-tf × idf, L2-normalised per block and weighted, for documents `rows`."""
    parts = []
    for block, fit in zip(blocks, fitted, strict=True):
        x = block.counts[rows][:, fit.columns].tocsr()
        x.data = 1.0 + np.log(x.data)
        x = x @ sp.diags(fit.idf)
        x = x.tocsr()
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        parts.append(sp.diags(fit.spec.weight / norms) @ x)
    return sp.hstack(parts, format="csr")


# --- classifiers -------------------------------------------------------------------------------------------


def _svc(c: float) -> Any:
    from sklearn.svm import LinearSVC

    return LinearSVC(C=c, random_state=SEED, max_iter=5000)


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


def _folds(y: np.ndarray, n_folds: int, groups: Sequence[str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
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


def _held_out_scores(x: sp.csr_matrix, y: np.ndarray, c: float, fold: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    train_rows, test_rows = fold
    return _stacked_scores(_svc(c).fit(x[train_rows], y[train_rows]), x[test_rows])


def _fold_predictions(
    counts: Sequence[CountBlock], y: np.ndarray, c: float, fold: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """One cross-validation fold: vocabulary, IDF and classifier from the training rows only."""
    train_rows, test_rows = fold
    fitted = fit_blocks(counts, train_rows)
    model = _svc(c).fit(transform(counts, fitted, train_rows), y[train_rows])
    return np.asarray(model.predict(transform(counts, fitted, test_rows)))


def _parallel(work: Callable[..., np.ndarray], data: Any, y: np.ndarray, c: float, folds: Sequence[Any]) -> list:
    """`work(data, y, c, fold)` for every fold, on the machine's cores, results in fold order.

    liblinear and scipy release the GIL, so threads suffice; each fold is independent, so the results do not
    depend on the order in which they finish.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = max(1, min(len(folds), cores))
    if workers == 1:
        return [work(data, y, c, fold) for fold in folds]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda fold: work(data, y, c, fold), folds))


# --- the trainer -------------------------------------------------------------------------------------------


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
    c: dict[str, float],
    metadata: dict[str, Any],
    groups: dict[str, Sequence[str]] | None = None,
    progress: Progress = _quiet,
) -> TextModel:
    """Fit every head on all documents and export a numpy `TextModel` (checked against the training matrix).

    Each head's temperature is fitted on out-of-fold scores (grouped by `groups[head]` when given).
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
        progress(f"{name}: calibrating on out-of-fold scores ({len(classes)} classes)")
        oof = np.zeros((len(y), len(classes)))
        folds = _folds(y, 5, (groups or {}).get(name))
        results = _parallel(_held_out_scores, x, y, c[name], folds)
        for (_train, test_rows), scores in zip(folds, results, strict=True):
            oof[test_rows] = scores
        temperature = fit_temperature(oof, y)
        progress(f"{name}: fitting on all {len(y)} examples (temperature {temperature:.3f})")
        model = _svc(c[name]).fit(x, y)
        coef, intercept = _stacked_coef(model)
        coefs.append(coef)
        intercepts.append(intercept)
        heads.append(Head(name, tuple(classes), slice(column, column + len(classes)), temperature))
        column += len(classes)
    model_blocks = []
    offset = 0
    for fit in fitted:
        vocabulary = {t: i for i, t in enumerate(fit.terms)}
        model_blocks.append(Block(fit.spec, vocabulary, fit.idf, offset))
        offset += len(fit.terms)
    meta = dict(metadata)
    meta.update(
        jieba_total=corpus.jieba_total,
        user_words=corpus.user_words,
        n_examples=len(corpus.docs),
        n_features=int(x.shape[1]),
        c=c,
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
    progress: Progress = _quiet,
) -> TextModel:
    """The project's own category + unit model, from `data` (default nlp/data/train.jsonl)."""
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
        "source": "builtin" if data.resolve() == TRAIN_FILE.resolve() else str(data),
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
        c=COMPLAINT_C,
        metadata=metadata,
        groups=complaint_groups(records),
        progress=progress,
    )


def complaint_groups(records: Sequence[Record]) -> dict[str, list[str]]:
    """Per head, the phrase group of each example (from the data's `group` field; unique if absent)."""
    out: dict[str, list[str]] = {"category": [], "unit": []}
    for i, record in enumerate(records):
        group = record.extra.get("group")
        pair = group if isinstance(group, list) and len(group) == 2 else [f"#{i}", f"#{i}"]
        out["category"].append(str(pair[0]))
        out["unit"].append(str(pair[1]))
    return out


def train_history_model(
    records: Sequence[Record],
    *,
    text_cols: Sequence[str],
    label_col: str,
    source: str,
    user_words: Iterable[str] = (),
    progress: Progress = _quiet,
) -> TextModel:
    """A model for one label column of a city's history (e.g. 12345 records by policy area)."""
    use_title = len(text_cols) > 1
    blocks = [b for b in HISTORY_BLOCKS if use_title or b.field != FIELD_TITLE]
    corpus = build_corpus(
        records,
        user_words=[*user_words, *domain_vocabulary()],
        max_chars=HISTORY_MAX_CHARS,
        hmm=False,
        lexicon=None,
        progress=progress,
    )
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
    return fit_model(corpus, labels, blocks=blocks, c={"label": HISTORY_C}, metadata=metadata, progress=progress)


# --- cross-validation --------------------------------------------------------------------------------------


def cross_validate(
    corpus: Corpus,
    labels: dict[str, Sequence[str]],
    *,
    blocks: Sequence[BlockSpec],
    c: dict[str, float],
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
        folds = _folds(y, n_folds, (groups or {}).get(name))
        progress(f"{name}: {len(folds)} folds")
        results = _parallel(_fold_predictions, counts, y, c[name], folds)
        for (_train, test_rows), fold_predicted in zip(folds, results, strict=True):
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
        c=COMPLAINT_C,
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
    progress: Progress = _quiet,
) -> Report:
    use_title = len(text_cols) > 1
    blocks = [b for b in HISTORY_BLOCKS if use_title or b.field != FIELD_TITLE]
    corpus = build_corpus(
        records,
        user_words=[*user_words, *domain_vocabulary()],
        max_chars=HISTORY_MAX_CHARS,
        hmm=False,
        lexicon=None,
        progress=progress,
    )
    labels = {"label": [r.labels[label_col] for r in records]}
    return cross_validate(corpus, labels, blocks=blocks, c={"label": HISTORY_C}, n_folds=n_folds, progress=progress)[
        "label"
    ]
