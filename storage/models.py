"""SQLAlchemy 2.0 typed models: every table the system owns.

Timestamps are timezone-aware UTC. The openid lives only in `citizens` (restricted); everything else carries the
pseudonym. Constraint names follow one naming convention so Alembic migrations stay stable.
"""

from __future__ import annotations

import typing as t
from datetime import UTC
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.dialects import postgresql


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; SQLite forgets the zone, so it is put back on the way out."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


class Model(orm.DeclarativeBase):
    metadata: t.ClassVar[sa.MetaData] = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: t.ClassVar[dict[t.Any, t.Any]] = {datetime: UTCDateTime()}


class Citizen(Model):
    """The one restricted table that maps a pseudonym back to a WeChat openid."""

    __tablename__ = "citizens"

    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    openid: orm.Mapped[str] = orm.mapped_column(sa.String(128), unique=True)
    subscribed: orm.Mapped[bool] = orm.mapped_column(default=True)
    first_seen_at: orm.Mapped[datetime]
    last_message_at: orm.Mapped[datetime | None]  # opens WeChat's 48-hour customer-service window
    unsubscribed_at: orm.Mapped[datetime | None]


class InboundRecord(Model):
    """Every accepted push, stored once under its dedupe key together with the reply it got."""

    __tablename__ = "inbound_messages"

    id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    msg_key: orm.Mapped[str] = orm.mapped_column(sa.String(160), unique=True)
    msg_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32))  # 64-bit: kept as text, never a float
    msg_type: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    event: orm.Mapped[str | None] = orm.mapped_column(sa.String(48))
    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    created_at: orm.Mapped[datetime]  # WeChat's CreateTime
    received_at: orm.Mapped[datetime]
    outcome: orm.Mapped[str] = orm.mapped_column(sa.String(24))  # handled, ignored, unsupported
    reply_text: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    reply_created_at: orm.Mapped[datetime | None]


class DeadLetter(Model):
    """A push we authenticated but could not handle: the reason, never the body (except to replay a crash)."""

    __tablename__ = "dead_letters"

    id: orm.Mapped[int] = orm.mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    received_at: orm.Mapped[datetime]
    stage: orm.Mapped[str] = orm.mapped_column(sa.String(24))  # parse, handler
    reason: orm.Mapped[str] = orm.mapped_column(sa.String(300))
    msg_key: orm.Mapped[str | None] = orm.mapped_column(sa.String(160), index=True)
    # Only for handler crashes, so the report can be replayed instead of lost; restricted like `citizens`.
    payload: orm.Mapped[str | None] = orm.mapped_column(sa.Text)
    resolved_at: orm.Mapped[datetime | None]


_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Dialog(Model):
    """A citizen's conversation draft, so any worker can continue it."""

    __tablename__ = "dialogs"

    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    data: orm.Mapped[dict[str, t.Any]] = orm.mapped_column(JSONType)
    updated_at: orm.Mapped[datetime]


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


class SupervisorBinding(Model):
    """A supervisor's WeChat openid, linked by a one-time code."""

    __tablename__ = "supervisor_bindings"

    supervisor_id: orm.Mapped[str] = orm.mapped_column(sa.String(32), primary_key=True)
    openid: orm.Mapped[str | None] = orm.mapped_column(sa.String(128), unique=True)
    pseudonym: orm.Mapped[str | None] = orm.mapped_column(sa.String(64), unique=True)
    code_hash: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    code_expires_at: orm.Mapped[datetime | None]
    # Wrong codes counted against this code while it waits; voided at handlers.binding.CODE_LIMIT.
    code_failures: orm.Mapped[int] = orm.mapped_column(default=0, server_default="0")
    bound_at: orm.Mapped[datetime | None]
    # A valid code sent from another WeChat while this supervisor is bound: waits for the office's confirmation.
    pending_openid: orm.Mapped[str | None] = orm.mapped_column(sa.String(128))
    pending_pseudonym: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    pending_at: orm.Mapped[datetime | None]


class BindFailure(Model):
    """Wrong bind codes per sender (by pseudonym): locked for a while after a few."""

    __tablename__ = "bind_failures"

    pseudonym: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    failures: orm.Mapped[int] = orm.mapped_column(default=0)
    first_at: orm.Mapped[datetime]
    locked_until: orm.Mapped[datetime | None]


class OutboxMessage(Model):
    """Everything that leaves the system later is a row first, written in the transaction that caused it."""

    __tablename__ = "outbox"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    idempotency_key: orm.Mapped[str] = orm.mapped_column(sa.String(160), unique=True)
    recipient_kind: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # citizen | supervisor | staff_wechat
    recipient: orm.Mapped[str] = orm.mapped_column(sa.String(64))  # pseudonym or supervisor id, never an openid
    channel: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # auto | customer | template
    purpose: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    payload: orm.Mapped[dict[str, t.Any]] = orm.mapped_column(JSONType)
    case_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    status: orm.Mapped[str] = orm.mapped_column(sa.String(16), default="pending", index=True)
    attempts: orm.Mapped[int] = orm.mapped_column(default=0)
    next_attempt_at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    last_error: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))
    created_at: orm.Mapped[datetime]
    sent_at: orm.Mapped[datetime | None]
    sent_channel: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    wechat_msgid: orm.Mapped[str | None] = orm.mapped_column(sa.String(32), index=True)
    delivery_status: orm.Mapped[str | None] = orm.mapped_column(sa.String(48))  # TEMPLATESENDJOBFINISH Status
    # Who is sending it right now ('sending'), and since when: a claim older than a few minutes is a dead worker's.
    claimed_by: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    claimed_at: orm.Mapped[datetime | None]
    # 'parked' rows: resumed automatically at this time (quota); NULL means they wait for staff.
    parked_until: orm.Mapped[datetime | None]


