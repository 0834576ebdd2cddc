"""The case lifecycle as one transition table (the 12345 hotline's closed loop).

`transition(state, action)` returns the next state or raises `IllegalTransition` with a reason in Chinese that
can be shown to the person who tried.
"""

from __future__ import annotations

STATES: dict[str, str] = {
    "submitted": "已受理",
    "assigned": "已派单",
    "signed": "已签收",
    "in_progress": "办理中",
    "answered": "已答复",
    "rating": "待回访",
    "closed": "已办结",
    "triage": "待分拣",
    "returned": "退单",
    "extension": "延期",
    "escalated": "督办",
    "reopened": "重办",
    "merged": "重复件",
    "rejected": "不予受理",
}
OPEN_STATES = frozenset(
    {"submitted", "assigned", "signed", "in_progress", "triage", "returned", "extension", "escalated", "reopened"}
)
# States in which the handler still owes the citizen an answer (deadlines and the ladder apply).
AWAITING_ANSWER = frozenset({"assigned", "signed", "in_progress", "extension", "escalated", "reopened"})
FINAL_STATES = frozenset({"closed", "merged", "rejected"})

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
    "close": (frozenset({"answered", "rating"}), "closed"),
    "return": (frozenset({"assigned", "signed", "in_progress"}), "returned"),
    "request_extension": (frozenset({"signed", "in_progress", "reopened", "escalated"}), "extension"),
    "approve_extension": (frozenset({"extension"}), "in_progress"),
    "reject_extension": (frozenset({"extension"}), "in_progress"),
    "escalate": (frozenset(_HANDLING), "escalated"),
    "merge": (frozenset(OPEN_STATES), "merged"),
    "reject": (frozenset({"submitted", "triage", "assigned", "returned"}), "rejected"),
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
    "overdue": "超期",
}


class IllegalTransition(ValueError):
    def __init__(self, state: str, action: str, reason: str) -> None:
        super().__init__(reason)
        self.state = state
        self.action = action
        self.reason = reason


def transition(state: str, action: str) -> str:
    try:
        allowed, target = TRANSITIONS[action]
    except KeyError:
        raise IllegalTransition(state, action, f"未知操作：{action}") from None
    if state not in allowed:
        label = ACTION_LABELS.get(action, action)
        raise IllegalTransition(state, action, f"工单当前状态为“{STATES.get(state, state)}”，不能{label}")
    return target


def can(state: str, action: str) -> bool:
    allowed, _ = TRANSITIONS.get(action, (frozenset(), ""))
    return state in allowed
