"""bind code limits (per sender and per code), rebinds waiting for the office, keyed audit chain version

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:00:00

Outstanding 6-digit bind codes are voided: codes are now 10 characters and hashed as such. Existing audit events
keep their unkeyed SHA-256 (hash_version 0); new events are HMAC-keyed (1). `case_events` gets its column with
ADD COLUMN, which keeps the append-only triggers of 0006 on SQLite (no table rebuild).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supervisor_bindings") as batch:
        batch.add_column(sa.Column("code_failures", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("pending_openid", sa.String(128), nullable=True))
        batch.add_column(sa.Column("pending_pseudonym", sa.String(64), nullable=True))
        batch.add_column(sa.Column("pending_at", storage.models.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE supervisor_bindings SET code_hash = NULL, code_expires_at = NULL")
    op.create_table(
        "bind_failures",
        sa.Column("pseudonym", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", storage.models.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column("case_events", sa.Column("hash_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("case_events", "hash_version")
    op.drop_table("bind_failures")
    with op.batch_alter_table("supervisor_bindings") as batch:
        batch.drop_column("pending_at")
        batch.drop_column("pending_pseudonym")
        batch.drop_column("pending_openid")
        batch.drop_column("code_failures")
