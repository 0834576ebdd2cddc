"""Read-only queries for a dry run (`jobs run --dry-run`): where the outbox and the audit trail stand, what a
rehearsed run added after that, and what the jobs that reach outside would have picked up. Never writes."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import Case
from storage.models import CaseEvent
from storage.models import Evidence
from storage.models import OutboxMessage


def marks(*, session: orm.Session) -> tuple[int, int]:
    """The highest outbox id and audit event id so far (0 when empty)."""
    outbox_id = session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    event_id = session.scalar(sa.select(sa.func.max(CaseEvent.id))) or 0
    return int(outbox_id), int(event_id)


def queued_after(*, session: orm.Session, outbox_id: int) -> list[tuple[str, str, str, str | None]]:
    """(purpose, recipient kind, recipient, case number) of the outbox rows added after `outbox_id`."""
    stmt = (
        sa.select(OutboxMessage.purpose, OutboxMessage.recipient_kind, OutboxMessage.recipient, Case.number)
        .outerjoin(Case, Case.id == OutboxMessage.case_id)
        .where(OutboxMessage.id > outbox_id)
        .order_by(OutboxMessage.id)
    )
    return [(p, k, r, n) for p, k, r, n in session.execute(stmt)]


def events_after(*, session: orm.Session, event_id: int) -> list[tuple[str, str, str | None]]:
    """(case number, action, note) of the audit events added after `event_id`."""
    stmt = (
        sa.select(Case.number, CaseEvent.action, CaseEvent.note)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.id > event_id)
        .order_by(CaseEvent.id)
    )
    return [(n, a, note) for n, a, note in session.execute(stmt)]


def outbox_due(*, session: orm.Session, now: datetime) -> int:
    """Outbox rows a drain at `now` would send."""
    stmt = sa.select(sa.func.count()).where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
    return int(session.scalar(stmt) or 0)


def evidence_due(*, session: orm.Session, now: datetime) -> int:
    """Evidence rows a fetch at `now` would download."""
    due = sa.or_(Evidence.next_attempt_at.is_(None), Evidence.next_attempt_at <= now)
    return int(session.scalar(sa.select(sa.func.count()).where(Evidence.status == "pending", due)) or 0)
