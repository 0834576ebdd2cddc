"""Applying case decisions: submission, routing, lifecycle steps, audit events and the notifications they cause.

Decisions come from `handlers` (lifecycle table, routing, deadlines, notice texts); this module writes the
rows — case, audit event, assignments, outbox — inside the caller's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from bot.runtime import Runtime
from handlers import ladder
from handlers import notices
from handlers.deadlines import compute_deadlines
from handlers.deadlines import extend
from handlers.deadlines import restart_answer
from handlers.lifecycle import OPEN_STATES
from handlers.lifecycle import transition
from handlers.routing import candidates
from handlers.routing import route
from nlp.similarity import similar
from storage import cases as cases_repo
from storage import jobs as ledger
from storage import outbox
from storage.models import Case

# States in which a case waits for its supervisor to act (the "new" count of a notice).
NEW_FOR_SUPERVISOR = ("assigned", "triage", "reopened")

log = logging.getLogger("zhiyong.cases")


def case_clock(case: Case) -> ladder.CaseClock:
    return ladder.CaseClock(
        case_id=case.id,
        state=case.state,
        signed=case.signed_at is not None,
        sign_due=case.sign_due,
        answer_started=case.answer_started_at or case.created_at,
        answer_due=case.answer_due,
    )


def reschedule(session: orm.Session, rt: Runtime, case: Case) -> None:
    """Store when the case's next unfired rung is due, so the sweep only reads what is due."""
    done = ledger.fired(session=session, case_id=case.id)
    pending = [
        r.fires_at
        for r in ladder.rungs(case_clock(case), rt.calendar, rt.settings.city.escalation)
        if (r.step, r.deadline) not in done
    ]
    case.next_reminder_at = min(pending) if pending else None


def classification_record(classification: Any) -> dict[str, Any]:
    """What the console shows of a classification: candidates, evidence words, confidences."""
    if classification is None:
        return {}
    data = asdict(classification)
    data.pop("extra", None)
    return data


def submit(
    session: orm.Session, rt: Runtime, draft: Any, pseudonym: str, now: datetime, *, channel: str = "wechat"
) -> Case:
    """Create the case from a finished draft, route it, set its deadlines, and queue the notices."""
    city = rt.settings.city
    number = cases_repo.allocate_number(session=session, at=now, tz=rt.tz)
    category = city.category(draft.category) or city.category("other")
    assert category is not None
    unit = draft.unit if draft.unit and city.unit(draft.unit) else None
    location = None
    if getattr(draft, "location", None):
        lat, lon, label = draft.location
        location = {"lat": lat, "lon": lon, "label": label}
    case = cases_repo.create(
        session=session,
        number=number,
        now=now,
        pseudonym=pseudonym,
        state="submitted",
        category=category.code,
        respondent_unit=unit,
        window=draft.window,
        text=draft.text,
        occurred_on=draft.occurred_on,
        occurred_text=draft.occurred_text,
        location=location,
        anonymous=draft.anonymous,
        unit_source=draft.unit_source or "triage",  # 不确定: the office decides
        confidence=float(getattr(draft.classification, "confidence", 0.0) or 0.0),
        classification=classification_record(draft.classification),
        triage=bool(draft.triage or unit is None),
        channel=channel,
    )
    if not draft.anonymous:
        cases_repo.add_contact(session=session, case=case, real_name=draft.real_name, phone=draft.phone)
    for item in draft.evidence:
        cases_repo.add_evidence(
            session=session, case=case, kind=item.kind, media_id=item.media_id, pic_url=item.pic_url, at=now
        )
    cases_repo.append_event(
        session=session, case=case, at=now, actor="citizen", action="submit", from_state=None, to_state="submitted"
    )
    deadlines = compute_deadlines(category, now, rt.calendar)
    case.sign_due, case.answer_due = deadlines.sign_due, deadlines.answer_due
    case.answer_started_at = now
    dispatch_case(session, rt, case, now, actor="system")
    reschedule(session, rt, case)
    if unit is not None:
        link_related(session, rt, case, now)
        hot_spot_check(session, rt, case, now)
    return case


RELATED_WINDOW = timedelta(days=7)
# At most this many links per new case, the most similar (then the newest) first: a wave of copies of one
# message would otherwise link every case to every other and grow each submission with the wave.
RELATED_LIMIT = 5


