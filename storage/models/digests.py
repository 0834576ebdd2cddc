"""The weekly digests as they were sent: a past week is read back from here, never recomputed from today's state."""

from __future__ import annotations

import typing as t
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import JSONType
from storage.models.base import Model


class DigestIssue(Model):
    """One sent digest (ISO week of its period), its figures and lists as a JSON document."""

    __tablename__ = "digest_issues"

    week: orm.Mapped[str] = orm.mapped_column(sa.String(10), primary_key=True)
    start: orm.Mapped[datetime]
    end: orm.Mapped[datetime]
    as_of: orm.Mapped[datetime]
    sent_at: orm.Mapped[datetime]
    content: orm.Mapped[dict[str, t.Any]] = orm.mapped_column(JSONType)
