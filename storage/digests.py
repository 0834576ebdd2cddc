"""Repository for the digests as sent (`digest_issues`). Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import DigestIssue


def get(*, session: orm.Session, week: str) -> DigestIssue | None:
    return session.get(DigestIssue, week)


def save(*, session: orm.Session, week: str, start: datetime, end: datetime, as_of: datetime, sent_at: datetime,
         content: dict[str, Any]) -> DigestIssue:  # fmt: skip
    """Keep the digest of `week` as it was sent (once: the job's run ledger sends each week once)."""
    row = DigestIssue(week=week, start=start, end=end, as_of=as_of, sent_at=sent_at, content=content)
    session.add(row)
    session.flush()
    return row


def weeks(*, session: orm.Session, limit: int = 52) -> list[tuple[str, datetime]]:
    """The weeks sent so far, newest first, with when."""
    stmt = sa.select(DigestIssue.week, DigestIssue.sent_at).order_by(DigestIssue.week.desc()).limit(limit)
    return [(w, at) for w, at in session.execute(stmt)]
