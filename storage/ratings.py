"""Repository for 好差评 window ratings, the units' appeals of a 误评 and the office's decisions. Never commits.

A rating whose appeal the office upheld no longer counts: every figure here leaves it out (`counted()`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Case
from storage.models import RatingAppeal
from storage.models import WindowRating

PENDING, UPHELD, REJECTED = "pending", "upheld", "rejected"


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


def upheld_ids() -> sa.Select[tuple[int]]:
    """The ratings the office upheld as 误评."""
    return sa.select(RatingAppeal.rating_id).where(RatingAppeal.status == UPHELD)


def counted() -> sa.ColumnElement[bool]:
    """The ratings that count in a unit's figures: all but those upheld as 误评."""
    return WindowRating.id.not_in(upheld_ids())


def misjudged_cases() -> sa.Select[tuple[int | None]]:
    """The review cases opened by a rating later upheld as 误评."""
    return sa.select(WindowRating.review_case_id).where(WindowRating.id.in_(upheld_ids()),
                                                        WindowRating.review_case_id.is_not(None))  # fmt: skip


def counts_by_level(*, session: orm.Session, start: datetime, end: datetime) -> list[tuple[str, str | None, int, int]]:
    """(unit, window, level, count) of the ratings given in [start, end) that count (误评 upheld left out)."""
    stmt = (
        sa.select(WindowRating.unit, WindowRating.window, WindowRating.level, sa.func.count())
        .where(WindowRating.rated_at >= start, WindowRating.rated_at < end, counted())
        .group_by(WindowRating.unit, WindowRating.window, WindowRating.level)
    )
    return [(u, w, int(lv), int(n)) for u, w, lv, n in session.execute(stmt)]


def excluded_counts(*, session: orm.Session, start: datetime, end: datetime) -> list[tuple[str, str | None, int]]:
    """(unit, window, count) of the ratings given in [start, end) that the office upheld as 误评."""
    stmt = (
        sa.select(WindowRating.unit, WindowRating.window, sa.func.count())
        .where(WindowRating.rated_at >= start, WindowRating.rated_at < end, WindowRating.id.in_(upheld_ids()))
        .group_by(WindowRating.unit, WindowRating.window)
    )
    return [(u, w, int(n)) for u, w, n in session.execute(stmt)]


def praise_counts(*, session: orm.Session, start: datetime, end: datetime) -> list[tuple[str, str | None, int]]:
    """(unit, window, count) of the praise the dialog recorded in [start, end) about a known unit."""
    stmt = (
        sa.select(Case.respondent_unit, Case.window, sa.func.count())
        .where(Case.kind == "praise", Case.created_at >= start, Case.created_at < end,
               Case.respondent_unit.is_not(None))
        .group_by(Case.respondent_unit, Case.window)
    )  # fmt: skip
    return [(u, w, int(n)) for u, w, n in session.execute(stmt)]


def level_sums(*, session: orm.Session, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """unit → (ratings, sum of levels) given in [start, end) that count: the 好差评 component of the standing."""
    stmt = (
        sa.select(WindowRating.unit, sa.func.count(), sa.func.sum(WindowRating.level))
        .where(WindowRating.rated_at >= start, WindowRating.rated_at < end, counted())
        .group_by(WindowRating.unit)
    )
    return {u: (int(n), int(total or 0)) for u, n, total in session.execute(stmt)}


# -- appeals of a 误评 -------------------------------------------------------------------------------------------


def get(*, session: orm.Session, rating_id: int) -> WindowRating | None:
    return session.get(WindowRating, rating_id)


def for_review_case(*, session: orm.Session, case_id: int) -> WindowRating | None:
    stmt = sa.select(WindowRating).where(WindowRating.review_case_id == case_id).order_by(WindowRating.id).limit(1)
    return session.scalars(stmt).first()


def appeal_of(*, session: orm.Session, rating_id: int) -> RatingAppeal | None:
    return session.scalars(sa.select(RatingAppeal).where(RatingAppeal.rating_id == rating_id)).first()


def appeal(*, session: orm.Session, appeal_id: int) -> RatingAppeal | None:
    return session.get(RatingAppeal, appeal_id)


def add_appeal(*, session: orm.Session, rating: WindowRating, reason: str, actor: str, now: datetime) -> RatingAppeal:
    row = RatingAppeal(rating_id=rating.id, unit=rating.unit, reason=reason, appealed_by=actor, appealed_at=now,
                       status=PENDING)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def decide(*, session: orm.Session, row: RatingAppeal, uphold: bool, actor: str, now: datetime,
           note: str | None) -> None:  # fmt: skip
    row.status = UPHELD if uphold else REJECTED
    row.decided_by, row.decided_at, row.decision_note = actor, now, note
    session.flush()


def poor_ratings(*, session: orm.Session, units: Sequence[str] | None, since: datetime,
                 limit: int = 200) -> list[tuple[WindowRating, RatingAppeal | None]]:  # fmt: skip
    """The 差评 (levels 1–2) given since `since` about `units` (None: all), newest first, each with its appeal."""
    stmt = (
        sa.select(WindowRating, RatingAppeal)
        .outerjoin(RatingAppeal, RatingAppeal.rating_id == WindowRating.id)
        .where(WindowRating.level <= 2, WindowRating.rated_at >= since)
        .order_by(WindowRating.rated_at.desc(), WindowRating.id.desc())
        .limit(limit)
    )
    if units is not None:
        stmt = stmt.where(WindowRating.unit.in_(list(units)))
    return [(r, a) for r, a in session.execute(stmt).tuples()]


def appeals(*, session: orm.Session, status: str | None, units_blocked: Sequence[str] = (),
            limit: int = 200) -> list[tuple[RatingAppeal, WindowRating]]:  # fmt: skip
    """Appeals (pending first, then the latest decided), with their ratings; never about a unit in `units_blocked`."""
    stmt = sa.select(RatingAppeal, WindowRating).join(WindowRating, WindowRating.id == RatingAppeal.rating_id)
    if status is not None:
        stmt = stmt.where(RatingAppeal.status == status)
    if units_blocked:
        stmt = stmt.where(RatingAppeal.unit.not_in(list(units_blocked)))
    stmt = stmt.order_by(sa.case((RatingAppeal.status == PENDING, 0), else_=1), RatingAppeal.appealed_at.desc(),
                         RatingAppeal.id.desc()).limit(limit)  # fmt: skip
    return [(a, r) for a, r in session.execute(stmt).tuples()]
