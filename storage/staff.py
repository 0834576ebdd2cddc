"""Repository for console staff accounts, failed sign-ins (throttling) and the console access log. Never commits.

Passwords arrive here already hashed: hashing belongs to `bot/` (werkzeug), storage only keeps the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import LoginFailure
from storage.models import StaffAccount
from storage.models import StaffEvent

ROLES = ("supervisor", "unit_head", "office", "admin")


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
        session_epoch=0,
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


def set_active(*, session: orm.Session, account: StaffAccount, active: bool) -> None:
    """Enable or disable; disabling bumps the epoch so the account's open sessions die on their next request."""
    account.active = active
    account.session_epoch += 1


def set_password(*, session: orm.Session, account: StaffAccount, password_hash: str) -> None:
    account.password_hash = password_hash
    account.session_epoch += 1


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
