"""Applying case decisions: submission, 派单 (routing with 回避), lifecycle steps and their audit events.

Decisions come from `handlers` (the case plan, lifecycle table, routing, deadlines); this module writes the rows —
case, audit event, assignments — inside the caller's transaction, and asks `notify` and `watch` for the rest.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import dossier
from bot.service import requests
from bot.service import watch
from bot.service.notify import notify_citizen
from bot.service.notify import notify_supervisor
from handlers import ladder
from handlers.case_plan import known_category
from handlers.case_plan import known_unit
from handlers.case_plan import plan_case
from handlers.deadlines import restart_answer
from handlers.lifecycle import OPEN_STATES
from handlers.lifecycle import CaseState
from handlers.lifecycle import IllegalTransition
from handlers.lifecycle import transition
from handlers.masking import mask_text
from handlers.routing import RouteDecision
from handlers.routing import candidates
from handlers.routing import route
from storage import accountability as acc_repo
from storage import case_lists
from storage import cases as cases_repo
from storage import jobs as ledger
from storage.models import Case

log = logging.getLogger("zhiyong.cases")


def ladder_case(case: Case) -> ladder.LadderCase:
    return ladder.LadderCase(
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
        for r in ladder.rungs(ladder_case(case), rt.calendar, rt.settings.city.escalation)
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
    session: orm.Session,
    rt: Runtime,
    draft: Any,
    pseudonym: str,
    now: datetime,
    *,
    channel: str = "wechat",
    kind: str = "complaint",
    answer_days: int | None = None,
    actor: str = "citizen",
) -> Case:
    """Create the case from a finished draft as `handlers.case_plan` decides it: rows, routing, deadlines, notices.

    A review (a 差评 to put right) passes kind="review" and its 整改 period as `answer_days` (working days); a case
    opened from a 明查暗访 finding passes channel="inspection" and the inspector as `actor`."""
    city = rt.settings.city
    category, unit = known_category(city, draft.category), known_unit(city, draft.unit)
    pool = candidates(category=category, unit=unit, city=city)
    plan = plan_case(category=draft.category, unit=draft.unit, triage=draft.triage, city=city, calendar=rt.calendar,
                     now=now, load=cases_repo.open_load(session=session, open_states=OPEN_STATES,
                                                        supervisor_ids=pool))  # fmt: skip
    number = cases_repo.allocate_number(session=session, at=now, tz=rt.tz)
    location = None
    if getattr(draft, "location", None):
        lat, lon, label = draft.location
        location = {"lat": lat, "lon": lon, "label": label}
    case = cases_repo.create(
        session=session,
        number=number,
        now=now,
        pseudonym=pseudonym,
        state=CaseState.SUBMITTED,
        category=plan.category,
        respondent_unit=plan.unit,
        window=draft.window,
        text=draft.text,
        search_text=mask_text(draft.text),
        occurred_on=draft.occurred_on,
        occurred_text=draft.occurred_text,
        location=location,
        anonymous=draft.anonymous,
        unit_source=draft.unit_source or "triage",  # 不确定: the office decides
        confidence=float(getattr(draft.classification, "confidence", 0.0) or 0.0),
        classification=classification_record(draft.classification),
        triage=plan.triage,
        channel=channel,
        kind=kind,
    )
    if not draft.anonymous:
        cases_repo.add_contact(session=session, case=case, real_name=draft.real_name, phone=draft.phone)
    for item in draft.evidence:
        cases_repo.add_evidence(
            session=session, case=case, kind=item.kind, media_id=item.media_id, pic_url=item.pic_url, at=now
        )
    cases_repo.append_event(
        session=session,
        case=case,
        at=now,
        actor=actor,
        action="submit",
        from_state=None,
        to_state=CaseState.SUBMITTED,
    )
    case.sign_due, case.answer_due = plan.deadlines.sign_due, plan.deadlines.answer_due
    if answer_days is not None:
        case.answer_due = rt.calendar.add_working_days(now, answer_days)
    case.answer_started_at = now
    _apply_route(session, rt, case, plan.route, now, actor="system")
    reschedule(session, rt, case)
    if plan.unit is not None:
        watch.link_related(session, rt, case, now)
        watch.hot_spot_check(session, rt, case, now)
    return case


def record_feedback(session: orm.Session, rt: Runtime, feedback: Any, pseudonym: str, now: datetime) -> Case:
    """A praise or a suggestion as a case of that kind, closed at once (outside the complaint loop, never counted
    against a unit): the praised unit's supervisors and the office's desk are told; a suggestion goes to the office."""
    city = rt.settings.city
    unit = known_unit(city, feedback.unit)
    number = cases_repo.allocate_number(session=session, at=now, tz=rt.tz)
    case = cases_repo.create(
        session=session, number=number, now=now, pseudonym=pseudonym, state=CaseState.CLOSED, kind=feedback.kind,
        category="other", respondent_unit=unit, window=feedback.window, text=feedback.text,
        search_text=mask_text(feedback.text), person=feedback.person,
        anonymous=True, unit_source="named" if unit else "triage", confidence=0.0, classification={}, triage=False,
        channel="wechat",
    )  # fmt: skip
    case.closed_at = now
    cases_repo.append_event(session=session, case=case, at=now, actor="citizen", action=feedback.kind,
                            from_state=None, to_state=CaseState.CLOSED)  # fmt: skip
    told = [s.id for s in city.supervisors if unit and unit in s.units and s.role == "supervisor"]
    told += [s.id for s in city.office_desk() if s.id not in told]
    for sup in told if feedback.kind == "praise" else [s.id for s in city.office_desk()]:
        notify_supervisor(session, rt, case, sup, now, reason=feedback.kind)
    return case


def assign_case(session: orm.Session, rt: Runtime, case: Case, now: datetime, *, actor: str) -> None:
    """派单 again (after a return, or from triage): route with 回避 and tell the chosen supervisors."""
    city = rt.settings.city
    pool = candidates(category=case.category, unit=case.respondent_unit, city=city)
    load = cases_repo.open_load(session=session, open_states=OPEN_STATES, supervisor_ids=pool)
    decision = route(category=case.category, unit=case.respondent_unit, triage=case.triage, city=city, load=load)
    _apply_route(session, rt, case, decision, now, actor=actor)


def _apply_route(
    session: orm.Session, rt: Runtime, case: Case, decision: RouteDecision, now: datetime, *, actor: str
) -> None:
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
    for sup_id in decision.inform:
        notify_supervisor(session, rt, case, sup_id, now, reason="discipline")


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
    """Apply one lifecycle step (raises IllegalTransition, having changed nothing), audit it, and queue who must
    hear about it."""
    before = case.state
    target = transition(case.state, action)
    if action == "reply" and case.kind == "review" and not _verified(session, case):
        # 谁办理、谁负责: a 差评 is answered with what was found and put right, and the 回访 asks about that.
        raise IllegalTransition(case.state, action, "差评整改工单须先记录核实情况和整改情况，再答复市民（核实 "
                                f"{case.number} 属实 整改：……，或在工单页“核实与整改”中记录）")  # fmt: skip
    request = requests.check(session, rt, case, action, actor=actor, now=now, note=note, days=days)
    note = requests.record(session, rt, case, action, request, actor=actor, now=now, note=note, days=days)
    case.state = target
    case.updated_at = now
    city = rt.settings.city
    if action == "sign":
        case.signed_at = now
    elif action == "reply":
        case.answered_at = now
        cases_repo.add_message(session=session, case=case, at=now, direction="staff", kind="answer", body=note or "",
                               author=actor)  # fmt: skip
    elif action == "share_answer":
        case.answered_at = now
        cases_repo.add_message(session=session, case=case, at=now, direction="staff", kind="answer", body=note or "",
                               author=actor)  # fmt: skip
    elif action == "ask":
        cases_repo.add_message(session=session, case=case, at=now, direction="staff", kind="question",
                               body=note or "", author=actor)  # fmt: skip
    elif action == "escalate":
        case.escalated_at = now
    elif action in ("close", "rate_satisfied", "approve_close_early"):
        case.closed_at = now
    elif action == "rate_unsatisfied":
        category = city.category(case.category)
        if case.kind == "review":  # 整改 again, in the review's own period
            case.answer_due = rt.calendar.add_working_days(now, city.reviews.rectify_days)
        elif category is not None:
            case.answer_due = restart_answer(now, category, rt.calendar)
        case.answer_started_at = now
        case.answered_at = None
    if rating is not None:
        case.rating_outcome, case.rating_conduct = rating
        case.rated_at = now
    event = cases_repo.append_event(session=session, case=case, at=now, actor=actor, action=action,
                                    from_state=before, to_state=case.state, note=note)  # fmt: skip
    notify_citizen(session, rt, case, action, now, note=note, seq=event.seq)
    if action in requests.KIND:
        requests.tell(session, rt, case, action, request, now=now)
    if action in ("reply", "share_answer"):
        # Straight after the answer the citizen is asked to rate it, and so is every citizen of a 重复件.
        _request_rating(session, rt, case, now)
    if action == "escalate":
        dossier.on_escalation(session, rt, case, now, seq=event.seq, note=note)  # the unit's officials' 活档案
    if action == "reply":
        for dup in case_lists.duplicates_of(session=session, case_id=case.id, states=(CaseState.MERGED,)):
            act(session, rt, dup, "share_answer", actor="system", now=now, note=note)
    if action == "escalate" and actor != "system":
        # A manual 督办 reaches the handlers with its 督办要求 (the ladder's 超期督办 sends its own notice).
        for a in cases_repo.assignees(session=session, case_id=case.id):
            notify_supervisor(session, rt, case, a.supervisor_id, now, reason="escalate", note=note)
    if action == "rate_unsatisfied":
        for sup_id in _handlers_for_redo(session, case, now):
            notify_supervisor(session, rt, case, sup_id, now, reason="reopened")
        for sup in city.office_desk():
            notify_supervisor(session, rt, case, sup.id, now, reason="reopened")
    if action == "return":
        # A returned case goes back to the triage desk to be routed again.
        _to_triage(session, rt, case, now)
    reschedule(session, rt, case)
    log.info("case %s %s -> %s by %s", case.number, before, case.state, actor)
    return case


def merge(session: orm.Session, rt: Runtime, case: Case, main: Case, *, actor: str, now: datetime) -> None:
    """合并为重复件: `case` follows `main`; if `main` has been answered already, its citizen gets that answer now."""
    act(session, rt, case, "merge", actor=actor, now=now, note=f"并入 {main.number}")
    case.duplicate_of = main.id
    if main.answered_at is not None and main.state in (CaseState.ANSWERED, CaseState.RATING, CaseState.CLOSED):
        answer = cases_repo.last_answer(session=session, case_id=main.id)
        if answer is not None:
            act(session, rt, case, "share_answer", actor="system", now=now, note=answer)


def _handlers_for_redo(session: orm.Session, case: Case, now: datetime) -> list[str]:
    """Who redoes a case after a bad rating: its handlers; a 重复件 without any takes its main case's."""
    ids = [a.supervisor_id for a in cases_repo.assignees(session=session, case_id=case.id)]
    if not ids and case.duplicate_of is not None:
        main = session.get(Case, case.duplicate_of)
        for a in cases_repo.assignees(session=session, case_id=case.duplicate_of) if main else []:
            cases_repo.assign(session=session, case=case, supervisor_id=a.supervisor_id, role=a.role, at=now)
            ids.append(a.supervisor_id)
    return ids


def _verified(session: orm.Session, case: Case) -> bool:
    found = acc_repo.finding(session=session, case_id=case.id)
    return found is not None and found.status != acc_repo.RETURNED


def _request_rating(session: orm.Session, rt: Runtime, case: Case, now: datetime) -> None:
    before = case.state
    case.state = transition(case.state, "request_rating")
    ev = cases_repo.append_event(session=session, case=case, at=now, actor="system", action="request_rating",
                                 from_state=before, to_state=case.state)  # fmt: skip
    # A 差评's 回访 says what was put right (整改情况) and asks whether the citizen is satisfied with it now.
    found = acc_repo.finding(session=session, case_id=case.id) if case.kind == "review" else None
    measures = mask_text(found.measures) if found is not None and found.measures else None
    notify_citizen(session, rt, case, "request_rating", now, seq=ev.seq, note=measures)


def _to_triage(session: orm.Session, rt: Runtime, case: Case, now: datetime) -> None:
    case.triage = True
    assign_case(session, rt, case, now, actor="system")
