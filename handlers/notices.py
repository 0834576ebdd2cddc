"""What the citizen and the supervisors are told when a case moves: plain Chinese text and template fields.

Supervisor notices carry counts, a case number and a link only — never complaint text, names or numbers.
"""

from __future__ import annotations

from datetime import datetime
from datetime import tzinfo

from handlers.lifecycle import STATES
from handlers.masking import mask_text

NOTE_CHARS = 80  # of staff's note in a supervisor notice (the template text is capped at 300 characters)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _date(at: datetime, tz: tzinfo) -> str:
    return at.astimezone(tz).strftime("%m月%d日").lstrip("0")


def citizen_text(
    action: str, number: str, *, tz: tzinfo, note: str | None = None, due: datetime | None = None,
    kind: str = "complaint",
) -> str | None:  # fmt: skip
    """The message a citizen receives for a step of their case, or None when the step is internal.

    A review (a window's 差评) is told in its own words: 核实 and 整改, and at the end the 回访 that asks whether the
    citizen is satisfied with what was put right (answered like any rating: 1A … 3C, or one word)."""
    if kind == "review":
        text = _review_text(action, number, note)
        if text is not None:
            return text
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
    if action == "share_answer":
        return f"您反映的事项（工单号 {number}）与其他市民反映的问题已合并办理，现答复如下：\n{note or ''}".rstrip()
    if action in ("close", "rate_satisfied", "approve_close_early"):
        return f"您反映的事项（工单号 {number}）已办结。感谢您对治庸问责工作的支持！"
    if action == "rate_unsatisfied":
        return f"已收到您的评价。工单 {number} 将重新办理，治庸办会督促跟进。"
    if action == "reject":
        return f"很抱歉，您反映的事项（工单号 {number}）不属于本平台受理范围：{note or ''}".rstrip("：")
    if action == "merge":
        return f"您反映的事项（工单号 {number}）与其他市民反映的问题相同，已合并办理，结果会一并告诉您。"
    return None


def _review_text(action: str, number: str, note: str | None) -> str | None:
    about = f"您对窗口服务的评价（工单号 {number}）"
    if action == "sign":
        return f"{about}已由督办人员签收，正在核实整改，我们会及时告诉您结果。"
    if action == "reply":
        return f"{about}已核实整改，情况如下：\n{note or ''}".rstrip()
    if action == "request_rating":
        done = f"整改情况：{note}\n" if note else ""
        return (
            f"回访：{about}已整改。\n{done}请问您对现在的整改结果是否满意？\n"
            "一、问题是否解决：回复 1 已解决 / 2 部分解决 / 3 未解决\n"
            "二、对整改结果：回复 A 满意 / B 基本满意 / C 不满意\n"
            "例如回复“1A”。您的回复只用于回访，不会告诉被评价的单位。"
        )
    if action in ("close", "rate_satisfied", "approve_close_early"):
        return f"{about}已整改办结。感谢您的监督！"
    if action == "rate_unsatisfied":
        return f"已收到您的回访意见。工单 {number} 将重新整改，治庸办会督促跟进。"
    return None


# Steps whose citizen text is an instruction for the WeChat chat ("reply 1A"): a case filed through another channel
# (Open311) keeps its last note (the answer) instead; that platform collects the rating its own way.
WECHAT_ONLY = frozenset({"request_rating"})


def template_fields(number: str, state: str, note: str, at: datetime, tz: tzinfo) -> dict[str, str]:
    return {"kind": "case_update", "case_number": number, "state": STATES.get(state, state),
            "note": note[:20], "time": _fmt(at, tz)}  # fmt: skip


# What a supervisor notice is, by the reason it was raised. Each kind has its own words and its own template label,
# so a 催办 never reads like a new case (RELIABILITY: notices say what they are).
NOTICE_KINDS: dict[str, str] = {
    "new": "新派单",
    "sign_urge": "催办",
    "answer_remind": "催办",
    "answer_urge": "催办",
    "answer_supervise": "督办",
    "escalate": "督办",
    "reopened": "重办",
    "citizen": "市民补充",
    "extension": "延期批复",
    "extension_request": "延期申请",
    "close_request": "办结申请",
    "close_decision": "办结批复",
    "digest": "周报",
    "hot_spot": "热点预警",
    "security": "安全提醒",
    "praise": "表扬",
    "suggestion": "意见建议",
    "discipline": "纪检件知会",
    "appeal": "误评申诉",
    "appeal_decision": "申诉结果",
}


