"""case kinds: complaint, review (差评 → 整改), praise, suggestion; the person a praise names

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN (SQLite 3.35+): a batch rebuild of `cases` would trip the foreign keys that point at it.
def upgrade() -> None:
    op.add_column("cases", sa.Column("kind", sa.String(16), nullable=False, server_default="complaint"))
    op.add_column("cases", sa.Column("person", sa.String(64), nullable=True))
    op.create_index("ix_cases_kind", "cases", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_cases_kind", table_name="cases")
    op.drop_column("cases", "person")
    op.drop_column("cases", "kind")
