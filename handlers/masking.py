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

# An 18-digit resident ID (GB 11643-1999): area code, birth date, sequence, check digit (0-9 or X).
_ID_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx](?![0-9A-Za-z])"
)

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


def _mask_digits(match: re.Match[str], keep_head: int, keep_tail: int) -> str:
    # Mask digit by digit so that the citizen's spacing and any +86 prefix survive unchanged.
    text = match.group(0)
    positions = [i for i, ch in enumerate(text) if ch.isdigit() or ch in "Xx"]
    if text.startswith("+86") or (len(positions) == 13 and text.startswith("86")):
        positions = positions[2:]
    hidden = set(positions[keep_head : len(positions) - keep_tail])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(text))


def mask_text(text: str) -> str:
    """`text` with every mobile number and 18-digit ID number inside it masked; everything else unchanged."""
    masked = _ID_IN_TEXT.sub(lambda m: _mask_digits(m, 3, 4), text)
    return _MOBILE_IN_TEXT.sub(lambda m: _mask_digits(m, 3, 4), masked)


def find_mobile(text: str) -> str | None:
    """The first valid mobile number written inside `text`, as 11 digits, or None."""
    for match in _MOBILE_IN_TEXT.finditer(unicodedata.normalize("NFKC", text)):
        phone = normalize_phone(match.group(0))
        if phone:
            return phone
    return None
