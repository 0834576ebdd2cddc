"""TF-IDF from raw counts: one count matrix per feature block for all documents, then vocabulary and IDF
fitted on any subset of rows (a cross-validation fold or everything), exactly as scikit-learn's
TfidfVectorizer(sublinear_tf=True, min_df=..., smooth_idf=True, norm="l2") would fit it on those rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nlp.features import BlockSpec
from nlp.features import Prepared
from nlp.features import block_terms


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
