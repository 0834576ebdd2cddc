"""Chinese words for every code staff pages would otherwise show: audit actions (the lifecycle's, the ladder's, the
watch's, the accountability half's), the console access log's actions and targets, and audit notes that carry
codes (a reclassification's categories, a related case's score). No page shows `relate`, `corruption → abuse` or
`view_evidence`: an unknown code reads as 其他操作 rather than as itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from handlers.ladder import STEP_LABELS
from handlers.lifecycle import ACTION_LABELS

EVENT_LABELS: dict[str, str] = {
    **ACTION_LABELS,
    **STEP_LABELS,
    "relate": "关联相似工单",
    "anonymise": "匿名化处理",
    "finding": "录入查实情况",
    "accountability": "录入问责处理",
    "finding_confirm": "确认查实与问责",
    "finding_return": "退回查实与问责",
    "verification": "录入核实整改情况",
    "verification_confirm": "确认核实与整改",
    "verification_return": "退回核实与整改",
    "appeal": "申诉误评",
    "appeal_upheld": "认定误评",
    "appeal_rejected": "维持原评价",
    "inspection_case": "暗访立案",
    "bulletin_draft": "起草通报",
    "bulletin_edit": "修改通报",
    "bulletin_approve": "审核发布通报",
    "bulletin_withdraw": "撤回通报",
}

STAFF_EVENT_LABELS: dict[str, str] = {
    "login": "登录",
    "login_failed": "登录失败",
    "login_throttled": "登录受限（失败次数过多）",
    "logout": "退出登录",
    "view_case": "查看工单",
    "view_evidence": "查看证据材料",
    "export": "导出",
    "route": "分拣派单",
    "reveal_request": "申请查看身份",
    "reveal_approve": "批准查看身份",
    "reveal_decline": "驳回查看身份",
    "reveal_view": "查看反映人身份",
    "staff_create": "新建账号",
    "staff_enable": "启用账号",
    "staff_disable": "停用账号",
    "staff_password": "重置密码",
    "not_found": "访问不存在或无权查看的工单",
    "forbidden": "越权访问被拒绝",
    "record_finding": "录入查实情况",
    "record_accountability": "录入问责处理",
    "outcome_confirm": "确认查实与问责",
    "outcome_return": "退回查实与问责",
    "view_unit": "查看单位档案",
    "view_dossier_list": "查看活档案目录",
    "view_dossier": "查看活档案",
    "dossier_entry": "录入活档案",
    "export_dossier": "导出活档案",
    "view_bulletin": "查看通报",
    "bulletin_draft": "起草通报",
    "bulletin_edit": "修改通报",
    "bulletin_approve": "审核发布通报",
    "bulletin_withdraw": "撤回通报",
    "view_surveys": "查看问卷列表",
    "view_survey": "查看问卷结果",
    "survey_create": "新建问卷",
    "survey_close": "结束问卷",
    "appeal": "申诉误评",
    "appeal_upheld": "认定误评",
    "appeal_rejected": "维持原评价",
    "view_inspection": "查看暗访记录",
    "record_inspection": "录入暗访记录",
    "inspection_case": "暗访立案",
    "view_inspection_photo": "查看暗访照片",
    "ranking_approve": "审定月度排名",
    "view_ranking": "查看月度排名",
}
TARGET_LABELS: dict[str, str] = {"ledger": "台帐", "digest": "周报", "all": "全部"}
UNKNOWN = "其他操作"

_RECLASSIFY = re.compile(r"^类别 ([a-z_]+) → ([a-z_]+)$")
_RELATE = re.compile(r"^(ZY\d{10}) (\d(?:\.\d+)?)$")


def event_label(action: str) -> str:
    return EVENT_LABELS.get(action, UNKNOWN)


def staff_event_label(action: str) -> str:
    """`act:sign` → 办理：签收; known actions by their words; anything else 其他操作."""
    if action.startswith("act:"):
        return "办理：" + EVENT_LABELS.get(action[4:], UNKNOWN)
    return STAFF_EVENT_LABELS.get(action, EVENT_LABELS.get(action, UNKNOWN))


def target_label(target: str | None) -> str:
    return "" if target is None else TARGET_LABELS.get(target, target)


def event_note(action: str, note: str | None, category_name: Callable[[str], str]) -> str | None:
    """An audit note as staff read it: codes in it (kept as written in the hash chain) become words."""
    if not note:
        return note
    if action == "reclassify" and (m := _RECLASSIFY.match(note)):
        return f"类别：{category_name(m.group(1))} → {category_name(m.group(2))}"
    if action == "relate" and (m := _RELATE.match(note)):
        return f"与工单 {m.group(1)} 内容相似（相似度 {float(m.group(2)):.0%}）"
    return note
