"""case requests (延期 with its days, early 办结) decided by the office; the imported official holiday schedule

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 10:00:00

`case_requests`: a handler's 延期 (the working days asked for are kept) or 提前办结 (while the citizen's rating is
awaited) waits here for the campaign office, which approves or rejects it once. `calendar_imports` /
`calendar_days`: the State Council's schedule loaded by `flask --app bot calendar import FILE`, one row per holiday
or 调休 working day, so every process (web workers, the scheduler) builds the same working-day calendar.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_requests",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("granted_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_requests_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_requests")),
    )
    op.create_index(op.f("ix_case_requests_case_id"), "case_requests", ["case_id"], unique=False)
    op.create_index(op.f("ix_case_requests_status"), "case_requests", ["status"], unique=False)
    op.create_table(
        "calendar_imports",
        sa.Column("id", _ID, nullable=False),
        sa.Column("at", storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("years", sa.String(length=64), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("days_changed", sa.Integer(), nullable=False),
        sa.Column("cases_changed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_imports")),
    )
    op.create_table(
        "calendar_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("import_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"], ["calendar_imports.id"], name=op.f("fk_calendar_days_import_id_calendar_imports")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_days")),
    )
    op.create_index(op.f("ix_calendar_days_import_id"), "calendar_days", ["import_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_days_import_id"), table_name="calendar_days")
    op.drop_table("calendar_days")
    op.drop_table("calendar_imports")
    op.drop_index(op.f("ix_case_requests_status"), table_name="case_requests")
    op.drop_index(op.f("ix_case_requests_case_id"), table_name="case_requests")
    op.drop_table("case_requests")
