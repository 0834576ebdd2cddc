"""What the citizen and the supervisors are told when a case moves: plain Chinese text and template fields.

Supervisor notices carry counts, a case number and a link only — never complaint text, names or numbers.
"""

from __future__ import annotations

from datetime import datetime
from datetime import tzinfo

from handlers.lifecycle import STATES


def _fmt(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _date(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%m月%d日").lstrip("0")


def citizen_text(
    action: str, number: str, *, tz: tzinfo, note: str | None = None, due: datetime | None = None
) -> str | None:
    """The message a citizen receives for a step of their case, or None when the step is internal."""
    if action == "sign":
        return f"您反映的事项（工单号 {number}）已由督办人员签收，正在办理，我们会及时告诉您进展。"
    if action == "reply":
        body = f"您反映的事项（工单号 {number}）有了答复：\n{note or ''}".rstrip()
        return body
    if action == "request_rating":
        return (
            f"请您对工单 {number} 的办理进行评价：\n"
            "一、问题解决情况：回复 1 已解决 / 2 部分解决 / 3 未解决\n"
            "二、工作人员作风：回复 A 满意 / B 基本满意 / C 不满意\n"
            "例如回复“1A”。您的评价将直接计入单位考核。"
        )
    if action == "ask":
        return f"关于您反映的事项（工单号 {number}），督办人员想向您了解：\n{note or ''}\n请直接回复本消息。"
    if action == "approve_extension":
        when = f"，新的答复期限为{_date(due, tz)}" if due else ""
        return f"您反映的事项（工单号 {number}）情况较复杂，经批准延期办理{when}。给您带来不便，敬请谅解。"
    if action in ("close", "rate_satisfied"):
        return f"您反映的事项（工单号 {number}）已办结。感谢您对治庸问责工作的支持！"
    if action == "rate_unsatisfied":
        return f"已收到您的评价。工单 {number} 将重新办理，治庸办会督促跟进。"
    if action == "reject":
        return f"很抱歉，您反映的事项（工单号 {number}）不属于本平台受理范围：{note or ''}".rstrip("：")
    if action == "merge":
        return f"您反映的事项（工单号 {number}）与其他市民反映的问题相同，已合并办理，结果会一并告诉您。"
    return None


def template_fields(number: str, state: str, note: str, at: datetime, tz: tzinfo) -> dict[str, str]:
    return {"kind": "case_update", "case_number": number, "state": STATES.get(state, state),
            "note": note[:20], "time": _fmt(at, tz)}  # fmt: skip


def supervisor_text(count_new: int, count_overdue: int, link: str, number: str | None = None) -> str:
    head = f"新工单 {number} 待签收。" if number else ""
    return f"{head}您当前有 {count_new} 件待签收、{count_overdue} 件超期工单，请登录督办台处理：{link}"


def supervisor_payload(text: str, count_new: int, count_overdue: int, link: str) -> dict[str, object]:
    """An outbox payload for a supervisor: the customer-service text and the template's counts and link only."""
    template = {"kind": "supervisor_notice", "count_new": count_new, "count_overdue": count_overdue, "link": link}
    return {"text": text, "template": template}
