"""What a webhook turn reads about whoever wrote, in one round trip: whether they are a known citizen and when they
last wrote, a supervisor binding, a draft, and whether they have any case. Never commits.

All of it is needed on almost every push; asking in one statement instead of four saves statements (and on
PostgreSQL network round trips) on the hot path, and lets the turn skip writes and reads it does not need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Case
from storage.models import Citizen
from storage.models import Dialog
from storage.models import SupervisorBinding

_bindings = SupervisorBinding.__table__
_dialogs = Dialog.__table__
_citizens = Citizen.__table__
_cases = Case.__table__
_me = sa.bindparam("pseudonym")

_STMT = sa.select(
    sa.exists().where(_citizens.c.pseudonym == _me).label("known"),
    sa.select(_citizens.c.last_message_at)
    .where(_citizens.c.pseudonym == _me)
    .scalar_subquery()
    .label("last_message_at"),
    sa.exists().where(_cases.c.pseudonym == _me).label("has_cases"),
    sa.select(_bindings.c.supervisor_id).where(_bindings.c.pseudonym == _me).scalar_subquery().label("supervisor_id"),
    sa.select(_dialogs.c.data).where(_dialogs.c.pseudonym == _me).scalar_subquery().label("data"),
)


@dataclass(frozen=True, slots=True)
class SenderView:
    supervisor_id: str | None  # the supervisor this pseudonym is bound to, if any
    dialog: dict[str, Any] | None  # the conversation draft as stored (plain JSON), if any
    known: bool = False  # a row in citizens exists
    last_message_at: datetime | None = None  # as stored (opens WeChat's 48-hour window)
    has_cases: bool = False  # the citizen has filed at least one case


def sender_view(*, session: orm.Session, pseudonym: str) -> SenderView:
    # On the session's connection: read before anything is written, no autoflush needed.
    row = session.connection().execute(_STMT, {"pseudonym": pseudonym}).one()
    return SenderView(
        supervisor_id=row.supervisor_id,
        dialog=dict(row.data) if row.data is not None else None,
        known=bool(row.known),
        last_message_at=row.last_message_at,
        has_cases=bool(row.has_cases),
    )
