"""accountability: case findings (查实/整改) and 问责 records, sent digests, 活档案 entries, 公开通报

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:15:00

New tables only (issue 15, the accountability half); nothing existing is rebuilt, so the append-only triggers of
`case_events` and the foreign keys that point at `cases` are untouched. (0011 is written in parallel; the chain
is fixed when the two meet.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.models.base import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "case_findings",
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _at("recorded_at"),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        _at("reviewed_at", nullable=True),
        sa.Column("review_note", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_case_findings_case_id_cases")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_findings")),
    )
    op.create_index(op.f("ix_case_findings_recorded_at"), "case_findings", ["recorded_at"])
    op.create_index(op.f("ix_case_findings_status"), "case_findings", ["status"])

    op.create_table(
        "accountability_records",
        sa.Column("id", _ID, nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("measure", sa.String(length=24), nullable=False),
        sa.Column("post", sa.String(length=40), nullable=True),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("official_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _at("recorded_at"),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        _at("reviewed_at", nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_accountability_records_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_records")),
    )
    for column in ("case_id", "recorded_at", "status", "unit"):
        op.create_index(op.f(f"ix_accountability_records_{column}"), "accountability_records", [column])

    op.create_table(
        "digest_issues",
        sa.Column("week", sa.String(length=10), nullable=False),
        _at("start"),
        _at("end"),
        _at("as_of"),
        _at("sent_at"),
        sa.Column("content", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_digest_issues")),
    )

    op.create_table(
        "dossier_entries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("official_id", sa.String(length=32), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=8), nullable=False),
        sa.Column("ref", sa.String(length=80), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        _at("recorded_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_entries")),
        sa.UniqueConstraint("official_id", "ref", name=op.f("uq_dossier_entries_official_id")),
    )
    op.create_index(op.f("ix_dossier_entries_official_id"), "dossier_entries", ["official_id"])

    op.create_table(
        "bulletins",
        sa.Column("id", _ID, nullable=False),
        sa.Column("public_id", sa.String(length=24), nullable=False),
        sa.Column("case_id", _ID, nullable=False),
        sa.Column("tone", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("drafted_by", _ID, nullable=False),
        _at("drafted_at"),
        sa.Column("approved_by", _ID, nullable=True),
        _at("approved_at", nullable=True),
        sa.Column("withdrawn_by", _ID, nullable=True),
        _at("withdrawn_at", nullable=True),
        sa.Column("withdraw_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_bulletins_case_id_cases")),
        sa.ForeignKeyConstraint(["drafted_by"], ["staff_accounts.id"],
                                name=op.f("fk_bulletins_drafted_by_staff_accounts")),
        sa.ForeignKeyConstraint(["approved_by"], ["staff_accounts.id"],
                                name=op.f("fk_bulletins_approved_by_staff_accounts")),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["staff_accounts.id"],
                                name=op.f("fk_bulletins_withdrawn_by_staff_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletins")),
        sa.UniqueConstraint("public_id", name=op.f("uq_bulletins_public_id")),
    )  # fmt: skip
    for column in ("approved_at", "case_id", "status"):
        op.create_index(op.f(f"ix_bulletins_{column}"), "bulletins", [column])


def downgrade() -> None:
    for column in ("approved_at", "case_id", "status"):
        op.drop_index(op.f(f"ix_bulletins_{column}"), table_name="bulletins")
    op.drop_table("bulletins")
    op.drop_index(op.f("ix_dossier_entries_official_id"), table_name="dossier_entries")
    op.drop_table("dossier_entries")
    op.drop_table("digest_issues")
    for column in ("case_id", "recorded_at", "status", "unit"):
        op.drop_index(op.f(f"ix_accountability_records_{column}"), table_name="accountability_records")
    op.drop_table("accountability_records")
    op.drop_index(op.f("ix_case_findings_status"), table_name="case_findings")
    op.drop_index(op.f("ix_case_findings_recorded_at"), table_name="case_findings")
    op.drop_table("case_findings")
