"""民意调查 / 民主评议: surveys, invitations, participation (apart from the answers), answers, one-use links, QR scans

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 09:00:00

New tables only (issue 16, the survey part); nothing existing is touched. (0014 is written in parallel; the chain
is fixed when the two meet.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from storage.models.base import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def _survey_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name=op.f(f"fk_{table}_survey_id_surveys"))


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", _ID, nullable=False),
        sa.Column("title", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("units", _JSON, nullable=False),
        sa.Column("audience", _JSON, nullable=False),
        sa.Column("questions", _JSON, nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        _at("opens_at"),
        _at("closes_at"),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        _at("created_at"),
        _at("closed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    op.create_index(op.f("ix_surveys_closes_at"), "surveys", ["closes_at"])

    op.create_table(
        "survey_invitations",
        sa.Column("id", _ID, nullable=False),
        sa.Column("survey_id", _ID, nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("link_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        _at("invited_at"),
        sa.Column("declined", sa.Boolean(), nullable=False),
        _survey_fk("survey_invitations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("survey_id", "pseudonym", "unit", name=op.f("uq_survey_invitations_survey_id")),
    )
    op.create_index(op.f("ix_survey_invitations_pseudonym"), "survey_invitations", ["pseudonym"])
    op.create_index(op.f("ix_survey_invitations_link_key"), "survey_invitations", ["link_key"])

    op.create_table(
        "survey_participations",
        sa.Column("survey_id", _ID, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("participant", sa.String(length=64), nullable=False),
        _survey_fk("survey_participations"),
        sa.PrimaryKeyConstraint("survey_id", "unit", "participant", name=op.f("pk_survey_participations")),
    )

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("survey_id", _ID, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("answers", _JSON, nullable=False),
        sa.Column("mixed", sa.Boolean(), nullable=False),
        _survey_fk("survey_responses"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
    )
    op.create_index(op.f("ix_survey_responses_survey_id"), "survey_responses", ["survey_id"])
    op.create_index(op.f("ix_survey_responses_mixed"), "survey_responses", ["mixed"])

    op.create_table(
        "survey_links",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("survey_id", _ID, nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        _at("created_at"),
        sa.Column("used", sa.Boolean(), nullable=False),
        _survey_fk("survey_links"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_survey_links")),
    )
    op.create_index(op.f("ix_survey_links_survey_id"), "survey_links", ["survey_id"])

    op.create_table(
        "qr_scans",
        sa.Column("id", _ID, nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("window", sa.String(length=16), nullable=True),
        _at("scanned_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qr_scans")),
    )
    op.create_index(op.f("ix_qr_scans_pseudonym"), "qr_scans", ["pseudonym"])
    op.create_index("ix_qr_scans_unit_scanned_at", "qr_scans", ["unit", "scanned_at"])


def downgrade() -> None:
    op.drop_index("ix_qr_scans_unit_scanned_at", table_name="qr_scans")
    op.drop_index(op.f("ix_qr_scans_pseudonym"), table_name="qr_scans")
    op.drop_table("qr_scans")
    op.drop_index(op.f("ix_survey_links_survey_id"), table_name="survey_links")
    op.drop_table("survey_links")
    op.drop_index(op.f("ix_survey_responses_mixed"), table_name="survey_responses")
    op.drop_index(op.f("ix_survey_responses_survey_id"), table_name="survey_responses")
    op.drop_table("survey_responses")
    op.drop_table("survey_participations")
    op.drop_index(op.f("ix_survey_invitations_link_key"), table_name="survey_invitations")
    op.drop_index(op.f("ix_survey_invitations_pseudonym"), table_name="survey_invitations")
    op.drop_table("survey_invitations")
    op.drop_index(op.f("ix_surveys_closes_at"), table_name="surveys")
    op.drop_table("surveys")
