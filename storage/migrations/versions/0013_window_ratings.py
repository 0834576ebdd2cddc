"""好差评: window ratings (five levels, one per citizen per visit), a 差评's review case

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "window_ratings",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("pseudonym", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("window", sa.String(16), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rated_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("review_case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(["review_case_id"], ["cases.id"], name="fk_window_ratings_review_case_id_cases"),
        sa.PrimaryKeyConstraint("id", name="pk_window_ratings"),
    )
    op.create_index("ix_window_ratings_pseudonym", "window_ratings", ["pseudonym"])
    op.create_index("ix_window_ratings_unit_window_at", "window_ratings", ["unit", "window", "rated_at"])


def downgrade() -> None:
    op.drop_index("ix_window_ratings_unit_window_at", table_name="window_ratings")
    op.drop_index("ix_window_ratings_pseudonym", table_name="window_ratings")
    op.drop_table("window_ratings")
