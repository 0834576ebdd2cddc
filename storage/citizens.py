"""Repository for the restricted openid ↔ pseudonym table. Never commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage._upsert import insert_ignore
from storage.models import Citizen


def touch(*, session: orm.Session, pseudonym: str, openid: str, at: datetime, message: bool) -> Citizen:
    """Make sure the citizen exists; a real message (not an event) opens the 48-hour service window."""
    insert_ignore(
        session,
        Citizen.__table__,  # type: ignore[arg-type]
        {"pseudonym": pseudonym, "openid": openid, "subscribed": True, "first_seen_at": at},
        ["pseudonym"],
    )
    citizen = session.get(Citizen, pseudonym, populate_existing=True)
    assert citizen is not None  # inserted above or already there
    if message and (citizen.last_message_at is None or citizen.last_message_at < at):
        citizen.last_message_at = at
    return citizen


def set_subscribed(*, session: orm.Session, pseudonym: str, subscribed: bool, at: datetime) -> None:
    citizen = session.get(Citizen, pseudonym)
    if citizen is None:
        return
    citizen.subscribed = subscribed
    citizen.unsubscribed_at = None if subscribed else at


def openid_for(*, session: orm.Session, pseudonym: str) -> str | None:
    """The only way back from a pseudonym to an openid: callers are the sender and audited reveals."""
    return session.scalar(sa.select(Citizen.openid).where(Citizen.pseudonym == pseudonym))
