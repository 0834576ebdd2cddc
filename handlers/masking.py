"""Mobile and ID numbers: validation, and the masked forms shown instead of the digits.

Pure string functions used by the citizen dialog (a real-name report is read back as 138****5678) and by every
staff view, export and digest (DESIGN.md, Privacy). Standard library only.
"""

from __future__ import annotations

import re
import unicodedata

# Mainland mobile numbers: 11 digits, 1 then 3-9. Landlines and 12345-style short numbers are not phones here.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")

# A mobile number inside free text, optionally with a +86/86 prefix and spaces or dashes as people type them
# (138 1234 5678, 138-1234-5678). The look-arounds keep us out of longer digit runs such as ID numbers.
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?![0-9A-Za-z])")

_PHONE_NOISE = re.compile(r"[\s\-()（）]")


def normalize_phone(raw: str) -> str | None:
    """The 11 digits of a mainland mobile number written any common way (full-width, spaces, +86), or None."""
    digits = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", raw))
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if _MOBILE.match(digits) else None


def is_mobile(raw: str) -> bool:
    """True when `raw` is a valid mainland mobile number (1[3-9] and 9 more digits)."""
    return normalize_phone(raw) is not None


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile number; anything shorter than 8 characters is hidden completely."""
    digits = normalize_phone(phone) or phone.strip()
    if len(digits) < 8:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(id_number: str) -> str:
    """420***********1234: the birth date and most of the area code are what identify a person."""
    value = id_number.strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


# Chinese numerals as people spell a number out digit by digit: 幺 is 1 read aloud, 两 2, 〇/○/零 0, and the
# financial forms. Used only to find numbers; the citizen's text around them is never rewritten.
_NUMERALS = dict(zip("〇○零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖", "00011122233445566778899", strict=True))
# Between two digits people type nothing, spaces, dots, dashes or middle dots (after NFKC: full-width forms
# and the ideographic space become these), or a line break (which a one-line snippet turns into a space).
# Exported so that `handlers.anonymise` recognises what is left.
SEPARATOR = r"[ \t\r\n\-.·\u2010-\u2015\u2212]{0,3}"
_EDGE_BEFORE = r"(?<![0-9A-Za-z])"
_EDGE_AFTER = r"(?![0-9A-Za-z])"
_D = "[0-9]"


def _spaced(*parts: str) -> str:
    return SEPARATOR.join(parts)


# A mainland mobile, optionally after +86/0086/86, with separators anywhere: 139.8765.4321, 1398 765 4321.
_MOBILE_ANY = re.compile(
    _EDGE_BEFORE + rf"(?P<prefix>(?:\+|00)?86{SEPARATOR})?" + _spaced("1", "[3-9]", *[_D] * 9) + _EDGE_AFTER
)
# An 18-character resident ID (GB 11643-1999): area code, birth date, sequence, check digit (0-9 or X).
_ID_PARTS = (
    SEPARATOR.join(["[1-9]", *[_D] * 5]),  # area
    f"(?:1{SEPARATOR}[89]|2{SEPARATOR}0){SEPARATOR}{_D}{SEPARATOR}{_D}",  # year 18xx-20xx
    f"(?:0{SEPARATOR}[1-9]|1{SEPARATOR}[0-2])",  # month
    f"(?:0{SEPARATOR}[1-9]|[12]{SEPARATOR}[0-9]|3{SEPARATOR}[01])",  # day
    SEPARATOR.join([_D] * 3) + SEPARATOR + "[0-9Xx]",  # sequence and check digit
)
_ID_ANY = re.compile(_EDGE_BEFORE + _spaced(*_ID_PARTS) + _EDGE_AFTER)
_KEEP_HEAD, _KEEP_TAIL = 3, 4


def _fold(text: str, numerals: bool) -> str:
    """`text` character by character in NFKC (and Chinese numerals as digits): same length, same positions."""
    out = []
    for ch in text:
        if numerals and ch in _NUMERALS:
            out.append(_NUMERALS[ch])
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def mask_text(text: str) -> str:
    """`text` with every mobile number and 18-character ID number inside it masked; everything else unchanged.

    Numbers are found in every common writing — full-width digits, Chinese numerals (一三九…, 幺, 两, 〇),
    mixed forms, spaces/dots/dashes anywhere, +86 — and shown as 139****4321 / 420***********123X: the kept
    digits in ASCII, the hidden ones as *, the citizen's separators in place. A Chinese numeral next to a
    written number (打一13987654321) is tried both as a word and as a digit, so it never shields the number.
    Landlines, dates, amounts, case numbers and longer digit runs stay as written.
    """
    if not text:
        return text
    views = [_fold(text, numerals=False)]
    if any(ch in _NUMERALS for ch in text):
        views.append(_fold(text, numerals=True))
    hidden: set[int] = set()
    spans: list[tuple[int, int]] = []
    for view in views:
        for pattern in (_ID_ANY, _MOBILE_ANY):
            for m in pattern.finditer(view):
                first = m.end("prefix") if "prefix" in pattern.groupindex and m.group("prefix") else m.start()
                digits = [i for i in range(first, m.end()) if view[i] in "0123456789Xx"]
                hidden.update(digits[_KEEP_HEAD : len(digits) - _KEEP_TAIL])
                spans.append((m.start(), m.end()))
    if not spans:
        return text
    shown = views[-1]  # inside a number, the kept digits and separators are written plainly (NFKC, numerals)
    inside = {i for start, end in spans for i in range(start, end)}
    return "".join("*" if i in hidden else shown[i] if i in inside else ch for i, ch in enumerate(text))


def contains_identifier(text: str) -> bool:
    """True when `text` holds a mobile or ID number in any writing `mask_text` knows."""
    return mask_text(text) != text


def find_mobile(text: str) -> str | None:
    """The first valid mobile number written inside `text` (any writing `mask_text` knows), as 11 digits."""
    found = find_mobile_span(text)
    return found[0] if found else None


def find_mobile_span(text: str) -> tuple[str, int, int] | None:
    """(11 digits, start, end) of the first mobile number in `text`, in any writing: 139 8765 4321,
    １３９…, 一三九零七一五一二三四, 幺三九…; the span is in `text`'s own positions, so it can be cut out."""
    views = [_fold(text, numerals=False)]
    if any(ch in _NUMERALS for ch in text):
        views.append(_fold(text, numerals=True))
    best: tuple[str, int, int] | None = None
    for view in views:
        for m in _MOBILE_ANY.finditer(view):
            first = m.end("prefix") if m.group("prefix") else m.start()
            digits = "".join(ch for ch in view[first : m.end()] if ch.isdigit())
            if _MOBILE.match(digits) and (best is None or m.start() < best[1]):
                best = (digits, m.start(), m.end())
                break
    return best
