"""民意调查 / 民主评议: surveys, who was invited, who answered, the answers — and the QR scans that find an audience.

Answers are kept apart from identities. `survey_invitations` and `survey_participations` know who was asked and
who answered (so one answer per citizen and unit holds); `survey_responses` hold the answers and nothing about
anyone: no pseudonym, no time, a random id. Nothing joins the two sides — no shared id, no timestamp; a response's
row is rewritten in random order with a new id by the surveys job (`mixed`), so not even the database's own row
order or transaction ids tell which participation it belongs to for longer than one job interval.
"""

from __future__ import annotations

import typing as t
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import JSONType
from storage.models.base import Model
from storage.models.base import _BigId


class Survey(Model):
    """One campaign: kind citizen (民意调查) or staff (民主测评), its units, audience, dates and questions."""

    __tablename__ = "surveys"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(8))  # citizen | staff
    units: orm.Mapped[list[str]] = orm.mapped_column(JSONType)  # unit codes, `all` expanded at creation
    audience: orm.Mapped[dict[str, t.Any]] = orm.mapped_column(JSONType)
    questions: orm.Mapped[list[dict[str, t.Any]]] = orm.mapped_column(JSONType)
    opens: orm.Mapped[date] = orm.mapped_column(sa.Date)  # the city's dates, as written
    closes: orm.Mapped[date] = orm.mapped_column(sa.Date)
    opens_at: orm.Mapped[datetime]  # 00:00 of `opens` in the city's time zone
    closes_at: orm.Mapped[datetime] = orm.mapped_column(index=True)  # 24:00 of `closes`
    source: orm.Mapped[str] = orm.mapped_column(sa.Text)  # the YAML as written
    created_by: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    created_at: orm.Mapped[datetime]
    closed_at: orm.Mapped[datetime | None]  # set by the surveys job at `closes_at`, or earlier by `survey close`


class SurveyInvitation(Model):
    """A citizen invited to answer about one unit: once per survey, citizen and unit, however often it is sent."""

    __tablename__ = "survey_invitations"
    __table_args__ = (sa.UniqueConstraint("survey_id", "pseudonym", "unit"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    survey_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("surveys.id"))
    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    link_key: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)  # in the citizen's signed link
    channel: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # message (48-hour window) | template (link)
    invited_at: orm.Mapped[datetime]
    declined: orm.Mapped[bool] = orm.mapped_column(default=False)  # 不参加 / 停止: never asked again


class SurveyParticipation(Model):
    """That someone answered about a unit — and nothing else: no time, no id, no pointer to the answer."""

    __tablename__ = "survey_participations"

    survey_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("surveys.id"), primary_key=True)
    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16), primary_key=True)
    participant: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)  # the citizen's pseudonym


class SurveyResponse(Model):
    """One respondent's answers about one unit, aligned with the survey's questions. Nobody's: see the module."""

    __tablename__ = "survey_responses"

    id: orm.Mapped[str] = orm.mapped_column(sa.String(32), primary_key=True)  # random, never a sequence
    survey_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("surveys.id"), index=True)
    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    answers: orm.Mapped[list[t.Any]] = orm.mapped_column(JSONType)
    mixed: orm.Mapped[bool] = orm.mapped_column(default=False, index=True)


class SurveyLink(Model):
    """A one-use link of a 民主测评 for a unit's staff and service users: the key is the SHA-256 of its secret."""

    __tablename__ = "survey_links"

    key: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    survey_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("surveys.id"), index=True)
    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    created_at: orm.Mapped[datetime]
    used: orm.Mapped[bool] = orm.mapped_column(default=False)  # no time of use: it would date the answer


class QrScan(Model):
    """A window or rating QR code scanned: who dealt with which unit (a survey's audience), kept for a year."""

    __tablename__ = "qr_scans"
    __table_args__ = (sa.Index("ix_qr_scans_unit_scanned_at", "unit", "scanned_at"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    window: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    scanned_at: orm.Mapped[datetime]
