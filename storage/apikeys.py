"""Repository for Open311 API keys (only their SHA-256 is stored) and which key filed which case. Never commits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import ApiKey
from storage.models import Case
from storage.models import Open311Request


def key_hash(key: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(("open311:" + key).encode("utf-8")).hexdigest()


def add(*, session: orm.Session, name: str, key: str, now: datetime) -> ApiKey:
    row = ApiKey(name=name, key_hash=key_hash(key), prefix=key[:8], created_at=now)
    session.add(row)
    session.flush()
    return row


def by_key(*, session: orm.Session, key: str) -> ApiKey | None:
    """The active key matching `key`, or None (unknown and revoked keys look the same)."""
    row = session.scalars(sa.select(ApiKey).where(ApiKey.key_hash == key_hash(key))).one_or_none()
    return row if row is not None and row.revoked_at is None else None


def by_name(*, session: orm.Session, name: str) -> ApiKey | None:
    return session.scalars(sa.select(ApiKey).where(ApiKey.name == name)).one_or_none()


def list_all(*, session: orm.Session) -> list[ApiKey]:
    return list(session.scalars(sa.select(ApiKey).order_by(ApiKey.name)))


def link(*, session: orm.Session, case: Case, api_key: ApiKey, now: datetime) -> None:
    session.add(Open311Request(case_id=case.id, api_key_id=api_key.id, created_at=now))


def own_cases(*, session: orm.Session, api_key: ApiKey) -> sa.Select[tuple[Case]]:
    """A select of the cases this key filed, for the caller to filter further."""
    return (
        sa.select(Case)
        .join(Open311Request, Open311Request.case_id == Case.id)
        .where(Open311Request.api_key_id == api_key.id)
    )


def filed_since(*, session: orm.Session, api_key: ApiKey, since: datetime) -> int:
    """How many requests this key filed since `since` (its hourly limit)."""
    stmt = sa.select(sa.func.count()).select_from(Open311Request)
    return session.scalar(stmt.where(Open311Request.api_key_id == api_key.id, Open311Request.created_at >= since)) or 0


def find_own(
    *,
    session: orm.Session,
    api_key: ApiKey,
    numbers: Sequence[str] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    categories: Sequence[str] = (),
    closed_states: Sequence[str] = (),
    status: str | None = None,
    limit: int,
) -> list[Case]:
    """The key's own cases: by number, or created in [start, end] with the category and open/closed filters."""
    stmt = own_cases(session=session, api_key=api_key)
    if numbers:
        stmt = stmt.where(Case.number.in_(list(numbers)))
    else:
        if start is not None:
            stmt = stmt.where(Case.created_at >= start)
        if end is not None:
            stmt = stmt.where(Case.created_at <= end)
        if categories:
            stmt = stmt.where(Case.category.in_(list(categories)))
        if status == "open":
            stmt = stmt.where(Case.state.not_in(sorted(closed_states)))
        elif status == "closed":
            stmt = stmt.where(Case.state.in_(sorted(closed_states)))
    return list(session.scalars(stmt.order_by(Case.created_at.desc(), Case.id.desc()).limit(limit)))


def own_case(*, session: orm.Session, api_key: ApiKey, number: str) -> Case | None:
    stmt = own_cases(session=session, api_key=api_key).where(Case.number == number.strip().upper()[:16])
    return session.scalars(stmt).one_or_none()
