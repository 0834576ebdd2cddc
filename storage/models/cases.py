"""Cases (工单) and what hangs off them: contacts, the append-only audit chain, messages, evidence, assignments."""

from __future__ import annotations

import typing as t
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models.base import JSONType
from storage.models.base import Model
from storage.models.base import _BigId


class CaseCounter(Model):
    """The daily sequence behind case numbers (ZY + yymmdd + 4 digits)."""

    __tablename__ = "case_counters"

    day: orm.Mapped[str] = orm.mapped_column(sa.String(6), primary_key=True)
    last: orm.Mapped[int] = orm.mapped_column(default=0)


class Case(Model):
    """A case (工单). `respondent_unit` is the unit the report is about; handlers are in `assignments`."""

    __tablename__ = "cases"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    number: orm.Mapped[str] = orm.mapped_column(sa.String(16), unique=True)
    public_id: orm.Mapped[str] = orm.mapped_column(sa.String(32), unique=True)  # non-sequential, for URLs
    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    state: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)
    # complaint (the closed loop) | review (a 差评 from a window rating) | praise | suggestion: only complaints and
    # reviews count against a unit; praise counts for it.
    kind: orm.Mapped[str] = orm.mapped_column(
        sa.String(16), default="complaint", server_default="complaint", index=True
    )
    # For praise: the person named (a clerk's name or number as the citizen wrote it), shown to the unit's supervisor.
    person: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    category: orm.Mapped[str] = orm.mapped_column(sa.String(16), index=True)
    respondent_unit: orm.Mapped[str | None] = orm.mapped_column(sa.String(16), index=True)
    window: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))
    text: orm.Mapped[str] = orm.mapped_column(sa.Text)
    # The text as staff see it (phone and ID numbers masked): what the queue searches (migration 0007).
    search_text: orm.Mapped[str] = orm.mapped_column(sa.Text, server_default="")
    occurred_on: orm.Mapped[date | None] = orm.mapped_column(sa.Date)
    occurred_text: orm.Mapped[str | None] = orm.mapped_column(sa.String(100))
    location: orm.Mapped[dict[str, t.Any] | None] = orm.mapped_column(JSONType)
    anonymous: orm.Mapped[bool] = orm.mapped_column(default=True)
    unit_source: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    confidence: orm.Mapped[float] = orm.mapped_column(default=0.0)
    classification: orm.Mapped[dict[str, t.Any]] = orm.mapped_column(JSONType)
    triage: orm.Mapped[bool] = orm.mapped_column(default=False)
    channel: orm.Mapped[str] = orm.mapped_column(sa.String(16), default="wechat")
    created_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    updated_at: orm.Mapped[datetime]
    sign_due: orm.Mapped[datetime | None]
    answer_due: orm.Mapped[datetime | None]
    signed_at: orm.Mapped[datetime | None]
    answered_at: orm.Mapped[datetime | None]
    closed_at: orm.Mapped[datetime | None]
    overdue: orm.Mapped[bool] = orm.mapped_column(default=False)
    duplicate_of: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("cases.id"))
    last_note: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))  # citizen-safe last update
    answer_started_at: orm.Mapped[datetime | None]  # start of the current answer period (submission or 重办)
    escalated_at: orm.Mapped[datetime | None]
    rating_outcome: orm.Mapped[str | None] = orm.mapped_column(sa.String(1))  # 1 已解决, 2 部分解决, 3 未解决
    rating_conduct: orm.Mapped[str | None] = orm.mapped_column(sa.String(1))  # A 满意, B 基本满意, C 不满意
    rated_at: orm.Mapped[datetime | None]
    # The earliest rung of the reminder ladder not yet fired: the sweep reads an index, not every open case.
    next_reminder_at: orm.Mapped[datetime | None] = orm.mapped_column(index=True)


class ReporterContact(Model):
    """Real-name reporters' name and phone: restricted like `citizens`, revealed only through an audited act."""

    __tablename__ = "reporter_contacts"

    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), primary_key=True)
    real_name: orm.Mapped[str | None] = orm.mapped_column(sa.String(40))
    phone: orm.Mapped[str | None] = orm.mapped_column(sa.String(20))


class CaseEvent(Model):
    """Append-only audit trail, hash-chained per case: who, when, what, from → to.

    Append-only in the database too: triggers (migration 0006) refuse UPDATE and DELETE unless the transaction
    holds `audit_unlock` (see `storage.cases.audit_maintenance`). On SQLite a batch rebuild of this table drops
    its triggers; a migration that rebuilds it must install them again.
    """

    __tablename__ = "case_events"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    seq: orm.Mapped[int]
    at: orm.Mapped[datetime]
    actor: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    action: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    from_state: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    to_state: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    note: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    prev_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    # 0: the unkeyed SHA-256 of events written before the chain was keyed; 1: HMAC-SHA256 with AUDIT_KEY.
    hash_version: orm.Mapped[int] = orm.mapped_column(default=1, server_default="0")
    hash: orm.Mapped[str] = orm.mapped_column(sa.String(64))


class AuditUnlock(Model):
    """While this table holds a row, the triggers of migration 0006 let `case_events` be changed.

    The row exists only inside one maintenance transaction (`storage.cases.audit_maintenance`); other
    transactions never see it. Its primary key is always 1, so maintenance transactions run one at a time.
    """

    __tablename__ = "audit_unlock"

    id: orm.Mapped[int] = orm.mapped_column(primary_key=True, autoincrement=False)
    reason: orm.Mapped[str] = orm.mapped_column(sa.String(200))
    at: orm.Mapped[datetime]


class CaseMessage(Model):
    """What citizens added (补充, answers to questions) and what staff said to them, in order."""

    __tablename__ = "case_messages"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    at: orm.Mapped[datetime]
    direction: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # citizen | staff
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # supplement, question, answer, reply
    body: orm.Mapped[str] = orm.mapped_column(sa.Text)
    author: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))


class Evidence(Model):
    """A photo, voice or video the citizen sent; downloaded from WeChat within hours (it deletes after 3 days)."""

    __tablename__ = "evidence"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    kind: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    media_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(128))
    pic_url: orm.Mapped[str | None] = orm.mapped_column(sa.String(512))
    received_at: orm.Mapped[datetime]
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), default="pending")  # pending, stored, lost
    sha256: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    path: orm.Mapped[str | None] = orm.mapped_column(sa.String(256))
    content_type: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    attempts: orm.Mapped[int] = orm.mapped_column(default=0)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.String(200))
    # Back-off between download attempts, and the lease a fetcher takes so two fetchers never race on one row.
    next_attempt_at: orm.Mapped[datetime | None]
    stored_at: orm.Mapped[datetime | None]
    size_bytes: orm.Mapped[int | None]


class Assignment(Model):
    """Who handles a case: never someone who belongs to the respondent unit (回避)."""

    __tablename__ = "assignments"
    __table_args__ = (sa.UniqueConstraint("case_id", "supervisor_id", "role"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    supervisor_id: orm.Mapped[str] = orm.mapped_column(sa.String(32), index=True)
    role: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # handler, discipline, triage
    active: orm.Mapped[bool] = orm.mapped_column(default=True)
    assigned_at: orm.Mapped[datetime]
