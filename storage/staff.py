"""Repository for console staff accounts, their server-side sessions, failed sign-ins (throttling) and the console
access log. Never commits.

Passwords arrive here already hashed: hashing belongs to `bot/` (werkzeug), storage only keeps the result. Session
ids arrive as SHA-256 hex digests: the id itself lives only in the signed cookie.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import LoginFailure
from storage.models import StaffAccount
from storage.models import StaffEvent
from storage.models import StaffSession

ROLES = ("supervisor", "unit_head", "office", "admin", "organisation", "inspector")


def add(
    *,
    session: orm.Session,
    username: str,
    display_name: str,
    password_hash: str,
    role: str,
    units: Sequence[str],
    member_of: str | None,
    supervisor_id: str | None,
    now: datetime,
) -> StaffAccount:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    account = StaffAccount(
        username=username,
        display_name=display_name,
        password_hash=password_hash,
        role=role,
        units=list(units),
        member_of=member_of,
        supervisor_id=supervisor_id,
        active=True,
        created_at=now,
    )
    session.add(account)
    session.flush()
    return account


def get(*, session: orm.Session, staff_id: int) -> StaffAccount | None:
    return session.get(StaffAccount, staff_id)


def by_username(*, session: orm.Session, username: str) -> StaffAccount | None:
    return session.scalars(sa.select(StaffAccount).where(StaffAccount.username == username)).one_or_none()


def by_supervisor(*, session: orm.Session, supervisor_id: str) -> StaffAccount | None:
    return session.scalars(sa.select(StaffAccount).where(StaffAccount.supervisor_id == supervisor_id)).one_or_none()


def list_all(*, session: orm.Session) -> list[StaffAccount]:
    return list(session.scalars(sa.select(StaffAccount).order_by(StaffAccount.username)))


def set_active(*, session: orm.Session, account: StaffAccount, active: bool, now: datetime) -> int:
    """Enable or disable; disabling revokes every open session of the account. Returns the sessions revoked."""
    account.active = active
    return 0 if active else revoke_all_sessions(session=session, staff_id=account.id, now=now)


def set_password(*, session: orm.Session, account: StaffAccount, password_hash: str, now: datetime) -> int:
    """A new password hash; every open session of the account is revoked. Returns the sessions revoked."""
    account.password_hash = password_hash
    return revoke_all_sessions(session=session, staff_id=account.id, now=now)


def open_session(*, session: orm.Session, staff_id: int, token_hash: str, now: datetime,
                 user_agent_hash: str | None) -> StaffSession:  # fmt: skip
    row = StaffSession(token_hash=token_hash, staff_id=staff_id, created_at=now, last_seen_at=now,
                       user_agent_hash=user_agent_hash)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def live_session(*, session: orm.Session, token_hash: str,
                 started_after: datetime) -> tuple[StaffSession, StaffAccount] | None:  # fmt: skip
    """The session and its account when the session is not revoked, started after `started_after` (the absolute
    lifetime) and the account is active; otherwise None."""
    row = session.execute(
        sa.select(StaffSession, StaffAccount)
        .join(StaffAccount, StaffAccount.id == StaffSession.staff_id)
        .where(
            StaffSession.token_hash == token_hash,
            StaffSession.revoked_at.is_(None),
            StaffSession.created_at > started_after,
            StaffAccount.active.is_(True),
        )  # fmt: skip
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def revoke_session(*, session: orm.Session, token_hash: str, now: datetime) -> bool:
    result = session.execute(
        sa.update(StaffSession)
        .where(StaffSession.token_hash == token_hash, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def revoke_all_sessions(*, session: orm.Session, staff_id: int, now: datetime) -> int:
    result = session.execute(
        sa.update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def record_failure(*, session: orm.Session, key: str, address_key: str, at: datetime) -> None:
    session.add(LoginFailure(key=key, address_key=address_key, at=at))


def failures_since(*, session: orm.Session, since: datetime, key: str | None = None,
                   address_key: str | None = None) -> int:  # fmt: skip
    stmt = sa.select(sa.func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    if key is not None:
        stmt = stmt.where(LoginFailure.key == key)
    if address_key is not None:
        stmt = stmt.where(LoginFailure.address_key == address_key)
    return session.scalar(stmt) or 0


def clear_failures(*, session: orm.Session, key: str) -> None:
    session.execute(sa.delete(LoginFailure).where(LoginFailure.key == key))


def prune_failures(*, session: orm.Session, before: datetime) -> int:
    result = session.execute(sa.delete(LoginFailure).where(LoginFailure.at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def log_event(*, session: orm.Session, at: datetime, staff_id: int | None, action: str, target: str | None = None,
              detail: str | None = None) -> StaffEvent:  # fmt: skip
    event = StaffEvent(at=at, staff_id=staff_id, action=action, target=target, detail=detail)
    session.add(event)
    return event


def events(*, session: orm.Session, action: str | None = None, limit: int = 200) -> list[StaffEvent]:
    stmt = sa.select(StaffEvent).order_by(StaffEvent.id.desc()).limit(limit)
    if action is not None:
        stmt = stmt.where(StaffEvent.action == action)
    return list(session.scalars(stmt))
