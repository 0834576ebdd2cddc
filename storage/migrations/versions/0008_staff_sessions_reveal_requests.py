"""server-side console sessions (staff_sessions), two-person reveal requests; staff_accounts.session_epoch dropped

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 09:40:00.000000

A console cookie now carries only a random session id; the row (its SHA-256) decides whether the session is live,
so sign-out, a password change and a disabled account end sessions by revoking rows, and the per-account
session epoch has nothing left to do. `reveal_requests`: 查看身份 asked by one office account, approved or
declined by another, shown to the requester for a limited time after approval.

SQLite: the column is dropped with SQLite's own ALTER TABLE … DROP COLUMN (3.35+), not a batch rebuild, which
would drop and recreate `staff_accounts` under the foreign keys of `staff_events`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0008"
down_revision = "0007"
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
    op.create_table(
        "reveal_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("case_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("requested_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("requested_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("decided_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_reveal_requests_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["staff_accounts.id"], name=op.f("fk_reveal_requests_decided_by_staff_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["staff_accounts.id"], name=op.f("fk_reveal_requests_requested_by_staff_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reveal_requests")),
    )
    op.create_index(op.f("ix_reveal_requests_case_id"), "reveal_requests", ["case_id"], unique=False)
    op.create_index(op.f("ix_reveal_requests_decided_at"), "reveal_requests", ["decided_at"], unique=False)
    op.create_index(op.f("ix_reveal_requests_requested_by"), "reveal_requests", ["requested_by"], unique=False)
    op.create_index(op.f("ix_reveal_requests_status"), "reveal_requests", ["status"], unique=False)
    op.drop_column("staff_accounts", "session_epoch")


def downgrade() -> None:
    op.add_column(
        "staff_accounts", sa.Column("session_epoch", sa.Integer(), nullable=False, server_default=sa.text("0"))
    )
    for column in ("status", "requested_by", "decided_at", "case_id"):
        op.drop_index(op.f(f"ix_reveal_requests_{column}"), table_name="reveal_requests")
    op.drop_table("reveal_requests")
    op.drop_index(op.f("ix_staff_sessions_staff_id"), table_name="staff_sessions")
    op.drop_table("staff_sessions")
