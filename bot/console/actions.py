"""Lifecycle actions from the console: who may take which, what each needs, and applying it through casework.

Every step goes through `bot.service.casework.act` (transition table, audit chain, notices); reclassify, which is not a
transition (it is kept as a training correction), appends its own audit event here. 查看身份: `reveal_rules.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import orm

from bot.console.base import Viewer
from bot.console.scope import by_number_in_scope
from bot.console.scope import may_touch
from bot.runtime import Runtime
from bot.service import casework
from handlers.lifecycle import FINAL_STATES
from handlers.lifecycle import CaseState
from handlers.lifecycle import IllegalTransition
from handlers.lifecycle import can
from storage import cases as cases_repo
from storage import corrections as corrections_repo
from storage.models import Case

HANDLERS = frozenset({"supervisor", "office"})
OFFICE = frozenset({"office"})
MAX_NOTE = 600


@dataclass(frozen=True, slots=True)
class ActionSpec:
    label: str
    roles: frozenset[str]
    note: str | None = None  # the prompt for a required text, None when no text is asked for
    days: bool = False
    danger: bool = False
    offered: bool = True  # False: accepted (and refused with the reason) but never offered as a button
    needs_request: str | None = None  # offered only while a request of this kind waits for a decision


ACTIONS: dict[str, ActionSpec] = {
    "sign": ActionSpec("签收", HANDLERS),
    "ask": ActionSpec("询问市民", HANDLERS, note="要向市民了解的问题（经平台转达，不透露双方身份）"),
    "reply": ActionSpec("答复市民", HANDLERS, note="答复内容（将发送给市民）"),
    "return": ActionSpec("退单", HANDLERS, note="退单理由（退回分拣台重新派单）", danger=True),
    "request_extension": ActionSpec("申请延期", HANDLERS, note="延期理由", days=True),
    "approve_extension": ActionSpec("批准延期", OFFICE, days=True),
    "reject_extension": ActionSpec("驳回延期", OFFICE, note="驳回理由"),
    # 办结 comes from the citizen's rating or the end of the rating period; before that only with the office's
    # approval of a reasoned request. A direct "close" is refused with that explanation.
    "close": ActionSpec("办结", HANDLERS, offered=False),
    "request_close_early": ActionSpec(
        "申请提前办结", HANDLERS, note="提前办结的理由（市民评价前办结须经治庸办批准，如：市民已电话确认满意）"
    ),
    "approve_close_early": ActionSpec("批准提前办结", OFFICE, note="审批意见", needs_request="close_early"),
    "reject_close_early": ActionSpec("驳回提前办结", OFFICE, note="驳回理由", needs_request="close_early"),
    "escalate": ActionSpec("督办", OFFICE, note="督办要求"),
    "reject": ActionSpec("不予受理", OFFICE, note="不予受理的理由（将告知市民）", danger=True),
    "merge": ActionSpec("合并为重复件", OFFICE, danger=True),
}


class ActionError(Exception):
    """A request that cannot be carried out; the message is Chinese and safe to show."""


RECUSED = "回避：您所属的单位与该工单有关，不能办理。"


def _recusal(rt: Runtime, v: Viewer, case: Case) -> None:
    # The scope already hides such a case (404); this holds even if a path ever forgets the scope.
    if not may_touch(v, case.respondent_unit, rt.settings.city):
        raise ActionError(RECUSED)


def available(case: Case, v: Viewer, pending: frozenset[str] = frozenset()) -> list[tuple[str, ActionSpec]]:
    """The lifecycle steps this viewer may take on this case now (role, current state, and the kinds of request
    `pending` a decision)."""
    return [
        (name, spec)
        for name, spec in ACTIONS.items()
        if spec.offered and v.role in spec.roles and can(case.state, name)
        and (spec.needs_request is None or spec.needs_request in pending)
        and not (name == "request_close_early" and "close_early" in pending)
    ]  # fmt: skip


def may_reclassify(case: Case, v: Viewer) -> bool:
    return v.role in HANDLERS and case.state not in FINAL_STATES


def _note(form_note: str | None, spec: ActionSpec) -> str | None:
    note = (form_note or "").strip()
    if spec.note is not None and not note:
        raise ActionError(f"请填写：{spec.note}")
    if len(note) > MAX_NOTE:
        raise ActionError(f"内容过长（最多 {MAX_NOTE} 字）")
    return note or None


def _days(raw: str | None) -> int:
    try:
        days = int(raw or "")
    except ValueError:
        raise ActionError("请填写延期的工作日数（1–30）") from None
    if not 1 <= days <= 30:
        raise ActionError("延期的工作日数应在 1–30 之间")
    return days


def apply(session: orm.Session, rt: Runtime, v: Viewer, case: Case, action: str, *, note: str | None,
          days: str | None, target: str | None, now: datetime) -> str:  # fmt: skip
    """Carry out `action`; returns the message for the viewer. :raises ActionError: refused, nothing changed."""
    spec = ACTIONS.get(action)
    if spec is None or v.role not in spec.roles:
        raise PermissionError(action)
    _recusal(rt, v, case)
    text = _note(note, spec)
    n_days: int | None = None
    if spec.days:
        # An approval may leave the days empty: the days asked for (kept on the request) are granted.
        n_days = None if action == "approve_extension" and not (days or "").strip() else _days(days)
    try:
        if action == "merge":
            casework.merge(session, rt, case, _merge_target(session, rt, v, case, target), actor=v.actor, now=now)
        else:
            casework.act(session, rt, case, action, actor=v.actor, now=now, note=text, days=n_days)
    except IllegalTransition as exc:
        raise ActionError(exc.reason) from None
    return f"已{spec.label}。"


def _merge_target(session: orm.Session, rt: Runtime, v: Viewer, case: Case, target: str | None) -> Case:
    other = by_number_in_scope(session, v, rt.settings.city, target or "") if target else None
    if other is None or other.id == case.id:
        raise ActionError("请填写要并入的另一件工单的编号")
    if other.state in (CaseState.MERGED, CaseState.REJECTED):
        raise ActionError(f"工单 {other.number} 已是重复件或不予受理，不能作为主件")
    return other


def reclassify(session: orm.Session, rt: Runtime, v: Viewer, case: Case, category: str, now: datetime) -> str:
    """Change the category (the unit changes only at the triage desk); kept as a correction for training."""
    city = rt.settings.city
    _recusal(rt, v, case)
    if not may_reclassify(case, v):
        raise ActionError("此工单当前不能改分类")
    if city.category(category) is None:
        raise ActionError("请选择一个类别")
    if category == case.category:
        raise ActionError("类别没有变化")
    before = case.category
    corrections_repo.add(session=session, case=case, at=now, actor=v.actor, from_category=before,
                         to_category=category, from_unit=case.respondent_unit, to_unit=case.respondent_unit)  # fmt: skip
    case.category = category
    case.updated_at = now
    cases_repo.append_event(session=session, case=case, at=now, actor=v.actor, action="reclassify",
                            from_state=case.state, to_state=case.state, note=f"类别 {before} → {category}")  # fmt: skip
    return "已改分类，并记为分类纠正（用于模型训练）。"
