"""Text normalisation for everything in `nlp/`: traditional → simplified, full-width → half-width, case, spaces.

Normalisation is length-preserving (one character in, one character out), so a span found in the normalised
text is the same span of what the citizen wrote; that is how evidence stays a literal substring of the input.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from pathlib import Path

# Characters that carry no meaning for classification but would glue or split words: control characters,
# the many Unicode spaces, zero-width characters and emoji variation selectors all become a plain space.
_SPACE_LIKE = (
    [chr(c) for c in range(0x00, 0x20)]
    + ["\x7f", "\u00a0", "\u1680", "\u180e", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff"]
    + [chr(c) for c in range(0x2000, 0x2010)]
    + [chr(c) for c in range(0xFE00, 0xFE10)]
)

# A "word character" for our purposes: CJK ideographs (incl. extension A and compatibility), latin letters
# and digits after normalisation. Everything else (punctuation, emoji, symbols) separates runs.
WORD_RUN = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
HAS_WORD_CHAR = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class _Translation(dict[int, str | int]):
    """The translation table, which also remembers the characters it leaves alone (mapped to themselves).

    str.translate looks every character up; for one the table lacks, a plain dict raises a KeyError that
    translate then swallows, once per CJK character of every message. Remembered, the next lookup is a plain hit.
    At most `_REMEMBER` of them: a stream of rare characters cannot grow it without bound.
    """

    def __missing__(self, code: int) -> int:
        if len(self) < _REMEMBER:
            self[code] = code
        return code


_REMEMBER = 40_000  # the mapped entries (~5,000) and more than the everyday characters of Chinese text


@functools.cache
def _table() -> _Translation:
    """The single-character translation table, built once per process (about 50 ms, zhconv's dictionary)."""
    import zhconv

    # zhconv's own loader leaves its file open (a ResourceWarning) and keeps module-global state; reading its
    # JSON here avoids both. zh-cn = zh-Hans plus mainland usage, as zhconv.getdict("zh-cn") builds it.
    path = Path(zhconv.__file__).resolve().parent / "zhcdict.json"
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    pairs = dict(data["zh2Hans"])
    pairs.update(data["zh2CN"])
    table = _Translation()
    # Only 1:1 character pairs keep the mapping length-preserving; phrase entries (乾隆 stays 乾隆) are lost,
    # which does not matter for classification.
    for trad, simp in pairs.items():
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[ord(trad)] = simp
    for code in range(0xFF01, 0xFF5F):  # full-width ASCII (Ｂ１２ → b12)
        table[code] = chr(code - 0xFEE0).lower()
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code).lower()
    for ch in _SPACE_LIKE:
        table[ord(ch)] = " "
    # Circled and parenthesised digits people type as list markers or window numbers (③号窗口).
    for i, code in enumerate(range(0x2460, 0x2469), start=1):
        table[code] = str(i)
    for i, code in enumerate(range(0x2776, 0x277F), start=1):
        table[code] = str(i)
    return table


def warm_up() -> None:
    """Build the translation table now rather than on the first message."""
    _table()


def normalize(text: str) -> str:
    """Simplified, half-width, lower-case text of exactly the same length as `text`."""
    return text.translate(_table())


def has_content(normalized: str) -> bool:
    """True when the text has at least one CJK character, letter or digit (emoji-only input has none)."""
    return HAS_WORD_CHAR.search(normalized) is not None


def fold_digits(normalized: str) -> str:
    """Map every digit to 0 so that 3号窗口 and 12号窗口 share features (same length)."""
    return normalized.translate(_DIGIT_FOLD)


_DIGIT_FOLD = {ord(str(d)): "0" for d in range(1, 10)}


def model_segments(text: str, max_chars: int, focus: Sequence[tuple[int, int]] = ()) -> list[tuple[int, str]]:
    """The parts of a long text the statistical model reads, as (offset, segment), at most `max_chars` in all.

    Complaints state the unit and the grievance early and the demand at the end, so a long text keeps its head
    and its tail; the rest of the budget goes to windows around `focus` spans (where the explicit rules found a
    name or a cue word), so a transcript that only gets to the point in its middle is still read there.
    """
    if len(text) <= max_chars:
        return [(0, text)]
    head = max_chars // 2
    tail = max_chars // 6
    covered = bytearray(len(text))
    covered[:head] = b"\x01" * head
    covered[len(text) - tail :] = b"\x01" * tail
    budget = max_chars - head - tail
    for start, end in sorted(focus):
        lo, hi = max(0, start - FOCUS_CONTEXT), min(len(text), end + FOCUS_CONTEXT)
        while budget > 0 and lo < hi:
            if not covered[lo]:
                covered[lo] = 1
                budget -= 1
            lo += 1
        if budget <= 0:
            break
    segments = []
    for m in re.finditer(b"\x01+", bytes(covered)):
        segments.append((m.start(), text[m.start() : m.end()]))
    return segments


FOCUS_CONTEXT = 30
