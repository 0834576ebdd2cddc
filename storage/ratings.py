"""Repository for 好差评 window ratings. Never commits."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import WindowRating


def record(
    *, session: orm.Session, pseudonym: str, unit: str, window: str | None, level: int, at: datetime,
    replace_within: timedelta,
) -> WindowRating:  # fmt: skip
    """Store a rating; the same citizen's rating of the same window within `replace_within` is replaced (one per
    visit), keeping its row (and any review case it already opened)."""
    recent = latest(session=session, pseudonym=pseudonym, unit=unit, window=window, since=at - replace_within)
    if recent is not None:
        recent.level, recent.rated_at = level, at
        if level > 2:
            recent.reason = None  # no longer a 差评
        return recent
    row = WindowRating(pseudonym=pseudonym, unit=unit, window=window, level=level, rated_at=at)
    session.add(row)
    session.flush()
    return row


def latest(
    *, session: orm.Session, pseudonym: str, unit: str, window: str | None, since: datetime
) -> WindowRating | None:
    stmt = sa.select(WindowRating).where(
        WindowRating.pseudonym == pseudonym, WindowRating.unit == unit, WindowRating.rated_at >= since
    )
    stmt = stmt.where(WindowRating.window.is_(None) if window is None else WindowRating.window == window)
    return session.scalars(stmt.order_by(WindowRating.rated_at.desc(), WindowRating.id.desc()).limit(1)).first()


def counts_by_level(*, session: orm.Session, start: datetime, end: datetime) -> list[tuple[str, str | None, int, int]]:
    """(unit, window, level, count) of the ratings given in [start, end)."""
    stmt = (
        sa.select(WindowRating.unit, WindowRating.window, WindowRating.level, sa.func.count())
        .where(WindowRating.rated_at >= start, WindowRating.rated_at < end)
        .group_by(WindowRating.unit, WindowRating.window, WindowRating.level)
    )
    return [(u, w, int(lv), int(n)) for u, w, lv, n in session.execute(stmt)]
