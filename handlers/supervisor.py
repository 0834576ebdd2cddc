"""Supervisors' WeChat commands: parsing and the replies; scope and transitions are checked by the caller.

绑定 <code> · 待办 · 签收 ZY… · 回复 ZY… <答复> · 询问 ZY… <问题> · 退单 ZY… <理由> · 延期 ZY… <天数> <理由> ·
办结 ZY… <理由>. A case is 办结 by the citizen's rating or at the end of the rating period; before that, 办结 with a
reason asks the office to approve an early close (`handlers.dispatch` turns it into `request_close_early`).
· 查实 ZY… <属实|部分属实|不属实|无法核实> 整改：<措施> · 问责 ZY… <方式> <岗位>[；…] (`handlers.accountability`)
· 核实 ZY… <属实|…> 整改：<整改情况> (a review case's 差评, in its words) · 申诉 ZY… <理由> (a 误评 appeal of the
差评 behind a review case; the office decides, `handlers.ratings`)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers import accountability as acc
from handlers import binding

CASE_NO = r"(ZY\d{10})"
LISTED = "#"  # a Command number "#2" stands for the second case of the 待办 list
_WS = r"[\s\u3000:：,，]+"

# command word -> (lifecycle action, needs text, needs days)
ACTIONS: dict[str, tuple[str, bool, bool]] = {
    "签收": ("sign", False, False),
    "回复": ("reply", True, False),
    "答复": ("reply", True, False),
    "询问": ("ask", True, False),
    "退单": ("return", True, False),
    "延期": ("request_extension", True, True),
    "办结": ("close", False, False),  # a request to the office while the citizen's rating is awaited
}

APPEAL_HELP = "申诉 ZY… 理由 —— 窗口差评整改工单：认为差评是误评时申诉，由治庸办认定"
HELP = (
    "督办指令：\n"
    "待办 —— 查看我的待办工单\n"
    "签收 ZY… —— 签收工单\n"
    "回复 ZY… 答复内容 —— 答复市民\n"
    "询问 ZY… 问题 —— 通过平台向市民了解情况\n"
    "退单 ZY… 理由 —— 退回分拣\n"
    "延期 ZY… 天数 理由 —— 申请延期（治庸办审批）\n"
    "办结 ZY… 理由 —— 市民评价前申请提前办结（治庸办审批；市民评价后自动办结）\n"
    f"{acc.FINDING_HELP}\n"
    f"{acc.ACCOUNTABILITY_HELP}\n"
    f"{acc.REVIEW_HELP}\n"
    f"{APPEAL_HELP}"
)
# command word -> what it records (not a lifecycle step: the case's state does not change); 核实 is 查实 in a
# review's words
RECORDS = {"查实": "finding", "核实": "finding", "问责": "accountability"}
APPEAL_WORD = "申诉"


@dataclass(frozen=True, slots=True)
class Command:
    name: str  # bind | todo | help | action | finding | accountability | appeal
    action: str | None = None
    number: str | None = None
    text: str | None = None
    days: int | None = None
    error: str | None = None
    # finding: an acc.FindingInput; accountability: a tuple of acc.MeasureInput
    record: acc.FindingInput | tuple[acc.MeasureInput, ...] | None = None


def parse(text: str) -> Command:
    """Parse a bound supervisor's message; anything unrecognised is `help`, never a complaint."""
    stripped = text.strip()
    if stripped in ("待办", "我的待办", "待办工单"):
        return Command("todo")
    code = binding.parse_bind(stripped)
    if code:
        return Command("bind", text=code)
    for word, kind in RECORDS.items():
        if stripped.startswith(word):
            return _record(kind, word, stripped[len(word) :].strip(" \u3000:："))
    if stripped.startswith(APPEAL_WORD):
        return _appeal(stripped[len(APPEAL_WORD) :].strip(" \u3000:："))
    for word, (action, needs_text, needs_days) in ACTIONS.items():
        if not stripped.startswith(word):
            continue
        rest = stripped[len(word) :].strip(" \u3000:：")
        m = re.match(CASE_NO + r"(.*)$", rest.upper() if rest[:2].upper() == "ZY" else rest, re.S)
        listed = re.match(r"(\d{1,2})(?=$|[\s\u3000:：,，])", rest) if not m else None
        if not m and not listed:
            return Command("action", action, error=f"请在“{word}”后写上工单号或待办序号，例如：{word} ZY2611270001")
        # "签收 1": the first case of the 待办 list (the caller resolves LISTED + n against the same list).
        number = m.group(1).upper() if m else LISTED + listed.group(1)  # type: ignore[union-attr]
        tail = rest[len(m.group(1) if m else listed.group(1)) :].strip(" \u3000:：,，")  # type: ignore[union-attr]
        days = None
        if needs_days:
            dm = re.match(r"(\d{1,2})\s*天?" + r"[\s\u3000:：,，]*(.*)$", tail, re.S)
            if not dm or not 1 <= int(dm.group(1)) <= 30:
                return Command(
                    "action", action, number, error=f"请写明延期天数（1–30）和理由，例如：延期 {number} 5 需要现场核查"
                )
            days, tail = int(dm.group(1)), dm.group(2).strip()
        if needs_text and not tail:
            return Command("action", action, number, error=f"请在工单号后写上内容，例如：{word} {number} ……")
        return Command("action", action, number, text=tail or None, days=days)
    return Command("help")


def _record(kind: str, word: str, rest: str) -> Command:
    m = re.match(CASE_NO + r"(.*)$", rest[:2].upper() + rest[2:] if rest[:2].upper() == "ZY" else rest, re.S)
    if not m:
        example = f"{word} ZY2611270001 属实 整改：……" if kind == "finding" else "问责 ZY2611270001 诫勉谈话 窗口负责人"
        return Command(kind, error=f"请在“{word}”后写上工单号，例如：{example}")
    number = m.group(1).upper()
    try:
        record: acc.FindingInput | tuple[acc.MeasureInput, ...] = (
            acc.parse_finding(m.group(2), "review" if word == "核实" else "complaint")
            if kind == "finding"
            else tuple(acc.parse_measures(m.group(2)))
        )
    except acc.RecordError as exc:
        return Command(kind, number=number, error=str(exc))
    return Command(kind, number=number, record=record)


def _appeal(rest: str) -> Command:
    m = re.match(CASE_NO + r"(.*)$", rest[:2].upper() + rest[2:] if rest[:2].upper() == "ZY" else rest, re.S)
    if not m:
        return Command(
            "appeal", error="请在“申诉”后写上差评整改工单号和理由，例如：申诉 ZY2611270001 当日该窗口暂停服务"
        )
    reason = m.group(2).strip(" \u3000:：,，")
    if not reason:
        return Command("appeal", number=m.group(1).upper(), error="请在工单号后写明申诉理由")
    return Command("appeal", number=m.group(1).upper(), text=reason)
