"""A trained linear text model as plain numpy arrays: vocabularies, IDF weights, coefficients, temperatures.

Inference needs neither scikit-learn (whose import alone costs over a second) nor pickle: a model directory
holds `metadata.json`, `model.npz` (loaded with `allow_pickle=False`) and the tokenizer's `dict.txt`.
One model has one or more heads (`category` + `unit`, or a history model's `label`) sharing the features.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import ahocorasick
import numpy as np

from nlp.features import SOURCE_CHARS
from nlp.features import BlockSpec
from nlp.features import Prepared
from nlp.features import block_terms

FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"
ARRAYS_FILE = "model.npz"
KIND_COMPLAINT = "complaint"
KIND_HISTORY = "history"
# The unit head's class for "nothing points at any unit"; not a valid config code, so it cannot collide.
NO_UNIT = "_none"


class ModelError(RuntimeError):
    """A model directory that is missing, incomplete or from an incompatible version."""


@dataclass(slots=True)
class Block:
    spec: BlockSpec
    terms: list[str]  # the vocabulary in column order
    idf: np.ndarray
    offset: int
    columns: dict[str, int] = field(default_factory=dict)  # term → its column in the whole row

    def __post_init__(self) -> None:
        if not self.columns:
            self.columns = dict(zip(self.terms, range(self.offset, self.offset + len(self.terms)), strict=True))

    def automaton(self) -> ahocorasick.Automaton:
        """An Aho-Corasick automaton over the terms whose values are their columns: one pass over a text in C
        finds every occurrence of every known character n-gram."""
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for column, term in enumerate(self.terms, start=self.offset):
            automaton.add_word(term, column)
        automaton.make_automaton()
        return automaton


@dataclass(slots=True)
class Row:
    """One message's sparse feature row: feature `idx[i]` has value `val[i]`; it is term `local[i]` of block
    `block_ids[i]` (see `TextModel.term`)."""

    idx: np.ndarray
    val: np.ndarray
    local: np.ndarray
    block_ids: np.ndarray


@dataclass(slots=True)
class Head:
    """One classification task over the shared features; `columns` index into the stacked coefficients."""

    name: str
    classes: tuple[str, ...]
    columns: slice
    temperature: float


class TextModel:
    """Features → calibrated probabilities, in numpy only."""

    def __init__(
        self,
        blocks: list[Block],
        heads: list[Head],
        coef: np.ndarray,
        intercept: np.ndarray,
        metadata: dict[str, Any],
        dictionary: str,
    ) -> None:
        self.blocks = blocks
        self.heads = {h.name: h for h in heads}
        self.coef = coef  # (n_features, sum of classes over heads)
        self.intercept = intercept
        self.metadata = metadata
        self.dictionary = dictionary  # the tokenizer's jieba dictionary file contents
        # Flat copies for vectorize: one gather instead of one per block.
        self._idf = np.concatenate([b.idf for b in blocks]) if blocks else np.zeros(0)
        self._weights = np.array([b.spec.weight for b in blocks])
        self._offsets = np.array([b.offset for b in blocks], dtype=np.int64)
        self._automata = [b.automaton() if b.spec.source == SOURCE_CHARS else None for b in blocks]

    @property
    def kind(self) -> str:
        return str(self.metadata["kind"])

    @property
    def max_chars(self) -> int:
        return int(self.metadata["max_chars"])

    @property
    def hmm(self) -> bool:
        return bool(self.metadata.get("hmm", False))

    @property
    def jieba_total(self) -> int:
        return int(self.metadata["jieba_total"])

    @property
    def n_features(self) -> int:
        return int(self.coef.shape[0])

    def vectorize(self, doc: Prepared) -> Row:
        """The message's TF-IDF row exactly as scikit-learn's TfidfVectorizer computes it (sublinear tf,
        smooth idf, L2 per block), times each block's weight."""
        columns: list[int] = []
        for block, automaton in zip(self.blocks, self._automata, strict=True):
            if automaton is not None:
                # Every vocabulary match inside the text is one occurrence of a known n-gram: the terms hold
                # only word-run characters, so no match crosses a run's edge (see nlp.features.char_terms).
                for _offset, segment in doc.segments.get(block.spec.field, ()):
                    columns += [column for _end, column in automaton.iter(segment)]
            else:
                get = block.columns.get
                columns += [column for column in map(get, block_terms(block.spec, doc)) if column is not None]
        if not columns:
            empty = np.zeros(0, dtype=np.int64)
            return Row(empty, np.zeros(0), empty, empty)
        ix, first, counts = np.unique(np.array(columns, dtype=np.int64), return_index=True, return_counts=True)
        # Back into the order the terms first occur: evidence breaks ties between equal contributions by it.
        order = np.argsort(first)
        ix, counts = ix[order], counts[order]
        block_ids = np.searchsorted(self._offsets, ix, side="right") - 1
        val = (1.0 + np.log(counts)) * self._idf[ix]
        norms = np.sqrt(np.bincount(block_ids, weights=val * val, minlength=len(self.blocks)))
        norms[norms == 0.0] = 1.0  # blocks with no known term; no feature of theirs is in the row
        val *= (self._weights / norms)[block_ids]
        return Row(ix, val, ix - self._offsets[block_ids], block_ids)

    def term(self, row: Row, i: int) -> tuple[BlockSpec, str]:
        """The block and the term of the `i`-th feature of `row`."""
        block = self.blocks[int(row.block_ids[i])]
        return block.spec, block.terms[int(row.local[i])]

    def decision(self, row: Row) -> np.ndarray:
        """Raw linear scores for every head's classes (stacked)."""
        if not len(row.idx):
            return self.intercept.astype(np.float64)
        return row.val @ np.take(self.coef, row.idx, axis=0) + self.intercept

    def probabilities(self, scores: np.ndarray, head: str) -> np.ndarray:
        """Temperature-scaled softmax over one head's scores (the calibration fitted at training)."""
        h = self.heads[head]
        z = scores[h.columns] / h.temperature
        z = np.exp(z - z.max())
        return z / z.sum()

    def contributions(self, row: Row, head: str, class_index: int, rows: np.ndarray | None = None) -> np.ndarray:
        """How much each present feature (or those at `rows` of the row) pushed `class_index` above the head's
        average class."""
        h = self.heads[head]
        idx, val = (row.idx, row.val) if rows is None else (row.idx[rows], row.val[rows])
        w = np.take(self.coef, idx, axis=0)[:, h.columns]
        return val * (w[:, class_index] - w.mean(axis=1))

    # --- persistence -----------------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        """Write the model atomically enough for two processes racing on a fresh clone.

        Each file is written to a temporary name and renamed; metadata goes last, so a reader that sees the
        new metadata sees the new arrays. Two trainers produce identical bytes (training is deterministic).
        """
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {"coef": self.coef, "intercept": self.intercept}
        for i, block in enumerate(self.blocks):
            arrays[f"vocab{i}"] = np.frombuffer("\n".join(block.terms).encode("utf-8"), dtype=np.uint8)
            arrays[f"idf{i}"] = block.idf
        metadata = dict(self.metadata)
        metadata["format"] = FORMAT_VERSION
        metadata["blocks"] = [b.spec.to_json() for b in self.blocks]
        metadata["block_sizes"] = [len(b.terms) for b in self.blocks]
        metadata["heads"] = [
            {"name": h.name, "classes": list(h.classes), "temperature": h.temperature} for h in self.heads.values()
        ]
        _atomic_write(directory / "dict.txt", self.dictionary.encode("utf-8"))
        with tempfile.NamedTemporaryFile(dir=directory, suffix=".npz.tmp", delete=False) as fh:
            np.savez(fh, **arrays)  # type: ignore[arg-type]
            tmp_name = fh.name
        _publish(tmp_name, directory / ARRAYS_FILE)
        text = json.dumps(metadata, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        _atomic_write(directory / METADATA_FILE, text.encode("utf-8"))

    @classmethod
    def load(cls, directory: Path) -> TextModel:
        """Load a model directory; raises ModelError if it is missing or incompatible."""
        meta_path = directory / METADATA_FILE
        try:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{directory}: no model here (missing {METADATA_FILE})") from None
        except ValueError as exc:
            raise ModelError(f"{meta_path}: not valid JSON: {exc}") from None
        if metadata.get("format") != FORMAT_VERSION:
            raise ModelError(f"{directory}: model format {metadata.get('format')!r}, expected {FORMAT_VERSION}")
        try:
            with np.load(directory / ARRAYS_FILE, allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            dictionary = (directory / "dict.txt").read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise ModelError(f"{directory}: incomplete model: {exc}") from None
        blocks = []
        offset = 0
        for i, spec_json in enumerate(metadata["blocks"]):
            raw = bytes(arrays[f"vocab{i}"]).decode("utf-8")
            terms = raw.split("\n") if raw else []
            blocks.append(Block(BlockSpec.from_json(spec_json), terms, arrays[f"idf{i}"], offset))
            offset += len(terms)
        heads = []
        column = 0
        for head in metadata["heads"]:
            n = len(head["classes"])
            heads.append(Head(head["name"], tuple(head["classes"]), slice(column, column + n), head["temperature"]))
            column += n
        coef = arrays["coef"]
        if coef.shape != (offset, column):
            raise ModelError(f"{directory}: coefficient shape {coef.shape} does not match ({offset}, {column})")
        return cls(blocks, heads, coef, arrays["intercept"], metadata, dictionary)


def _atomic_write(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as fh:
        fh.write(data)
        tmp_name = fh.name
    _publish(tmp_name, path)


def _publish(tmp_name: str, path: Path) -> None:
    # NamedTemporaryFile creates 0600 files; the web workers may run as another user than the trainer.
    os.chmod(tmp_name, 0o644)
    os.replace(tmp_name, path)


def model_exists(directory: Path) -> bool:
    return (directory / METADATA_FILE).is_file() and (directory / ARRAYS_FILE).is_file()


def read_metadata(directory: Path) -> dict[str, Any] | None:
    """The metadata of a model directory, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((directory / METADATA_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
