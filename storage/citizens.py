"""Repository for the restricted openid ↔ pseudonym table. Never commits."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage import driver
from storage._upsert import insert_ignore
from storage.models import Case
from storage.models import Citizen
from storage.models import Dialog

_TOUCH_MESSAGE = sa.text(
    "INSERT INTO citizens (pseudonym, openid, subscribed, first_seen_at, last_message_at) "
    "VALUES (:pseudonym, :openid, :subscribed, :at, :at) "
    "ON CONFLICT (pseudonym) DO UPDATE SET last_message_at = excluded.last_message_at "
    "WHERE citizens.last_message_at IS NULL OR citizens.last_message_at < excluded.last_message_at"
).bindparams(sa.bindparam("at", type_=Citizen.__table__.c.last_message_at.type))


def touch(*, session: orm.Session, pseudonym: str, openid: str, at: datetime, message: bool) -> None:
    """Make sure the citizen exists; a real message (not an event) opens the 48-hour service window.

    One statement either way: this runs on every push.
    """
    if message:
        driver.execute(
            session, _TOUCH_MESSAGE, {"pseudonym": pseudonym, "openid": openid, "subscribed": True, "at": at}
        )
    else:
        insert_ignore(
            session,
            Citizen.__table__,  # type: ignore[arg-type]
            {"pseudonym": pseudonym, "openid": openid, "subscribed": True, "first_seen_at": at},
            ["pseudonym"],
        )


def set_subscribed(*, session: orm.Session, pseudonym: str, subscribed: bool, at: datetime) -> None:
    citizen = session.get(Citizen, pseudonym)
    if citizen is None:
        return
    citizen.subscribed = subscribed
    citizen.unsubscribed_at = None if subscribed else at


def openid_for(*, session: orm.Session, pseudonym: str) -> str | None:
    """The only way back from a pseudonym to an openid: callers are the sender and audited reveals."""
    return session.scalar(sa.select(Citizen.openid).where(Citizen.pseudonym == pseudonym))


def forget_if_gone(*, session: orm.Session, pseudonym: str, idle_before: datetime) -> bool:
    """Drop the pseudonym → openid row (and any draft) of a citizen with no case left under that pseudonym and no
    message since `idle_before`: nothing then maps the anonymised history back to a person."""
    if session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.pseudonym == pseudonym)):
        return False
    row = session.get(Citizen, pseudonym)
    if row is None:
        return False
    last = row.last_message_at or row.first_seen_at
    if last >= idle_before:
        return False
    session.delete(row)
    draft = session.get(Dialog, pseudonym)
    if draft is not None:
        session.delete(draft)
    return True
