"""What a webhook turn reads about whoever wrote, in one round trip: whether they are a known citizen and when they
last wrote, a supervisor binding, a draft, and whether they have any case. Never commits.

All of it is needed on almost every push; asking in one statement instead of four saves statements (and on
PostgreSQL network round trips) on the hot path, and lets the turn skip writes and reads it does not need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Unpack

import sqlalchemy as sa
from sqlalchemy import orm

from storage import driver
from storage import inbound
from storage.models import Case
from storage.models import Citizen
from storage.models import Dialog
from storage.models import InboundRecord
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
    return _view(tuple(session.connection().execute(_STMT, {"pseudonym": pseudonym}).one()))


# The ledger claim (storage.inbound.claim) with the sender view in its RETURNING clause: a new citizen's first
# push, like every other, needs both, and one statement is one round trip (and one pass through SQLAlchemy's
# execution) fewer. Scalar subqueries in RETURNING work on PostgreSQL and on SQLite ≥ 3.35; they read the
# same tables `_STMT` reads, never the ledger row being inserted. Plain SQL text, built once (see storage._upsert).
_inbound = InboundRecord.__table__
_CLAIM_COLUMNS = ("msg_key", "msg_id", "msg_type", "event", "pseudonym", "created_at", "received_at", "outcome")
_CLAIM_AND_VIEW = (
    sa.text(
        f"INSERT INTO {_inbound.name} ({', '.join(_CLAIM_COLUMNS)}) "
        f"VALUES ({', '.join(':' + c for c in _CLAIM_COLUMNS)}) "
        "ON CONFLICT (msg_key) DO NOTHING RETURNING id, "
        f"EXISTS (SELECT 1 FROM {_citizens.name} WHERE {_citizens.name}.pseudonym = :pseudonym) AS known, "
        f"(SELECT last_message_at FROM {_citizens.name} WHERE {_citizens.name}.pseudonym = :pseudonym) "
        "AS last_message_at, "
        f"EXISTS (SELECT 1 FROM {_cases.name} WHERE {_cases.name}.pseudonym = :pseudonym) AS has_cases, "
        f"(SELECT supervisor_id FROM {_bindings.name} WHERE {_bindings.name}.pseudonym = :pseudonym) "
        "AS supervisor_id, "
        f"(SELECT data FROM {_dialogs.name} WHERE {_dialogs.name}.pseudonym = :pseudonym) AS data"
    )
    .bindparams(*[sa.bindparam(c, type_=_inbound.c[c].type) for c in _CLAIM_COLUMNS])
    .columns(
        sa.column("id", _inbound.c.id.type),
        sa.column("known", sa.Boolean()),
        sa.column("last_message_at", _citizens.c.last_message_at.type),
        sa.column("has_cases", sa.Boolean()),
        sa.column("supervisor_id", _bindings.c.supervisor_id.type),
        sa.column("data", _dialogs.c.data.type),
    )
)


def claim_with_view(*, session: orm.Session, **fields: Unpack[inbound.ClaimFields]) -> tuple[int, SenderView] | None:
    """`storage.inbound.claim` and `sender_view` in one statement: the new ledger row's id and what is known about
    the sender, or None when the key was already recorded (a retry, which needs no view)."""
    # The first statement of a turn, on every push: nothing to flush, and straight to the driver.
    row = driver.execute(session, _CLAIM_AND_VIEW, inbound.claim_values(**fields))
    if row is None:
        return None
    return int(row[0]), _view(row[1:])


def _view(row: tuple[Any, ...]) -> SenderView:
    known, last_message_at, has_cases, supervisor_id, data = row
    return SenderView(
        supervisor_id=supervisor_id,
        dialog=dict(data) if data is not None else None,
        known=bool(known),
        last_message_at=last_message_at,
        has_cases=bool(has_cases),
    )
