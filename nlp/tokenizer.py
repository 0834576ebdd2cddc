"""The classifier's own tokenizer: jieba's dictionary and segmentation, its cache directory and its quiet logger.

Never the global `jieba.dt`/`jieba.cut`. `Segmenter` runs the segmentation itself in rjieba (jieba-rs, the same
algorithm in Rust: prefix DAG, the route of greatest log-frequency) over exactly the words and frequencies the
`jieba.Tokenizer` holds, so the tokens are the same and a message costs a fraction of the time (bench/nlp.py;
tests/unit/test_nlp_segmenter.py checks the two agree on every shipped message). The dictionary a model ships is jieba's full dictionary restricted to
the words that occur in the model's training texts (plus the city's vocabulary), with the full dictionary's
total frequency: on those texts it segments exactly like the full dictionary, yet loads in milliseconds instead
of a second. Words the training texts never contained could not be features anyway.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

import jieba
import rjieba

from nlp.text import fold_digits
from nlp.text import normalize

# jieba logs "Building prefix dict ..." at DEBUG to its own stderr handler; the web app's logs are not the
# place for it. Only its own logger is touched.
logging.getLogger("jieba").setLevel(logging.WARNING)

DICTIONARY_FILE = "dict.txt"
# A word no message contains (two private-use characters), carrying the frequency the pruned dictionary lacks:
# jieba scores a word log(freq / total) with the full dictionary's total, and jieba-rs takes the total from the
# words it holds.
_TOTAL_PAD = "\ue000\ue001"


class Segmenter:
    """`tokenize(text, HMM=False)` as `jieba.Tokenizer.tokenize` gives it, computed by rjieba.

    Only the HMM-free route is delegated (the classifier's models are trained without HMM); with HMM=True the
    jieba tokenizer answers.
    """

    def __init__(self, tokenizer: jieba.Tokenizer) -> None:
        self.jieba = tokenizer
        self._fast = rjieba.Jieba()
        self._fast.clear()
        words = {w: f for w, f in tokenizer.FREQ.items() if f}
        for word in sorted(words):
            self._fast.add_word(word, words[word], None)
        rest = int(tokenizer.total) - sum(words.values())
        if rest > 0:
            self._fast.add_word(_TOTAL_PAD, rest, None)

    def tokenize(self, text: str, HMM: bool = False) -> list[tuple[str, int, int]]:  # noqa: N803 (jieba's name)
        if HMM:
            return list(self.jieba.tokenize(text, HMM=True))
        return self._fast.tokenize(text, "default", False)  # type: ignore[no-any-return]


def cache_dir() -> Path:
    """A private directory for jieba's prefix-dictionary cache (never the source tree, never shared).

    A fixed per-user name lets the cache survive between processes; if that path exists but is not a
    directory we own with private permissions (someone else's, or a symlink planted in /tmp), a fresh
    temporary directory is used instead.
    """
    path = Path(tempfile.gettempdir()) / f"zhiyong-jieba-{os.getuid()}"
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        info = path.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077:
            return path
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="zhiyong-jieba-"))


def jieba_dictionary_size() -> tuple[int, int]:
    """Number of words in jieba's bundled dictionary and their total frequency."""
    freq, total = _full_prefix_dictionary()
    return sum(1 for f in freq.values() if f), total


@functools.cache
def _full_prefix_dictionary() -> tuple[dict[str, int], int]:
    """jieba's full prefix dictionary (words with their frequency, prefixes with 0), once per process.

    Built by a throwaway Tokenizer so that jieba's own marshal cache (in our cache directory) does the work.
    """
    full = jieba.Tokenizer()
    full.tmp_dir = str(cache_dir())
    full.initialize()
    return full.FREQ, full.total


def prune_dictionary(texts: Iterable[str]) -> dict[str, int]:
    """The entries of jieba's dictionary that occur as a substring of at least one of `texts`.

    Walks each text the way jieba builds its DAG (extend while the fragment is a prefix of some word), so it
    costs a few lookups per character rather than one per (position, length) pair.
    """
    freq, _total = _full_prefix_dictionary()
    found: set[str] = set()
    for text in texts:
        n = len(text)
        for k in range(n):
            i = k + 1
            frag = text[k:i]
            while i <= n and frag in freq:
                if freq[frag]:
                    found.add(frag)
                i += 1
                frag = text[k:i]
    return {w: freq[w] for w in sorted(found)}


def write_dictionary(path: Path, words: dict[str, int]) -> None:
    """Write a jieba dictionary file, sorted so the same words give the same bytes."""
    path.write_text("".join(f"{w} {words[w]}\n" for w in sorted(words)), encoding="utf-8")


def tokenizer_words(words: Iterable[str]) -> list[str]:
    """City/domain words as the tokenizer sees them: normalised, digits folded, no spaces, sorted, unique."""
    out = set()
    for word in words:
        norm = fold_digits(normalize(word)).strip()
        if len(norm) >= 2 and " " not in norm:
            out.add(norm)
    return sorted(out)


def build_tokenizer(dictionary: Path, total: int, user_words: Iterable[str]) -> jieba.Tokenizer:
    """An initialised tokenizer over `dictionary` with `user_words` added, ready before the first message."""
    tokenizer = jieba.Tokenizer(str(dictionary))
    tokenizer.tmp_dir = str(cache_dir())
    tokenizer.initialize()
    # The pruned file sums to less than the full dictionary; jieba scores a word as log(freq / total), so
    # restoring the full total keeps every word's probability, and hence the segmentation, unchanged.
    tokenizer.total = total
    # Sorted so that the frequencies add_word derives (they depend on what was added before) are stable.
    for word in sorted(set(user_words)):
        tokenizer.add_word(word)
    return tokenizer


def tokenizer_for(dictionary_text: str, total: int, user_words: Iterable[str]) -> Segmenter:
    """A tokenizer over a model's dictionary (its text), via a content-addressed copy in the cache directory.

    jieba keys its prefix cache by the dictionary's path, so a path derived from the content means a retrained
    model never reuses a stale cache and an unchanged one never rebuilds it.
    """
    directory = cache_dir()
    digest = hashlib.sha256(dictionary_text.encode("utf-8")).hexdigest()[:20]
    path = directory / f"dict-{digest}.txt"
    if not path.is_file():
        tmp = directory / f".dict-{digest}.{os.getpid()}.tmp"
        tmp.write_text(dictionary_text, encoding="utf-8")
        os.replace(tmp, path)
    return Segmenter(build_tokenizer(path, total, user_words))
