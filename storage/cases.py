"""Repository for cases, their audit chain, assignments, messages and evidence rows. Never commits.

Case numbers are ZY + yymmdd (Beijing date) + a 4-digit daily sequence, allocated from `case_counters` under
the row's lock, so concurrent submissions never share a number.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import secrets
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import tzinfo
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from storage._upsert import insert_ignore
from storage.audit import GENESIS
from storage.audit import KEYED
from storage.audit import SESSION_KEY
from storage.audit import AuditFields
from storage.audit import Head
from storage.audit import audit_hash
from storage.models import Assignment
from storage.models import AuditUnlock
from storage.models import Case
from storage.models import CaseCounter
from storage.models import CaseEvent
from storage.models import CaseMessage
from storage.models import Evidence
from storage.models import ReporterContact
from storage.overdue import overdue_clause


def allocate_number(*, session: orm.Session, at: datetime, tz: tzinfo) -> str:
    day = at.astimezone(tz).strftime("%y%m%d")
    insert_ignore(session, CaseCounter.__table__, {"day": day, "last": 0}, ["day"])  # type: ignore[arg-type]
    # UPDATE … RETURNING takes the row lock on PostgreSQL; SQLite writers are already serialised.
    bump = sa.update(CaseCounter).where(CaseCounter.day == day).values(last=CaseCounter.last + 1)
    seq = session.execute(bump.returning(CaseCounter.last)).scalar_one()
    if seq > 9999:
        raise OverflowError(f"more than 9999 cases on {day}")
    return f"ZY{day}{seq:04d}"


def create(*, session: orm.Session, number: str, now: datetime, text: str, search_text: str, **fields: Any) -> Case:
    """A new case. `search_text` is `text` as staff may see it (masked by the caller): the queue searches it."""
    case = Case(number=number, public_id=secrets.token_hex(12), created_at=now, updated_at=now, text=text,
                search_text=search_text, **fields)  # fmt: skip
    session.add(case)
    session.flush()
    session.info.setdefault(_TAILS, {})[case.id] = (0, GENESIS)  # a new case has no audit events yet
    return case


def add_contact(*, session: orm.Session, case: Case, real_name: str | None, phone: str | None) -> None:
    session.add(ReporterContact(case_id=case.id, real_name=real_name, phone=phone))


def contact(*, session: orm.Session, case_id: int) -> ReporterContact | None:
    return session.get(ReporterContact, case_id)


def append_event(
    *,
    session: orm.Session,
    case: Case,
    at: datetime,
    actor: str,
    action: str,
    from_state: str | None,
    to_state: str | None,
    note: str | None = None,
) -> CaseEvent:
    last_seq_, prev = _audit_tail(session, case.id)
    seq = last_seq_ + 1
    # The database hands times back in UTC; hashing the same instant in another zone would break the chain.
    at = at.astimezone(UTC)
    fields = AuditFields(case.number, seq, at, actor, action, from_state, to_state, note)
    key = session.info.get(SESSION_KEY)
    if not key:
        raise RuntimeError("no audit key on this session: build the Database with audit_key (AUDIT_KEY)")
    event = CaseEvent(
        case_id=case.id,
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        prev_hash=prev,
        hash_version=KEYED,
        hash=audit_hash(prev, fields, key),
    )
    session.add(event)
    session.info.setdefault(_TAILS, {})[case.id] = (seq, event.hash)
    return event


_TAILS = "zhiyong.audit_tails"


def _audit_tail(session: orm.Session, case_id: int) -> tuple[int, str]:
    """(seq, hash) of the case's last audit event, remembered per session once read or written.

    Several events are often appended to one case in one transaction (submit, route, relate; a ladder rung and
    its escalation); reading the tail once instead of before each (which also flushed every pending event one
    at a time) keeps a submission at a handful of statements. The memo lives in `session.info`, so it ends with
    the transaction; concurrent writers are still kept apart by the (case_id, seq) unique constraint.
    """
    tails: dict[int, tuple[int, str]] = session.info.setdefault(_TAILS, {})
    if case_id not in tails:
        last = session.execute(
            sa.select(CaseEvent.seq, CaseEvent.hash)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.seq.desc())
            .limit(1)
        ).first()
        tails[case_id] = (last[0], last[1]) if last else (0, GENESIS)
    return tails[case_id]


def prefetch_audit_tails(*, session: orm.Session, case_ids: Iterable[int]) -> None:
    """Read the audit tails of several cases in one statement (before appending an event to each)."""
    tails: dict[int, tuple[int, str]] = session.info.setdefault(_TAILS, {})
    wanted = sorted(set(case_ids) - set(tails))
    if not wanted:
        return
    last = (
        sa.select(CaseEvent.case_id, sa.func.max(CaseEvent.seq).label("seq"))
        .where(CaseEvent.case_id.in_(wanted))
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    stmt = sa.select(CaseEvent.case_id, CaseEvent.seq, CaseEvent.hash).join(
        last, sa.and_(CaseEvent.case_id == last.c.case_id, CaseEvent.seq == last.c.seq)
    )
    for case_id, seq, hash_ in session.execute(stmt):
        tails[case_id] = (seq, hash_)
    for case_id in wanted:
        tails.setdefault(case_id, (0, GENESIS))


def events(*, session: orm.Session, case_id: int) -> list[CaseEvent]:
    return list(session.scalars(sa.select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.seq)))


@contextlib.contextmanager
def audit_maintenance(*, session: orm.Session, reason: str, at: datetime) -> Iterator[None]:
    """Let this transaction change or delete `case_events` rows; every other transaction stays refused.

    The audit table is append-only in the database itself (migration 0006): triggers on SQLite and PostgreSQL
    refuse an UPDATE or DELETE of `case_events` (and a TRUNCATE on PostgreSQL) unless `audit_unlock` holds a row.
    This inserts that row, runs the body, flushes it, and deletes the row again, all inside the caller's one
    transaction: other transactions never see the row, a rollback takes it away, and its fixed primary key makes
    a second maintenance transaction wait for the first. Commit only after the block. The one legitimate user is
    the demo reseeding (`bot.dev.demo.remove_demo`); nothing in the request path or the scheduler may use it.

    This is a guard against mistakes and casual edits, not against an attacker: anyone holding the app's
    database credentials can insert the same row (or, as the owner, drop the triggers). Detection is the other
    half of item 64: every event is hash-chained per case, and `flask --app bot audit verify` names a case whose
    chain was edited. A deployment can also `REVOKE UPDATE, DELETE, TRUNCATE ON case_events` and
    `REVOKE INSERT ON audit_unlock` from the app's role (the migrations then run as the owner; demo reseeding
    stops working there, as it should in production).
    """
    session.execute(sa.insert(AuditUnlock).values(id=1, reason=reason[:200], at=at))
    try:
        yield
        session.flush()  # the ORM's pending deletes of events must reach the database while unlocked
    except BaseException:
        # The transaction is going to be rolled back anyway; on PostgreSQL it may already be unusable.
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            _relock(session)
        raise
    _relock(session)


def _relock(session: orm.Session) -> None:
    session.execute(sa.delete(AuditUnlock).where(AuditUnlock.id == 1))
    session.info.pop(_TAILS, None)  # events may be gone: read the tails again


def verify_chain(*, session: orm.Session, case: Case, anchored: int = 0) -> str | None:
    """None when the chain is intact, else a description of the first broken link.

    Keyed events must carry a valid HMAC. Unkeyed (legacy) events are accepted only before the first keyed one and
    only up to `anchored`, the event count a signed checkpoint recorded for this case: an unkeyed event anyone could
    have recomputed proves nothing unless a checkpoint vouches for it.
    """
    key = session.info.get(SESSION_KEY)
    prev = GENESIS
    keyed_seen = False
    for expected_seq, ev in enumerate(events(session=session, case_id=case.id), start=1):
        if ev.seq != expected_seq:
            return f"event {expected_seq} is missing"
        if ev.prev_hash != prev:
            return f"event {ev.seq} does not follow event {ev.seq - 1}"
        fields = AuditFields(case.number, ev.seq, ev.at, ev.actor, ev.action, ev.from_state, ev.to_state, ev.note)
        if ev.hash_version == KEYED:
            keyed_seen = True
            if not key or not hmac.compare_digest(audit_hash(prev, fields, key), ev.hash):
                return f"event {ev.seq} was altered (its keyed hash does not match)"
        else:
            if keyed_seen:
                return f"event {ev.seq} is unkeyed after a keyed event"
            if audit_hash(prev, fields) != ev.hash:
                return f"event {ev.seq} was altered"
            if ev.seq > anchored:
                return (
                    f"event {ev.seq} is unkeyed (written before the chain was keyed) and no checkpoint vouches for it"
                )
        prev = ev.hash
    return None


def chain_heads(*, session: orm.Session) -> list[Head]:
    """Every case's (number, event count, head hash), for a checkpoint."""
    last = sa.select(CaseEvent.case_id, sa.func.max(CaseEvent.seq).label("seq")).group_by(CaseEvent.case_id).subquery()
    stmt = (
        sa.select(Case.number, CaseEvent.seq, CaseEvent.hash)
        .join(last, sa.and_(CaseEvent.case_id == last.c.case_id, CaseEvent.seq == last.c.seq))
        .join(Case, Case.id == CaseEvent.case_id)
    )
    return [Head(n, int(seq), h) for n, seq, h in session.execute(stmt)]