def link_related(session: orm.Session, rt: Runtime, case: Case, now: datetime) -> list[str]:
    """Link a new case to very similar open cases about the same unit from the last 7 days (audited both ways)."""
    recent = session.execute(
        sa.select(Case.id, Case.number, Case.text)
        .where(
            Case.respondent_unit == case.respondent_unit,
            Case.id != case.id,
            Case.created_at >= now - RELATED_WINDOW,
            Case.state.in_(list(OPEN_STATES)),
        )
        .order_by(Case.created_at.desc(), Case.id.desc())
    ).all()
    matches = similar(case.text, ((r.number, r.text) for r in recent))[:RELATED_LIMIT]
    if not matches:
        return []
    others = {c.number: c for c in session.scalars(sa.select(Case).where(Case.number.in_([m.key for m in matches])))}
    cases_repo.prefetch_audit_tails(session=session, case_ids=[c.id for c in others.values()])
    for m in matches:
        other = others[m.key]
        for a, b in ((case, other), (other, case)):
            cases_repo.append_event(session=session, case=a, at=now, actor="system", action="relate",
                                    from_state=a.state, to_state=a.state, note=f"{b.number} {m.score:.2f}")  # fmt: skip
    return [m.key for m in matches]


def hot_spot_check(session: orm.Session, rt: Runtime, case: Case, now: datetime) -> bool:
    """Three or more reporters about one unit (or one window) within 7 days: alert the campaign office once."""
    since = now - RELATED_WINDOW
    raised = False
    scopes: list[tuple[str, str | None]] = [(case.respondent_unit or "", None)]
    if case.window:
        scopes.append((case.respondent_unit or "", case.window))
    for unit, window in scopes:
        stmt = sa.select(sa.func.count(sa.distinct(Case.pseudonym))).where(
            Case.respondent_unit == unit, Case.created_at >= since
        )
        if window is not None:
            stmt = stmt.where(Case.window == window)
        reporters = session.scalar(stmt) or 0
        if reporters < 3:
            continue
        week = now.astimezone(rt.tz).strftime("%G-W%V")
        label = rt.settings.city.unit_name(unit) + (f"{window}号窗口" if window else "")
        for sup in rt.settings.city.office_desk():
            link = f"{rt.settings.env.public_base_url}/console/cases?unit={unit}"
            raised |= outbox.enqueue(
                session=session,
                key=f"hotspot:{unit}:{window or '*'}:{week}:{sup.id}",
                recipient_kind="supervisor",
                recipient=sup.id,
                purpose="hot_spot",
                payload=notices.supervisor_payload(
                    f"热点预警：7天内已有 {reporters} 位市民反映{label}。详情：{link}", reporters, 0, link
                ),
                now=now,
                case_id=case.id,
            )
    return raised


def dispatch_case(session: orm.Session, rt: Runtime, case: Case, now: datetime, *, actor: str) -> None:
    """Route (or send to triage) and tell the chosen supervisors."""
    city = rt.settings.city
    pool = candidates(category=case.category, unit=case.respondent_unit, city=city)
    load = cases_repo.open_load(session=session, open_states=OPEN_STATES, supervisor_ids=pool)
    decision = route(category=case.category, unit=case.respondent_unit, triage=case.triage, city=city, load=load)
    before = case.state
    case.state = transition(case.state, decision.action)
    case.updated_at = now
    cases_repo.deactivate_assignments(session=session, case=case)
    for sup_id, role in decision.assignees:
        cases_repo.assign(session=session, case=case, supervisor_id=sup_id, role=role, at=now)
    cases_repo.append_event(
        session=session,
        case=case,
        at=now,
        actor=actor,
        action=decision.action,
        from_state=before,
        to_state=case.state,
        note=",".join(f"{sid}:{role}" for sid, role in decision.assignees),
    )
    for sup_id, _role in decision.assignees:
        notify_supervisor(session, rt, case, sup_id, now, reason="new")


class SupervisorNotices:
    """The supervisor notices of one unit of work, enqueued together by `flush`.

    Every notice carries the supervisor's counts of new and overdue cases. Counting them per notice read the
    supervisor's whole caseload each time (a sweep of 100 rungs re-counted it 100+ times); here they are
    counted once per `flush` for all supervisors in one grouped query, after this unit of work's own changes,
    so the numbers are the same as counting at the end of the transaction.
    """

    def __init__(self, session: orm.Session, rt: Runtime, now: datetime) -> None:
        self.session, self.rt, self.now = session, rt, now
        self._pending: list[tuple[Case, str, str, int]] = []

    def add(self, case: Case, supervisor_id: str, reason: str) -> None:
        # The audit length at this moment goes into the key, as it did when notices were enqueued one by one.
        seq = cases_repo.last_seq(session=self.session, case_id=case.id)
        self._pending.append((case, supervisor_id, reason, seq))

    def flush(self) -> int:
        if not self._pending:
            return 0
        pending, self._pending = self._pending, []
        self.session.flush()
        counts = cases_repo.supervisors_counts(
            session=self.session, supervisor_ids={sup for _, sup, _, _ in pending},
            new_states=NEW_FOR_SUPERVISOR, open_states=OPEN_STATES,
        )  # fmt: skip
        base = self.rt.settings.env.public_base_url
        added = 0
        for case, sup, reason, seq in pending:
            count_new, count_overdue = counts[sup]
            link = f"{base}/console/cases/{case.public_id}"
            added += outbox.enqueue(
                session=self.session,
                key=f"sup:{sup}:{case.number}:{reason}:{seq}",
                recipient_kind="supervisor",
                recipient=sup,
                purpose=f"case_{reason}",
                payload=notices.supervisor_payload(
                    notices.supervisor_text(count_new, count_overdue, link, case.number),
                    count_new,
                    count_overdue,
                    link,
                ),  # fmt: skip
                now=self.now,
                case_id=case.id,
            )
        return added


