"""cases.search_text: the masked text the console's queue search reads

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 10:00:00.000000

Searching the raw text for four digits told which case held a masked phone number. The queue now searches
`search_text`, the text as staff see it (phone and ID numbers masked), written with the text by the app.

The backfill needs the masking, but storage/ (migrations included) must never import handlers/ — the boundary
test walks every import, lazy ones too. So `masked()` below is a frozen copy of `handlers.masking.mask_text`
as of this migration: it only has to give the rows that exist today the value the app would have written.
Later changes to the masking leave this file alone (a test compares the two on today's writings).
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000

# -- frozen copy of handlers.masking.mask_text (2026-12) -----------------------------------------------------
_NUMERALS = dict(zip("〇○零一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖", "00011122233445566778899", strict=True))
_S = r"[ \t\r\n\-.·\u2010-\u2015\u2212]{0,3}"
_D = "[0-9]"
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z])" + rf"(?P<prefix>(?:\+|00)?86{_S})?" + _S.join(["1", "[3-9]", *[_D] * 9]) + r"(?![0-9A-Za-z])"
)
_ID = re.compile(
    r"(?<![0-9A-Za-z])"
    + _S.join(
        [
            _S.join(["[1-9]", *[_D] * 5]),
            f"(?:1{_S}[89]|2{_S}0){_S}{_D}{_S}{_D}",
            f"(?:0{_S}[1-9]|1{_S}[0-2])",
            f"(?:0{_S}[1-9]|[12]{_S}[0-9]|3{_S}[01])",
            _S.join([_D] * 3) + _S + "[0-9Xx]",
        ]
    )
    + r"(?![0-9A-Za-z])"
)


def _fold(text: str, numerals: bool) -> str:
    out = []
    for ch in text:
        if numerals and ch in _NUMERALS:
            out.append(_NUMERALS[ch])
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def masked(text: str) -> str:
    """Mobile and ID numbers in any writing shown as 139****4321 / 420***********123X; the rest as written."""
    if not text:
        return text
    views = [_fold(text, False)]
    if any(ch in _NUMERALS for ch in text):
        views.append(_fold(text, True))
    hidden: set[int] = set()
    inside: set[int] = set()
    for view in views:
        for pattern in (_ID, _MOBILE):
            for m in pattern.finditer(view):
                first = m.end("prefix") if "prefix" in pattern.groupindex and m.group("prefix") else m.start()
                digits = [i for i in range(first, m.end()) if view[i] in "0123456789Xx"]
                hidden.update(digits[3 : len(digits) - 4])
                inside.update(range(m.start(), m.end()))
    if not inside:
        return text
    shown = views[-1]
    return "".join("*" if i in hidden else shown[i] if i in inside else ch for i, ch in enumerate(text))


# -- the migration -------------------------------------------------------------------------------------------


def upgrade() -> None:
    op.add_column("cases", sa.Column("search_text", sa.Text(), server_default="", nullable=False))
    conn = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.BigInteger()), sa.column("text", sa.Text()),
                     sa.column("search_text", sa.Text()))  # fmt: skip
    last = 0
    while True:
        rows = conn.execute(
            sa.select(cases.c.id, cases.c.text).where(cases.c.id > last).order_by(cases.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            sa.update(cases).where(cases.c.id == sa.bindparam("row_id")).values(search_text=sa.bindparam("masked")),
            [{"row_id": row_id, "masked": masked(text or "")} for row_id, text in rows],
        )
        last = rows[-1][0]


def downgrade() -> None:
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch rebuild of `cases` would trip its foreign keys.
    op.drop_column("cases", "search_text")