def event_hash_at(*, session: orm.Session, case_id: int, seq: int) -> str | None:
    return session.scalar(sa.select(CaseEvent.hash).where(CaseEvent.case_id == case_id, CaseEvent.seq == seq))


def all_cases(*, session: orm.Session, batch: int = 500) -> Iterable[Case]:
    return session.scalars(sa.select(Case).order_by(Case.id).execution_options(yield_per=batch))


def by_number(*, session: orm.Session, number: str) -> Case | None:
    return session.scalars(sa.select(Case).where(Case.number == number.upper())).one_or_none()


def by_public_id(*, session: orm.Session, public_id: str) -> Case | None:
    return session.scalars(sa.select(Case).where(Case.public_id == public_id)).one_or_none()


def for_citizen(*, session: orm.Session, pseudonym: str, limit: int = 10) -> list[Case]:
    stmt = sa.select(Case).where(Case.pseudonym == pseudonym).order_by(Case.created_at.desc(), Case.id.desc())
    return list(session.scalars(stmt.limit(limit)))


@functools.lru_cache(maxsize=8)
def _recent(limit: int) -> sa.Select[Any]:
    c = Case.__table__.c
    return (
        sa.select(
            c.id,
            c.number,
            c.state,
            c.respondent_unit,
            c.category,
            c.created_at,
            c.updated_at,
            c.last_note,
            c.answer_due,
        )  # fmt: skip
        .where(c.pseudonym == sa.bindparam("pseudonym"))
        .order_by(c.created_at.desc(), c.id.desc())
        .limit(limit)
    )