def notify_supervisor(session: orm.Session, rt: Runtime, case: Case, supervisor_id: str, now: datetime, *,
                      reason: str) -> None:  # fmt: skip
    batch = SupervisorNotices(session, rt, now)
    batch.add(case, supervisor_id, reason)
    batch.flush()


def notify_citizen(session: orm.Session, rt: Runtime, case: Case, action: str, now: datetime, *,
                   note: str | None = None, seq: int) -> None:  # fmt: skip
    text = notices.citizen_text(action, case.number, tz=rt.tz, note=note, due=case.answer_due)
    if text is None:
        return
    if case.channel != "wechat":
        # Open311 reporters follow their case through the API; there is no WeChat account to write to.
        case.last_note = text[:200]
        return
    case.last_note = text[:200]
    outbox.enqueue(
        session=session,
        key=f"cit:{case.number}:{action}:{seq}",
        recipient_kind="citizen",
        recipient=case.pseudonym,
        purpose=f"case_{action}",
        payload={"text": text, "template": notices.template_fields(case.number, case.state, text, now, rt.tz)},
        now=now,
        case_id=case.id,
    )


def act(
    session: orm.Session,
    rt: Runtime,
    case: Case,
    action: str,
    *,
    actor: str,
    now: datetime,
    note: str | None = None,
    days: int | None = None,
    rating: tuple[str, str] | None = None,
) -> Case:
    """Apply one lifecycle step (raises IllegalTransition), audit it, and queue who must hear about it."""
    before = case.state
    case.state = transition(case.state, action)
    case.updated_at = now
    city = rt.settings.city
    if action == "sign":
        case.signed_at = now
    elif action == "reply":
        case.answered_at = now
        cases_repo.add_message(session=session, case=case, at=now, direction="staff", kind="answer", body=note or "",
                               author=actor)  # fmt: skip
    elif action == "ask":
        cases_repo.add_message(session=session, case=case, at=now, direction="staff", kind="question",
                               body=note or "", author=actor)  # fmt: skip
    elif action == "approve_extension" and days:
        case.answer_due = extend(case.answer_due or now, days, rt.calendar)
    elif action == "escalate":
        case.escalated_at = now
    elif action in ("close", "rate_satisfied"):
        case.closed_at = now
    elif action == "rate_unsatisfied":
        category = city.category(case.category)
        if category is not None:
            case.answer_due = restart_answer(now, category, rt.calendar)
        case.answer_started_at = now
        case.answered_at = None
    if rating is not None:
        case.rating_outcome, case.rating_conduct = rating
        case.rated_at = now
    event = cases_repo.append_event(session=session, case=case, at=now, actor=actor, action=action,
                                    from_state=before, to_state=case.state, note=note)  # fmt: skip
    notify_citizen(session, rt, case, action, now, note=note, seq=event.seq)
    if action == "reply":
        # Straight after the answer the citizen is asked to rate it.
        before = case.state
        case.state = transition(case.state, "request_rating")
        ev = cases_repo.append_event(session=session, case=case, at=now, actor="system", action="request_rating",
                                     from_state=before, to_state=case.state)  # fmt: skip
        notify_citizen(session, rt, case, "request_rating", now, seq=ev.seq)
    if action == "rate_unsatisfied":
        for a in cases_repo.assignees(session=session, case_id=case.id):
            notify_supervisor(session, rt, case, a.supervisor_id, now, reason="reopened")
        for sup in city.office_desk():
            notify_supervisor(session, rt, case, sup.id, now, reason="reopened")
    if action == "return":
        # A returned case goes back to the triage desk to be routed again.
        _to_triage(session, rt, case, now)
    reschedule(session, rt, case)
    log.info("case %s %s -> %s by %s", case.number, before, case.state, actor)
    return case


def _to_triage(session: orm.Session, rt: Runtime, case: Case, now: datetime) -> None:
    case.triage = True
    dispatch_case(session, rt, case, now, actor="system")
