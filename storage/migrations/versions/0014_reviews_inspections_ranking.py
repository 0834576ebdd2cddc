"""issue 16: 误评 appeals, 明查暗访 inspections and their photos, service volumes, approved monthly standings

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 04:00:00

New tables only: nothing existing is rebuilt, so the append-only triggers of `case_events` and the foreign keys
that point at `cases` are untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.models.base import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_CHECKS = ("on_duty", "badge", "first_responsibility", "one_time_notice", "attitude")


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "rating_appeals",
        sa.Column("id", _ID, nullable=False),
        sa.Column("rating_id", _ID, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("appealed_by", sa.String(length=64), nullable=False),
        _at("appealed_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        _at("decided_at", nullable=True),
        sa.Column("decision_note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["rating_id"], ["window_ratings.id"],
                                name=op.f("fk_rating_appeals_rating_id_window_ratings")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_appeals")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_rating_appeals_rating_id")),
    )  # fmt: skip
    for column in ("status", "unit"):
        op.create_index(op.f(f"ix_rating_appeals_{column}"), "rating_appeals", [column])

    op.create_table(
        "inspections",
        sa.Column("id", _ID, nullable=False),
        sa.Column("inspector_id", _ID, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=True),
        _at("visited_at"),
        *(sa.Column(name, sa.Boolean(), nullable=True) for name in _CHECKS),
        sa.Column("wait_minutes", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("case_id", _ID, nullable=True),
        _at("created_at"),
        sa.ForeignKeyConstraint(["inspector_id"], ["staff_accounts.id"],
                                name=op.f("fk_inspections_inspector_id_staff_accounts")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_inspections_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )  # fmt: skip
    for column in ("inspector_id", "unit", "visited_at"):
        op.create_index(op.f(f"ix_inspections_{column}"), "inspections", [column])

    op.create_table(
        "inspection_photos",
        sa.Column("id", _ID, nullable=False),
        sa.Column("inspection_id", _ID, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=256), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        _at("stored_at"),
        sa.ForeignKeyConstraint(["inspection_id"], ["inspections.id"],
                                name=op.f("fk_inspection_photos_inspection_id_inspections")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_photos")),
    )  # fmt: skip
    op.create_index(op.f("ix_inspection_photos_inspection_id"), "inspection_photos", ["inspection_id"])

    op.create_table(
        "service_volumes",
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("volume", sa.Integer(), nullable=False),
        _at("imported_at"),
        sa.PrimaryKeyConstraint("unit", "month", name=op.f("pk_service_volumes")),
    )

    op.create_table(
        "ranking_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("content", _JSON, nullable=False),
        _at("computed_at"),
        sa.Column("approved_by", sa.String(length=64), nullable=False),
        _at("approved_at"),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_ranking_months")),
    )
    op.create_index(op.f("ix_ranking_months_approved_at"), "ranking_months", ["approved_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ranking_months_approved_at"), table_name="ranking_months")
    op.drop_table("ranking_months")
    op.drop_table("service_volumes")
    op.drop_index(op.f("ix_inspection_photos_inspection_id"), table_name="inspection_photos")
    op.drop_table("inspection_photos")
    for column in ("inspector_id", "unit", "visited_at"):
        op.drop_index(op.f(f"ix_inspections_{column}"), table_name="inspections")
    op.drop_table("inspections")
    for column in ("status", "unit"):
        op.drop_index(op.f(f"ix_rating_appeals_{column}"), table_name="rating_appeals")
    op.drop_table("rating_appeals")
