"""A mobile and an ID number written every way complaints write them, and the check that staff never see them.

Used by the masking unit tests and by the tests of every surface where staff read citizen text: the case page,
the queue, the triage desk, the ledger, the digest, Open311, supervisor notices, `case show` and the
corrections export.
"""

from __future__ import annotations

import unicodedata

PHONE = "13987654321"
ID_NUMBER = "42010219900307123X"
PHONE_WRITINGS = [
    "13987654321",
    "１３９８７６５４３２１",  # full-width, as some keyboards type
    "139.8765.4321",
    "1398 765 4321",
    "139-8765-4321",
    "139 8765 4321",
    "+86 139 8765 4321",
    "+8613987654321",
    "８６－１３９－８７６５－４３２１",
    "一三九八七六五四三二一",  # spelled out in Chinese numerals
    "幺三九八七六五四三二幺",
    "139八七六五4321",  # mixed
    "一三九 八七六五 四三二一",
    "139\n8765\n4321",  # over three lines: a one-line snippet would join them
]
ID_WRITINGS = [
    "42010219900307123X",
    "４２０１０２１９９００３０７１２３Ｘ",
    "420102 19900307 123X",
    "420102-1990-0307-123x",
]
# One complaint holding every writing at once.
PLANTED_TEXT = (
    "昨天上午我去不动产登记中心办房产证，3号窗口的工作人员态度特别差，让我跑了三趟。我的电话："
    + "；".join(PHONE_WRITINGS)
    + "。身份证："
    + "；".join(ID_WRITINGS)
    + "。"
)
_NUMERALS = dict(zip("〇○零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖", "00011122233445566778899", strict=True))
_SEPARATORS = set(" .-·\u3000\n\r\t")


def digit_forms(digits: str) -> list[str]:
    """`digits` as ASCII, full-width and Chinese numerals."""
    full = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in digits)
    chinese = "".join("〇一二三四五六七八九"[int(c)] if c.isdigit() else c for c in digits)
    return [digits, full, chinese]


def _folded(text: str) -> str:
    """`text` with every digit written as ASCII and the separators between digits taken out."""
    plain = unicodedata.normalize("NFKC", "".join(_NUMERALS.get(ch, ch) for ch in text))
    return "".join(ch for ch in plain if ch not in _SEPARATORS).upper()


def assert_unrecoverable(text: str, secrets: tuple[str, ...] = (PHONE, ID_NUMBER)) -> None:
    """No 7 consecutive digits of a secret survive in `text`, in any writing, with or without separators."""
    assert text, "nothing to check"
    folded = _folded(text)
    for secret in secrets:
        for form in digit_forms(secret):
            assert form not in text, form
        for i in range(len(secret) - 6):
            assert secret[i : i + 7] not in folded, (secret[i : i + 7], text[:200])