class AccessToken(Model):
    """The one shared access token (WeChat invalidates the previous one on every fetch)."""

    __tablename__ = "access_tokens"

    app_id: orm.Mapped[str] = orm.mapped_column(sa.String(64), primary_key=True)
    token: orm.Mapped[str | None] = orm.mapped_column(sa.String(600))
    expires_at: orm.Mapped[datetime | None]
    refreshed_at: orm.Mapped[datetime | None]
    lease_until: orm.Mapped[datetime | None]  # one refresher at a time across processes
    forced_at: orm.Mapped[datetime | None]  # last force_refresh: WeChat allows one per 30 s, 20 a day


class JobRun(Model):
    """The scheduler's run ledger: a UNIQUE (job, period) makes every periodic job run once."""

    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "period"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    job: orm.Mapped[str] = orm.mapped_column(sa.String(48))
    period: orm.Mapped[str] = orm.mapped_column(sa.String(48))
    started_at: orm.Mapped[datetime]
    finished_at: orm.Mapped[datetime | None]
    result: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))


class ReminderStep(Model):
    """One rung of the reminder/escalation ladder fired for one case and deadline: fires exactly once."""

    __tablename__ = "reminder_steps"
    __table_args__ = (sa.UniqueConstraint("case_id", "step", "deadline"),)

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    step: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    deadline: orm.Mapped[datetime]
    fired_at: orm.Mapped[datetime]


class StaffAccount(Model):
    """A console account (督办员, unit head, 治庸办, admin). Passwords are stored only as salted slow hashes; its
    sign-ins are rows of `staff_sessions` (storage.console_models)."""

    __tablename__ = "staff_accounts"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    username: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    display_name: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    password_hash: orm.Mapped[str] = orm.mapped_column(sa.String(256))
    role: orm.Mapped[str] = orm.mapped_column(sa.String(16))  # supervisor | unit_head | office | admin
    units: orm.Mapped[list[str]] = orm.mapped_column(JSONType)  # unit / body codes the account covers
    member_of: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))  # for 回避: the unit the person belongs to
    supervisor_id: orm.Mapped[str | None] = orm.mapped_column(sa.String(32), unique=True)  # config.yaml supervisor
    active: orm.Mapped[bool] = orm.mapped_column(default=True)
    created_at: orm.Mapped[datetime]
    last_login_at: orm.Mapped[datetime | None]


class LoginFailure(Model):
    """One failed console sign-in, keyed by a keyed hash of username + address (throttling, not identification)."""

    __tablename__ = "login_failures"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    key: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    address_key: orm.Mapped[str] = orm.mapped_column(sa.String(64), index=True)
    at: orm.Mapped[datetime] = orm.mapped_column(index=True)


class StaffEvent(Model):
    """The console's access log: sign-ins, failed sign-ins, case views, exports, reveals, refusals (UTC)."""

    __tablename__ = "staff_events"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    at: orm.Mapped[datetime] = orm.mapped_column(index=True)
    staff_id: orm.Mapped[int | None] = orm.mapped_column(sa.ForeignKey("staff_accounts.id"), index=True)
    action: orm.Mapped[str] = orm.mapped_column(sa.String(32))
    target: orm.Mapped[str | None] = orm.mapped_column(sa.String(64))
    detail: orm.Mapped[str | None] = orm.mapped_column(sa.String(300))


class Correction(Model):
    """A staff reclassification (or a triage choice that differs from the classifier): training data."""

    __tablename__ = "corrections"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), index=True)
    at: orm.Mapped[datetime]
    actor: orm.Mapped[str] = orm.mapped_column(sa.String(64))
    from_category: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    to_category: orm.Mapped[str] = orm.mapped_column(sa.String(16))
    from_unit: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))
    to_unit: orm.Mapped[str | None] = orm.mapped_column(sa.String(16))


class ApiKey(Model):
    """An Open311 client (a 12345 platform, another channel). Only the SHA-256 of the key is kept."""

    __tablename__ = "api_keys"

    id: orm.Mapped[int] = orm.mapped_column(_BigId, primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    key_hash: orm.Mapped[str] = orm.mapped_column(sa.String(64), unique=True)
    prefix: orm.Mapped[str] = orm.mapped_column(sa.String(12))  # shown in listings so operators can tell keys apart
    created_at: orm.Mapped[datetime]
    revoked_at: orm.Mapped[datetime | None]
    last_used_at: orm.Mapped[datetime | None]


class Open311Request(Model):
    """Which API key filed a case: an Open311 client reads back only the requests it filed."""

    __tablename__ = "open311_requests"

    case_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("cases.id"), primary_key=True)
    api_key_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey("api_keys.id"), index=True)
    created_at: orm.Mapped[datetime]
