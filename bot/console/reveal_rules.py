"""查看身份 (revealing a real-name reporter) by two people, the rules shared by the console and `flask --app bot reveal`.

1. An office account asks, with a reason of at least REASON_MIN characters (a Chinese character counts as one,
   spaces do not).
2. A different office account approves or declines it; nobody decides their own request, and 回避 binds both
   (neither may belong to the accused unit).
3. Only after approval, and only for VIEW_WINDOW, the requester sees the name and phone; a declined or expired
   request shows nothing.
Each step is an audit event on the case (reveal_request, reveal_approve / reveal_decline, reveal_view) and a line in
the console access log; no note ever holds the identity (phone and ID numbers typed into a reason are masked).
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from sqlalchemy import orm

from bot.console.base import Viewer
from bot.console.scope import find_case
from bot.console.scope import may_touch
from bot.runtime import Runtime
from handlers.masking import mask_text
from storage import cases as cases_repo
from storage import reveals as reveals_repo
from storage import staff as staff_repo
from storage.models import Case
from storage.models import ReporterContact
from storage.models import RevealRequest

REASON_MIN = 10
REASON_MAX = 200
VIEW_WINDOW = timedelta(minutes=30)


class RevealError(Exception):
    """A reveal step that cannot be taken; the message is Chinese and safe to show."""


def _office(rt: Runtime, v: Viewer, case: Case) -> None:
    if v.role != "office":
        raise PermissionError("reveal")
    if not may_touch(v, case.respondent_unit, rt.settings.city):
        raise RevealError("回避：您所属的单位与该工单有关，不能查看或审批反映人身份。")


def _audit(session: orm.Session, v: Viewer, case: Case, action: str, note: str, now: datetime) -> None:
    cases_repo.append_event(session=session, case=case, at=now, actor=v.actor, action=action, from_state=case.state,
                            to_state=case.state, note=note)  # fmt: skip


def _actor_of(session: orm.Session, staff_id: int) -> str:
    account = staff_repo.get(session=session, staff_id=staff_id)
    if account is None:
        return f"staff#{staff_id}"
    return account.supervisor_id or f"staff:{account.username}"


def clean_reason(raw: str) -> str:
    """The reason as stored and audited: whitespace collapsed, phone and ID numbers masked. :raises RevealError:"""
    reason = " ".join((raw or "").split())
    if len(reason.replace(" ", "")) < REASON_MIN:  # characters, not bytes and not spaces: 十个汉字 are ten
        raise RevealError(f"请写明查看反映人身份的理由（至少 {REASON_MIN} 个字）。")
    if len(reason) > REASON_MAX:
        raise RevealError(f"理由过长（最多 {REASON_MAX} 字）。")
    return mask_text(reason)


def request(session: orm.Session, rt: Runtime, v: Viewer, case: Case, reason: str, now: datetime) -> RevealRequest:
    """Ask to see the reporter of `case`. :raises RevealError: refused, nothing written."""
    _office(rt, v, case)
    text = clean_reason(reason)
    existing = reveals_repo.open_for(session=session, case_id=case.id, staff_id=v.staff_id, now=now)
    if existing is not None and existing.status == reveals_repo.PENDING:
        raise RevealError("您对该工单的查看申请正在等待另一位治庸办人员审批。")
    if existing is not None:
        raise RevealError("您对该工单的查看申请已获批准，可直接查看。")
    row = reveals_repo.add(session=session, case_id=case.id, requested_by=v.staff_id, reason=text, now=now)
    _audit(session, v, case, "reveal_request", f"申请查看反映人身份（申请 #{row.id}），理由：{text}", now)
    return row


def decide(session: orm.Session, rt: Runtime, v: Viewer, request_id: int, *, approve: bool, now: datetime,
           note: str | None = None) -> tuple[RevealRequest, Case]:  # fmt: skip
    """Approve or decline someone else's pending request. :raises RevealError: refused, nothing written."""
    row = reveals_repo.get(session=session, request_id=request_id)
    case = session.get(Case, row.case_id) if row is not None else None
    # A request about a case outside the approver's scope is answered like one that does not exist.
    if row is None or case is None or find_case(session, v, rt.settings.city, case.public_id) is None:
        raise RevealError("没有这条查看申请。")
    _office(rt, v, case)
    if row.requested_by == v.staff_id:
        raise RevealError("不能审批自己的申请：须由另一位治庸办人员审批。")
    if row.status != reveals_repo.PENDING:
        raise RevealError("该申请已处理。")
    status = reveals_repo.APPROVED if approve else reveals_repo.DECLINED
    expires = now + VIEW_WINDOW if approve else None
    if not reveals_repo.decide(session=session, request_id=row.id, status=status, decided_by=v.staff_id, now=now,
                               expires_at=expires):  # fmt: skip
        raise RevealError("该申请已处理。")
    session.refresh(row)
    requester = _actor_of(session, row.requested_by)
    if approve:
        minutes = int(VIEW_WINDOW.total_seconds() // 60)
        text = f"批准查看反映人身份申请 #{row.id}（申请人 {requester}），{minutes} 分钟内有效"
    else:
        extra = mask_text(" ".join((note or "").split()))[:REASON_MAX]
        text = f"驳回查看反映人身份申请 #{row.id}（申请人 {requester}）" + (f"：{extra}" if extra else "")
    _audit(session, v, case, "reveal_approve" if approve else "reveal_decline", text, now)
    return row, case


def view(session: orm.Session, rt: Runtime, v: Viewer, case: Case, request_id: int,
         now: datetime) -> tuple[ReporterContact | None, RevealRequest]:  # fmt: skip
    """The reporter's contact for an approved, unexpired request of the viewer's own. Audited before it is shown.
    :raises RevealError: not approved, declined, expired, or not the viewer's."""
    _office(rt, v, case)
    row = reveals_repo.get(session=session, request_id=request_id)
    if (row is None or row.case_id != case.id or row.requested_by != v.staff_id
            or row.status != reveals_repo.APPROVED or row.expires_at is None or row.expires_at <= now):  # fmt: skip
        raise RevealError("没有可用的查看授权（未批准、已驳回或已过期），请重新申请。")
    approver = _actor_of(session, row.decided_by) if row.decided_by is not None else "-"
    _audit(session, v, case, "reveal_view", f"查看反映人身份（申请 #{row.id}，批准人 {approver}）", now)
    return cases_repo.contact(session=session, case_id=case.id), row
