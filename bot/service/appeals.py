"""误评 appeals in one transaction: the unit appeals a 差评 with a reason, an office account upholds it (the rating
leaves the unit's 好差评 figures) or rejects it (it stands).

Every step is an audit event: on the review case's hash chain when the 差评 opened one, and always a line of the
console's access log (`staff_events`, target `rating:<id>`). No step ever copies who rated; notes are masked. The
rules are `handlers.ratings`'.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service.notify import notify_supervisor
from handlers import ratings as rules
from handlers.config import Supervisor
from handlers.visibility import StaffMember
from storage import cases as cases_repo
from storage import ratings as repo
from storage import staff as staff_repo
from storage.models import Case
from storage.models import RatingAppeal
from storage.models import WindowRating

log = logging.getLogger("zhiyong.ratings")


def member_of_supervisor(sup: Supervisor) -> StaffMember:
    """A configured supervisor (bound in WeChat) as the rules see a person."""
    return StaffMember(role=sup.role, units=sup.units, member_of=sup.member_of, supervisor_id=sup.id, name=sup.name)


def _audit(session: orm.Session, rating: WindowRating, *, action: str, actor: str, note: str,
           now: datetime) -> Case | None:  # fmt: skip
    case = session.get(Case, rating.review_case_id) if rating.review_case_id is not None else None
    if case is not None:
        cases_repo.append_event(session=session, case=case, at=now, actor=actor, action=action,
                                from_state=case.state, to_state=case.state, note=note)  # fmt: skip
    return case


def appeal(session: orm.Session, rt: Runtime, member: StaffMember, rating: WindowRating, reason: str | None, *,
           actor: str, staff_id: int | None, now: datetime) -> RatingAppeal:  # fmt: skip
    """:raises rules.AppealError: not the appellant's unit, not a 差评, appealed before, or no proper reason."""
    if not rules.may_appeal(member, rating.unit):
        raise rules.AppealError("只有负责该单位的督办员或该单位负责人可以申诉其评价")
    text = rules.check_appeal(rating.level, repo.appeal_of(session=session, rating_id=rating.id) is not None, reason)
    row = repo.add_appeal(session=session, rating=rating, reason=text, actor=actor, now=now)
    label = rules.LEVELS[rating.level]
    case = _audit(session, rating, action="appeal", actor=actor, now=now,
                  note=f"单位申诉误评（申诉 #{row.id}，原评价：{label}）：{text}")  # fmt: skip
    staff_repo.log_event(session=session, at=now, staff_id=staff_id, action="appeal", target=f"rating:{rating.id}",
                         detail=f"申诉 #{row.id}")  # fmt: skip
    if case is not None:
        for sup in rt.settings.city.office_desk():
            notify_supervisor(session, rt, case, sup.id, now, reason="appeal")
    log.info("rating %s appealed as misjudged (appeal %s)", rating.id, row.id)
    return row


def appeal_review_case(session: orm.Session, rt: Runtime, member: StaffMember, case: Case, reason: str | None, *,
                       actor: str, staff_id: int | None, now: datetime) -> str:  # fmt: skip
    """The appeal of the 差评 behind a review case (WeChat `申诉 ZY… 理由`, the case page). Returns the reply."""
    rating = repo.for_review_case(session=session, case_id=case.id) if case.kind == "review" else None
    if rating is None:
        raise rules.AppealError(f"工单 {case.number} 不是窗口差评形成的整改工单，不能申诉误评")
    row = appeal(session, rt, member, rating, reason, actor=actor, staff_id=staff_id, now=now)
    return f"工单 {case.number} 所涉差评的误评申诉（#{row.id}）已提交治庸办认定，认定结果会记入工单。"


def appeal_from_wechat(session: orm.Session, rt: Runtime, supervisor_id: str, case: Case, reason: str,
                       now: datetime) -> str:  # fmt: skip
    """`申诉 ZY… 理由` from a bound supervisor on one of their review cases; returns the reply (also a refusal)."""
    sup = next((s for s in rt.settings.city.supervisors if s.id == supervisor_id), None)
    if sup is None:
        return f"工单 {case.number}：未找到您的督办员配置，不能申诉。"
    account = staff_repo.by_supervisor(session=session, supervisor_id=supervisor_id)
    try:
        return appeal_review_case(session, rt, member_of_supervisor(sup), case, reason, actor=sup.id,
                                  staff_id=account.id if account else None, now=now)  # fmt: skip
    except rules.AppealError as exc:
        return f"工单 {case.number}：{exc}"


def decide(session: orm.Session, rt: Runtime, member: StaffMember, row: RatingAppeal, *, uphold: bool,
           note: str | None, actor: str, staff_id: int | None, now: datetime) -> str:  # fmt: skip
    """The office's decision. Returns a message for the decider. :raises rules.AppealError:"""
    if not rules.may_decide(member, row.unit, rt.settings.city):
        raise rules.AppealError("只有治庸办可以认定误评申诉（回避：不能处理本单位的申诉）")
    text = rules.check_decision(row.status, uphold, note)
    repo.decide(session=session, row=row, uphold=uphold, actor=actor, now=now, note=text)
    rating = repo.get(session=session, rating_id=row.rating_id)
    assert rating is not None
    what = "认定为误评，该评价不计入单位好差评" if uphold else "维持原评价"
    action = "appeal_upheld" if uphold else "appeal_rejected"
    case = _audit(session, rating, action=action, actor=actor, now=now,
                  note=f"误评申诉 #{row.id}：{what}" + (f"。理由：{text}" if text else ""))  # fmt: skip
    staff_repo.log_event(session=session, at=now, staff_id=staff_id, action=action, target=f"rating:{rating.id}",
                         detail=f"申诉 #{row.id}")  # fmt: skip
    handler = {s.id for s in rt.settings.city.supervisors if s.role == "supervisor"}
    if case is not None and row.appealed_by in handler:
        notify_supervisor(session, rt, case, row.appealed_by, now, reason="appeal_decision", note=what)
    log.info("appeal %s %s", row.id, "upheld" if uphold else "rejected")
    return f"误评申诉 #{row.id}：{what}。"
