"""The units' monthly standing: service volumes per unit and month (imported), and the months the office approved,
kept as approved so later changes to the data never rewrite a published month."""

from __future__ import annotations

import typing as t
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import JSONType
from storage.models.base import Model


class ServiceVolume(Model):
    """How many services a unit delivered in a month (办件量), as imported by `ranking volume import`."""

    __tablename__ = "service_volumes"

    unit: orm.Mapped[str] = orm.mapped_column(sa.String(16), primary_key=True)
    month: orm.Mapped[str] = orm.mapped_column(sa.String(7), primary_key=True)  # YYYY-MM
    volume: orm.Mapped[int]
    imported_at: orm.Mapped[datetime]


class RankingMonth(Model):
    """One month's standing as the office approved it (a JSON document: rows, components, samples, weights)."""

    __tablename__ = "ranking_months"

    month: orm.Mapped[str] = orm.mapped_column(sa.String(7), primary_key=True)
    content: orm.Mapped[dict[str, t.Any]] = orm.mapped_column(JSONType)
    computed_at: orm.Mapped[datetime]
    approved_by: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    approved_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