def recent_for_citizen(*, session: orm.Session, pseudonym: str, limit: int = 10) -> list[sa.Row[Any]]:
    """The citizen's latest cases as light rows (only what a conversation turn shows), newest first."""
    return list(session.execute(_recent(limit), {"pseudonym": pseudonym}))


_LAST_MESSAGE_KIND = (
    sa.select(CaseMessage.kind)
    .where(CaseMessage.case_id == sa.bindparam("case_id"))
    .order_by(CaseMessage.id.desc())
    .limit(1)
)


def last_message_kind(*, session: orm.Session, case_id: int) -> str | None:
    return session.execute(_LAST_MESSAGE_KIND, {"case_id": case_id}).scalar()


def count_since(*, session: orm.Session, pseudonym: str, since: datetime) -> int:
    stmt = sa.select(sa.func.count()).where(Case.pseudonym == pseudonym, Case.created_at >= since)
    return session.scalar(stmt) or 0


def assign(*, session: orm.Session, case: Case, supervisor_id: str, role: str, at: datetime) -> None:
    insert_ignore(
        session,
        Assignment.__table__,  # type: ignore[arg-type]
        {"case_id": case.id, "supervisor_id": supervisor_id, "role": role, "active": True, "assigned_at": at},
        ["case_id", "supervisor_id", "role"],
    )
    session.execute(
        sa.update(Assignment)
        .where(Assignment.case_id == case.id, Assignment.supervisor_id == supervisor_id, Assignment.role == role)
        .values(active=True)
    )


def deactivate_assignments(*, session: orm.Session, case: Case) -> None:
    session.execute(sa.update(Assignment).where(Assignment.case_id == case.id).values(active=False))


def assignees(*, session: orm.Session, case_id: int, active_only: bool = True) -> list[Assignment]:
    stmt = sa.select(Assignment).where(Assignment.case_id == case_id).order_by(Assignment.id)
    if active_only:
        stmt = stmt.where(Assignment.active.is_(True))
    return list(session.scalars(stmt))


def open_load(
    *, session: orm.Session, open_states: Iterable[str], supervisor_ids: Iterable[str] | None = None
) -> dict[str, int]:
    """Open cases per supervisor (active assignments only), for everyone or just `supervisor_ids`."""
    stmt = (
        sa.select(Assignment.supervisor_id, sa.func.count())
        .join(Case, Case.id == Assignment.case_id)
        .where(Assignment.active.is_(True), Case.state.in_(list(open_states)))
        .group_by(Assignment.supervisor_id)
    )
    if supervisor_ids is not None:
        stmt = stmt.where(Assignment.supervisor_id.in_(sorted(set(supervisor_ids))))
    return {sup: n for sup, n in session.execute(stmt)}


