"""Repository for supervisors' WeChat bindings and one-time bind codes. Never commits."""

from __future__ import annotations

import hashlib
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import BindFailure
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
    row.code_failures = 0


def supervisor_for_code(*, session: orm.Session, code: str, now: datetime) -> str | None:
    row = _live(session, code, now)
    return row.supervisor_id if row else None


def _live(session: orm.Session, code: str, now: datetime) -> SupervisorBinding | None:
    return session.scalars(
        sa.select(SupervisorBinding).where(
            SupervisorBinding.code_hash == code_hash(code), SupervisorBinding.code_expires_at > now
        )
    ).one_or_none()


def check_code(*, session: orm.Session, code: str, now: datetime, openid: str) -> tuple[str, str | None]:
    """What a code means for this sender: ("invalid", None), ("bind", sup) for a supervisor bound to nobody,
    ("same", sup) when the sender is already theirs, ("pending", sup) when another WeChat is bound to them."""
    row = _live(session, code, now)
    if row is None:
        return "invalid", None
    if row.openid is None:
        return "bind", row.supervisor_id
    return ("same" if row.openid == openid else "pending"), row.supervisor_id


def is_locked(*, session: orm.Session, pseudonym: str, now: datetime) -> bool:
    row = session.get(BindFailure, pseudonym)
    return row is not None and row.locked_until is not None and row.locked_until > now


def record_failure(
    *, session: orm.Session, pseudonym: str, now: datetime, sender_limit: int, lock: timedelta, code_limit: int
) -> None:
    """Count a wrong code against the sender (locked for `lock` at `sender_limit` within that time) and against
    every code still waiting (voided at `code_limit`)."""
    row = session.get(BindFailure, pseudonym)
    if row is None or row.first_at < now - lock:
        if row is None:
            row = BindFailure(pseudonym=pseudonym, failures=0, first_at=now)
            session.add(row)
        row.failures, row.first_at, row.locked_until = 0, now, None
    row.failures += 1
    if row.failures >= sender_limit:
        row.locked_until = now + lock
    live = SupervisorBinding.code_hash.is_not(None) & (SupervisorBinding.code_expires_at > now)
    session.execute(
        sa.update(SupervisorBinding).where(live).values(code_failures=SupervisorBinding.code_failures + 1),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        sa.update(SupervisorBinding)
        .where(SupervisorBinding.code_failures >= code_limit, SupervisorBinding.code_hash.is_not(None))
        .values(code_hash=None, code_expires_at=None),
        execution_options={"synchronize_session": False},
    )


def request_rebind(
    *, session: orm.Session, supervisor_id: str, openid: str, pseudonym: str, now: datetime
) -> str | None:
    """Park the new WeChat until the office confirms; the code is used up. Returns the bound pseudonym (to warn)."""
    row = session.get(SupervisorBinding, supervisor_id)
    assert row is not None
    row.pending_openid, row.pending_pseudonym, row.pending_at = openid, pseudonym, now
    row.code_hash, row.code_expires_at = None, None
    return row.pseudonym


def pending_rebinds(*, session: orm.Session) -> list[SupervisorBinding]:
    return list(session.scalars(sa.select(SupervisorBinding).where(SupervisorBinding.pending_openid.is_not(None))))


def confirm_rebind(*, session: orm.Session, supervisor_id: str, now: datetime) -> str | None:
    """Move the binding to the waiting WeChat (the office's confirmation). Returns the pseudonym bound before,
    or None when nothing was waiting."""
    row = session.get(SupervisorBinding, supervisor_id)
    if row is None or row.pending_openid is None or row.pending_pseudonym is None:
        return None
    previous = row.pseudonym
    openid, pseudonym = row.pending_openid, row.pending_pseudonym
    row.pending_openid, row.pending_pseudonym, row.pending_at = None, None, None
    bind(session=session, supervisor_id=supervisor_id, openid=openid, pseudonym=pseudonym, now=now)
    return previous


def reject_rebind(*, session: orm.Session, supervisor_id: str) -> bool:
    row = session.get(SupervisorBinding, supervisor_id)
    if row is None or row.pending_openid is None:
        return False
    row.pending_openid, row.pending_pseudonym, row.pending_at = None, None, None
    return True


def bind(*, session: orm.Session, supervisor_id: str, openid: str, pseudonym: str, now: datetime) -> None:
    """Link the openid; the code is used up, and any earlier link of this openid moves here."""
    session.execute(
        sa.update(SupervisorBinding)
        .where(SupervisorBinding.openid == openid, SupervisorBinding.supervisor_id != supervisor_id)
        .values(openid=None, pseudonym=None, bound_at=None)
    )
    row = session.get(SupervisorBinding, supervisor_id)
    assert row is not None
    session.flush()  # the openid above is released before it is taken here (UNIQUE)
    row.openid, row.pseudonym, row.bound_at = openid, pseudonym, now
    row.code_hash, row.code_expires_at, row.code_failures = None, None, 0
    failures = session.get(BindFailure, pseudonym)
    if failures is not None:
        session.delete(failures)


def bindings(*, session: orm.Session) -> dict[str, SupervisorBinding]:
    return {row.supervisor_id: row for row in session.scalars(sa.select(SupervisorBinding))}