def notice_kind(reason: str) -> str:
    """The kind of a notice raised for `reason` (a ladder step, a lifecycle reason, "answer12" for a citizen's reply)."""
    if reason.startswith("answer") and reason[6:].isdigit():
        return NOTICE_KINDS["citizen"]
    return NOTICE_KINDS.get(reason, "工单提醒")


def supervisor_text(
    reason: str, count_new: int, count_overdue: int, link: str, number: str | None = None, note: str | None = None
) -> str:
    """A handler's notice: what happened to which case, their counts, and the link. Never complaint text.

    `note` is staff's own words (a 督办要求, a decision); it is masked and cut short, so a notice stays a notice."""
    kind = notice_kind(reason)
    if note:
        note = _short(mask_text(" ".join(note.split())), NOTE_CHARS)
    tail = f"您当前有 {count_new} 件待处理、{count_overdue} 件超期工单。请登录督办台处理：{link}"
    case = f"工单 {number}" if number else "工单"
    head = {
        "new": f"【新派单】{case} 已派给您，请及时签收。",
        "sign_urge": f"【催办】{case} 签收已超时，请立即签收。",
        "answer_remind": f"【催办】{case} 即将到答复期限，请抓紧办理。",
        "answer_urge": f"【催办】{case} 已到答复期限，请尽快答复市民。",
        "answer_supervise": f"【督办】{case} 已超期，治庸办已督办，请立即办理并答复。",
        "escalate": f"【督办】治庸办对{case} 督办" + (f"，督办要求：{note}" if note else "") + "。",
        "close_request": f"【办结申请】{case} 申请在市民评价前提前办结，请审批。",
        "close_decision": f"【办结批复】{case} 的提前办结申请" + (f"：{note}" if note else "已处理") + "。",
        "reopened": f"【重办】市民对{case} 的办理不满意，已重新交办，请重新核实处理。",
        "extension": f"【延期批复】{case} 的延期申请" + (f"：{note}" if note else "已处理") + "。",
        "extension_request": f"【延期申请】{case} 申请延期" + (f" {note}" if note else "") + "，请审批。",
        "praise": f"【表扬】市民提交了一条表扬（{case}），已记入服务评价。",
        "suggestion": f"【意见建议】市民提交了一条意见建议（{case}），请查阅。",
        "appeal": f"【误评申诉】{case} 所涉窗口差评有单位申诉误评，请在督办台“误评申诉”中认定。",
        "appeal_decision": f"【申诉结果】{case} 所涉窗口差评的误评申诉" + (f"：{note}" if note else "已处理") + "。",
        "discipline": f"【纪检件知会】{case} 涉及吃拿卡要，已由纪委监委牵头办理，请同步跟踪。",
    }.get(reason)
    if head is None:
        head = f"【{kind}】{case} 有新情况" + (f"：{note}" if note else "") + "。"
    return head + tail


def unit_head_text(reason: str, unit_name: str, count_due: int, count_overdue: int, link: str) -> str:
    """What the head of a unit hears: how many of the unit's reports need pushing, never which ones (their unit may
    be the one reported: no case numbers, no text, no link to a case)."""
    kind = notice_kind(reason)
    return (f"【{kind}】{unit_name}有 {count_due} 件群众反映已到答复期限、{count_overdue} 件已超期，请督促本单位"
            f"抓紧办理。统计详情：{link}")  # fmt: skip


def supervisor_payload(
    text: str, count_new: int, count_overdue: int, link: str, notice: str = "工单提醒"
) -> dict[str, object]:
    """An outbox payload for a supervisor: the customer-service text, and the template's notice kind, counts and link
    only (`notice` is one of NOTICE_KINDS' labels)."""
    template = {"kind": "supervisor_notice", "notice": notice, "count_new": count_new, "count_overdue": count_overdue,
                "link": link}  # fmt: skip
    return {"text": text, "template": template}
