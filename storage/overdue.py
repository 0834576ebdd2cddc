"""超期 as one SQL expression: the rule of `handlers.overdue.is_overdue` (awaiting an answer, answer deadline
passed), for every query that counts or filters overdue cases. The caller passes the awaiting states."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from storage.models import Case


def overdue_clause(*, now: datetime, awaiting_states: Iterable[str]) -> sa.ColumnElement[bool]:
    """Cases 超期 at `now`: in one of `awaiting_states` with an answer deadline before `now`."""
    return sa.and_(Case.state.in_(sorted(awaiting_states)), Case.answer_due.is_not(None), Case.answer_due < now)