def supervisors_counts(*, session: orm.Session, supervisor_ids: Iterable[str], new_states: Iterable[str],
                       open_states: Iterable[str], awaiting_states: Iterable[str],
                       now: datetime) -> dict[str, tuple[int, int]]:  # fmt: skip
    """Per supervisor: (cases waiting for them to act, cases 超期 at `now`), for several supervisors in one grouped
    query; (0, 0) for those with no cases."""
    ids = sorted(set(supervisor_ids))
    out = dict.fromkeys(ids, (0, 0))
    if not ids:
        return out
    new_states, open_states = list(new_states), list(open_states)
    stmt = (
        sa.select(
            Assignment.supervisor_id,
            sa.func.count().filter(Case.state.in_(new_states)),
            sa.func.count().filter(overdue_clause(now=now, awaiting_states=awaiting_states)),
        )
        .select_from(Assignment)
        .join(Case, Assignment.case_id == Case.id)
        # Only open cases can count: closed ones (most of a supervisor's history) are never read.
        .where(
            Assignment.supervisor_id.in_(ids),
            Assignment.active.is_(True),
            Case.state.in_(sorted(set(new_states) | set(open_states))),
        )  # fmt: skip
        .group_by(Assignment.supervisor_id)
    )
    for sup, new, overdue in session.execute(stmt):
        out[sup] = (int(new or 0), int(overdue or 0))
    return out


def last_seq(*, session: orm.Session, case_id: int) -> int:
    """The number of audit events of a case (their seq runs 1..n without gaps)."""
    return _audit_tail(session, case_id)[0]


def cases_for_supervisor(
    *, session: orm.Session, supervisor_id: str, states: Iterable[str] | None = None, limit: int = 50
) -> list[Case]:
    stmt = (
        sa.select(Case)
        .join(Assignment, Assignment.case_id == Case.id)
        .where(Assignment.supervisor_id == supervisor_id, Assignment.active.is_(True))
        .order_by(Case.answer_due.is_(None), Case.answer_due, Case.id)
        .limit(limit)
    )
    if states is not None:
        stmt = stmt.where(Case.state.in_(list(states)))
    return list(session.scalars(stmt))


def add_message(
    *, session: orm.Session, case: Case, at: datetime, direction: str, kind: str, body: str, author: str | None
) -> CaseMessage:
    msg = CaseMessage(case_id=case.id, at=at, direction=direction, kind=kind, body=body, author=author)
    session.add(msg)
    return msg


def last_answer(*, session: orm.Session, case_id: int) -> str | None:
    """The latest answer staff gave the citizen on this case."""
    stmt = sa.select(CaseMessage.body).where(CaseMessage.case_id == case_id, CaseMessage.direction == "staff",
                                             CaseMessage.kind == "answer").order_by(CaseMessage.id.desc()).limit(1)  # fmt: skip
    return session.scalar(stmt)


def messages(*, session: orm.Session, case_id: int) -> list[CaseMessage]:
    return list(session.scalars(sa.select(CaseMessage).where(CaseMessage.case_id == case_id).order_by(CaseMessage.id)))


def add_evidence(
    *, session: orm.Session, case: Case, kind: str, media_id: str | None, pic_url: str | None, at: datetime
) -> Evidence:
    ev = Evidence(case_id=case.id, kind=kind, media_id=media_id, pic_url=pic_url, received_at=at, status="pending")
    session.add(ev)
    return ev


def evidence_for(*, session: orm.Session, case_id: int) -> list[Evidence]:
    return list(session.scalars(sa.select(Evidence).where(Evidence.case_id == case_id).order_by(Evidence.id)))


def unit_due_counts(
    *, session: orm.Session, unit: str, awaiting_states: Iterable[str], now: datetime
) -> tuple[int, int]:
    """(cases of `unit` awaiting an answer at or past their deadline, of them 超期): what its head may be told."""
    due = sa.and_(Case.state.in_(sorted(awaiting_states)), Case.answer_due <= now)
    stmt = sa.select(
        sa.func.count().filter(due),
        sa.func.count().filter(overdue_clause(now=now, awaiting_states=awaiting_states)),
    ).where(Case.respondent_unit == unit)
    row = session.execute(stmt).one()
    return int(row[0] or 0), int(row[1] or 0)
