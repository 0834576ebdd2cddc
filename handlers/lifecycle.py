"""The case lifecycle as one transition table (the 12345 hotline's closed loop).

`transition(state, action)` returns the next state or raises `IllegalTransition` with a reason in Chinese that
can be shown to the person who tried.

办结 (closed) is reached three ways only: the citizen's satisfied rating (`rate_satisfied`), the end of the rating
period (`close`, taken by the ratings job; `bot.service.casework` refuses it earlier), or the office's approval of
a handler's reasoned request (`request_close_early` → `approve_close_early`). A handler can no longer close a
case that waits for the citizen's rating, and so cannot avoid the 重办 a bad rating triggers.
"""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    """A case's state. Stored as its value; a StrEnum, so it compares equal to the stored string."""

    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    SIGNED = "signed"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    RATING = "rating"
    CLOSED = "closed"
    TRIAGE = "triage"
    RETURNED = "returned"
    EXTENSION = "extension"
    ESCALATED = "escalated"
    REOPENED = "reopened"
    MERGED = "merged"
    REJECTED = "rejected"


S = CaseState
STATES: dict[str, str] = {
    S.SUBMITTED: "已受理",
    S.ASSIGNED: "已派单",
    S.SIGNED: "已签收",
    S.IN_PROGRESS: "办理中",
    S.ANSWERED: "已答复",
    S.RATING: "待回访",
    S.CLOSED: "已办结",
    S.TRIAGE: "待分拣",
    S.RETURNED: "退单",
    S.EXTENSION: "延期",
    S.ESCALATED: "督办",
    S.REOPENED: "重办",
    S.MERGED: "重复件",
    S.REJECTED: "不予受理",
}
OPEN_STATES = frozenset(
    {S.SUBMITTED, S.ASSIGNED, S.SIGNED, S.IN_PROGRESS, S.TRIAGE, S.RETURNED, S.EXTENSION, S.ESCALATED, S.REOPENED}
)
# States in which the handler still owes the citizen an answer (deadlines and the ladder apply).
AWAITING_ANSWER = frozenset({S.ASSIGNED, S.SIGNED, S.IN_PROGRESS, S.EXTENSION, S.ESCALATED, S.REOPENED})
FINAL_STATES = frozenset({S.CLOSED, S.MERGED, S.REJECTED})
# States waiting for the citizen's rating.
RATING_STATES = frozenset({S.ANSWERED, S.RATING})
# States in which a case waits at the triage desk to be routed.
TRIAGE_STATES = frozenset({S.TRIAGE, S.RETURNED, S.SUBMITTED})
# States in which a case waits for its supervisor to act (the "new" count of a notice).
NEW_FOR_SUPERVISOR = frozenset({S.ASSIGNED, S.TRIAGE, S.REOPENED})

_HANDLING = ("assigned", "signed", "in_progress", "reopened", "escalated", "extension")

# action -> (allowed from-states, to-state). One table; nothing else decides what may happen to a case.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "route": (frozenset({"submitted", "triage", "returned"}), "assigned"),
    "to_triage": (frozenset({"submitted", "returned"}), "triage"),
    "sign": (frozenset({"assigned", "escalated", "reopened"}), "signed"),
    "ask": (frozenset({"signed", "in_progress", "reopened", "escalated", "extension"}), "in_progress"),
    "reply": (frozenset({"signed", "in_progress", "reopened", "escalated", "extension"}), "answered"),
    "request_rating": (frozenset({"answered"}), "rating"),
    "rate_satisfied": (frozenset({"rating", "answered"}), "closed"),
    "rate_unsatisfied": (frozenset({"rating", "answered"}), "reopened"),
    "close": (frozenset({"answered", "rating"}), "closed"),  # the rating period is over (checked by casework)
    "approve_close_early": (frozenset({"answered", "rating"}), "closed"),
    "return": (frozenset({"assigned", "signed", "in_progress"}), "returned"),
    "request_extension": (frozenset({"signed", "in_progress", "reopened", "escalated"}), "extension"),
    "approve_extension": (frozenset({"extension"}), "in_progress"),
    "reject_extension": (frozenset({"extension"}), "in_progress"),
    "escalate": (frozenset(_HANDLING), "escalated"),
    "merge": (frozenset(OPEN_STATES), "merged"),
    # A 重复件's citizen receives the main case's answer and is asked to rate it on their own case.
    "share_answer": (frozenset({"merged"}), "answered"),
    "reject": (frozenset({"submitted", "triage", "assigned", "returned"}), "rejected"),
}

# Steps that are audited and allowed only in some states but leave the state as it is (requests the office decides).
SIDE_STEPS: dict[str, frozenset[str]] = {
    "request_close_early": frozenset({"answered", "rating"}),
    "reject_close_early": frozenset({"answered", "rating"}),
}

ACTION_LABELS: dict[str, str] = {
    "submit": "受理",
    "route": "派单",
    "to_triage": "转分拣",
    "sign": "签收",
    "ask": "询问",
    "reply": "答复",
    "request_rating": "邀请评价",
    "rate_satisfied": "评价满意",
    "rate_unsatisfied": "评价不满意",
    "close": "办结",
    "request_close_early": "申请提前办结",
    "approve_close_early": "批准提前办结",
    "reject_close_early": "驳回提前办结",
    "share_answer": "转达主件答复",
    "deadline_change": "日历变更调整时限",
    "return": "退单",
    "request_extension": "申请延期",
    "approve_extension": "批准延期",
    "reject_extension": "驳回延期",
    "escalate": "督办",
    "merge": "合并",
    "reject": "不予受理",
    "reclassify": "改分类",
    "supplement": "补充",
    "citizen_answer": "市民回复",
    "reveal": "查看身份",
    "reveal_request": "申请查看身份",
    "reveal_approve": "批准查看身份",
    "reveal_decline": "驳回查看身份",
    "reveal_view": "查看身份",
    "overdue": "超期",
}


class IllegalTransition(ValueError):
    def __init__(self, state: str, action: str, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.action = action
        self.reason = reason


def transition(state: str, action: str) -> str:
    if action in SIDE_STEPS:
        allowed, target = SIDE_STEPS[action], state
    elif action in TRANSITIONS:
        allowed, target = TRANSITIONS[action]
    else:
        raise IllegalTransition(state, action, f"未知操作：{action}")
    if state not in allowed:
        label = ACTION_LABELS.get(action, action)
        raise IllegalTransition(state, action, f"工单当前状态为“{STATES.get(state, state)}”，不能{label}")
    return target


def can(state: str, action: str) -> bool:
    allowed = SIDE_STEPS.get(action) or TRANSITIONS.get(action, (frozenset(), ""))[0]
    return state in allowed
