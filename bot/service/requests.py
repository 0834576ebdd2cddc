"""延期 and 提前办结: a handler asks (the days, or the reason to close before the citizen rates), the campaign
office decides once, and both sides hear of it.

`check` runs before a lifecycle step changes anything and refuses with a reason (`IllegalTransition`): a 办结
while the rating period runs, a decision with nothing to decide or by the person who asked, an extension
without its days. `record` keeps the request or the decision (`case_requests`), moves the deadline when an
extension is approved, and returns the audit note; `tell` queues the notices once the step's event is written.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service.notify import SupervisorNotices
from handlers.deadlines import extend
from handlers.deadlines import rating_period_end
from handlers.lifecycle import IllegalTransition
from storage import cases as cases_repo
from storage import requests as requests_repo
from storage.models import Case
from storage.models import CaseRequest

KIND = {
    "request_extension": "extension",
    "approve_extension": "extension",
    "reject_extension": "extension",
    "request_close_early": "close_early",
    "approve_close_early": "close_early",
    "reject_close_early": "close_early",
}
DECISIONS = frozenset({"approve_extension", "reject_extension", "approve_close_early", "reject_close_early"})
MAX_DAYS = 30


def _when(rt: Runtime, at: datetime) -> str:
    return at.astimezone(rt.tz).strftime("%m月%d日 %H:%M").lstrip("0")


def _refuse(case: Case, action: str, reason: str) -> IllegalTransition:
    return IllegalTransition(case.state, action, reason)


def check(session: orm.Session, rt: Runtime, case: Case, action: str, *, actor: str, now: datetime,
          note: str | None, days: int | None) -> CaseRequest | None:  # fmt: skip
    """Refuse what the loop does not allow (nothing has changed yet); returns the pending request a decision
    is about."""
    if action == "close":
        if case.answered_at is None:
            raise _refuse(case, action, "工单尚未答复，不能办结。")
        ends = rating_period_end(case.answered_at, rt.settings.city.escalation.rating_autoclose_days, rt.calendar)
        if now < ends:
            raise _refuse(case, action, f"市民评价期至 {_when(rt, ends)} 结束，此前不能直接办结：市民评价后自动办结；"
                                        "确需提前办结的，请申请“提前办结”并写明理由，由治庸办审批。")  # fmt: skip
        return None
    if action == "request_extension" and (days is None or not 1 <= days <= MAX_DAYS):
        raise _refuse(case, action, f"请写明延期的工作日数（1–{MAX_DAYS}）。")
    if action in ("request_close_early", "reject_extension", "reject_close_early") and not (note or "").strip():
        raise _refuse(case, action, "请写明理由。")
    if action not in DECISIONS:
        return None
    request = requests_repo.latest_pending(session=session, case_id=case.id, kind=KIND[action])
    if request is None and action != "approve_extension":
        raise _refuse(case, action, "没有待审批的申请。")
    if request is not None and request.requested_by == actor:
        raise _refuse(case, action, "申请须由另一人审批，不能审批自己提出的申请。")
    if action == "approve_extension" and not (days or (request.days if request else None)):
        raise _refuse(case, action, "请填写批准延期的工作日数（1–30）。")
    return request


def record(session: orm.Session, rt: Runtime, case: Case, action: str, request: CaseRequest | None, *, actor: str,
           now: datetime, note: str | None, days: int | None) -> str | None:  # fmt: skip
    """Keep the request or the decision; returns the audit note of the step."""
    reason = (note or "").strip()
    if action == "request_extension":
        requests_repo.add(session=session, case_id=case.id, kind="extension", days=days, reason=reason,
                          requested_by=actor, at=now)  # fmt: skip
        return f"申请延期 {days} 个工作日" + (f"：{reason}" if reason else "")
    if action == "request_close_early":
        requests_repo.add(session=session, case_id=case.id, kind="close_early", days=None, reason=reason,
                          requested_by=actor, at=now)  # fmt: skip
        return f"申请提前办结：{reason}"
    if action == "approve_extension":
        granted = days or (request.days if request else None)
        assert granted is not None  # check() made sure
        before = case.answer_due or now
        case.answer_due = extend(before, granted, rt.calendar)
        if request is not None:
            requests_repo.decide(request=request, status="approved", by=actor, at=now, note=reason or None,
                                 granted_days=granted)  # fmt: skip
        asked = f"（申请 {request.days} 个工作日）" if request is not None and request.days != granted else ""
        return f"批准延期 {granted} 个工作日{asked}，答复期限 {_when(rt, before)} → {_when(rt, case.answer_due)}" + (
            f"：{reason}" if reason else "")  # fmt: skip
    if action in ("reject_extension", "reject_close_early"):
        assert request is not None
        requests_repo.decide(request=request, status="rejected", by=actor, at=now, note=reason)
        return f"驳回{'延期' if action == 'reject_extension' else '提前办结'}申请：{reason}"
    if action == "approve_close_early":
        assert request is not None
        requests_repo.decide(request=request, status="approved", by=actor, at=now, note=reason or None)
        return f"批准提前办结（申请理由：{request.reason}）" + (f"；{reason}" if reason else "")
    return note


def tell(session: orm.Session, rt: Runtime, case: Case, action: str, request: CaseRequest | None, *,
         now: datetime) -> None:  # fmt: skip
    """The office hears of a request; the handlers (and whoever asked) hear of the decision."""
    city = rt.settings.city
    notices = SupervisorNotices(session, rt, now)
    if action in ("request_extension", "request_close_early"):
        request = requests_repo.latest_pending(session=session, case_id=case.id, kind=KIND[action])
        reason = "extension_request" if action == "request_extension" else "close_request"
        note = f"{request.days} 个工作日" if request is not None and request.days else None
        for sup in city.office_desk():
            notices.add(case, sup.id, reason, note)
    elif action in DECISIONS:
        due = _when(rt, case.answer_due) if case.answer_due else "—"
        if action == "approve_extension":
            granted = request.granted_days if request is not None else None
            reason, note = "extension", f"已批准延期 {granted or ''} 个工作日，新的答复期限为 {due}".replace("  ", " ")
        elif action == "reject_extension":
            reason, note = "extension", f"未获批准（{request.decision_note if request else ''}），答复期限仍为 {due}"
        elif action == "approve_close_early":
            reason, note = "close_decision", "已批准，工单已办结"
        else:
            reason = "close_decision"
            note = f"未获批准（{request.decision_note if request else ''}），请等待市民评价"
        recipients = [a.supervisor_id for a in cases_repo.assignees(session=session, case_id=case.id)]
        known = {s.id for s in city.supervisors}
        if request is not None and request.requested_by in known:
            recipients.insert(0, request.requested_by)
        for sup in dict.fromkeys(recipients):
            notices.add(case, sup, reason, note)
    notices.flush()
