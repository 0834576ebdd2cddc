"""server-side console sessions (staff_sessions); staff_accounts.session_epoch dropped

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-29 09:40:00.000000

A console cookie now carries only a random session id; the row (its SHA-256) decides whether the session is live,
so sign-out, a password change and a disabled account end sessions by revoking rows, and the per-account
session epoch has nothing left to do.

SQLite: the column is dropped with SQLite's own ALTER TABLE … DROP COLUMN (3.35+), not a batch rebuild, which
would drop and recreate `staff_accounts` under the foreign keys of `staff_events`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("user_agent_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff_accounts.id"], name=op.f("fk_staff_sessions_staff_id_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_staff_sessions_token_hash")),
    )
    op.create_index(op.f("ix_staff_sessions_staff_id"), "staff_sessions", ["staff_id"], unique=False)
    op.drop_column("staff_accounts", "session_epoch")


def downgrade() -> None:
    op.add_column(
        "staff_accounts", sa.Column("session_epoch", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    op.drop_index(op.f("ix_staff_sessions_staff_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
