"""What a webhook turn reads about whoever wrote, in one round trip: a supervisor binding and a draft. Never
commits.

Both are read on almost every push; asking for them together saves a statement (and on PostgreSQL a network
round trip) per turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Dialog
from storage.models import SupervisorBinding

_bindings = SupervisorBinding.__table__
_dialogs = Dialog.__table__

_STMT = sa.select(
    sa.select(_bindings.c.supervisor_id)
    .where(_bindings.c.pseudonym == sa.bindparam("pseudonym"))
    .scalar_subquery()
    .label("supervisor_id"),
    sa.select(_dialogs.c.data).where(_dialogs.c.pseudonym == sa.bindparam("pseudonym")).scalar_subquery().label("data"),
)


@dataclass(frozen=True, slots=True)
class SenderView:
    supervisor_id: str | None  # the supervisor this pseudonym is bound to, if any
    dialog: dict[str, Any] | None  # the conversation draft as stored (plain JSON), if any


def sender_view(*, session: orm.Session, pseudonym: str) -> SenderView:
    row = session.execute(_STMT, {"pseudonym": pseudonym}).one()
    return SenderView(row.supervisor_id, dict(row.data) if row.data is not None else None)
