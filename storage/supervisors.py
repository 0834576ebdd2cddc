"""Repository for supervisors' WeChat bindings and one-time bind codes. Never commits."""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import SupervisorBinding


def code_hash(code: str) -> str:
    return hashlib.sha256(("bind:" + code).encode("utf-8")).hexdigest()


def issue_code(*, session: orm.Session, supervisor_id: str, code: str, expires_at: datetime) -> None:
    row = session.get(SupervisorBinding, supervisor_id)
    if row is None:
        row = SupervisorBinding(supervisor_id=supervisor_id)
        session.add(row)
    row.code_hash = code_hash(code)
    row.code_expires_at = expires_at


def supervisor_for_code(*, session: orm.Session, code: str, now: datetime) -> str | None:
    row = session.scalars(
        sa.select(SupervisorBinding).where(
            SupervisorBinding.code_hash == code_hash(code), SupervisorBinding.code_expires_at > now
        )
    ).one_or_none()
    return row.supervisor_id if row else None


def bind(*, session: orm.Session, supervisor_id: str, openid: str, pseudonym: str, now: datetime) -> None:
    """Link the openid; the code is used up, and any earlier link of this openid moves here."""
    session.execute(
        sa.update(SupervisorBinding)
        .where(SupervisorBinding.openid == openid, SupervisorBinding.supervisor_id != supervisor_id)
        .values(openid=None, pseudonym=None, bound_at=None)
    )
    row = session.get(SupervisorBinding, supervisor_id)
    assert row is not None
    row.openid, row.pseudonym, row.bound_at = openid, pseudonym, now
    row.code_hash, row.code_expires_at = None, None


def bindings(*, session: orm.Session) -> dict[str, SupervisorBinding]:
    return {row.supervisor_id: row for row in session.scalars(sa.select(SupervisorBinding))}
