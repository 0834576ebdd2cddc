"""One case as a row of the ledger's (台帐) case sheet: the columns, their widths, and every value, staff-visible
text masked (`handlers.masking.mask_text`). `bot.console.ledger` writes the workbook."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.console.present import Presenter
from bot.console.present import masked
from bot.console.present import rating_label
from bot.console.present import state_label
from bot.runtime import Runtime
from handlers import accountability as acc
from handlers.deadlines import overdue_working_days
from handlers.lifecycle import CaseState
from handlers.overdue import is_overdue
from storage.ledger_rows import LedgerExtras
from storage.models import Case

CASE_COLUMNS: Sequence[tuple[str, int]] = (
    ("序号", 6), ("工单号", 15), ("受理时间", 17), ("被反映单位", 22), ("窗口", 7), ("类别", 9), ("状态", 8),
    ("渠道", 10), ("承办督办员", 12), ("是否纪检件", 8), ("发生时间", 16), ("地点", 18), ("实名/匿名", 8),
    ("签收时限", 17), ("签收时间", 17), ("答复时限", 17), ("答复时间", 17), ("办结时间", 17), ("是否超期", 8),
    ("超期天数", 8), ("督办次数", 7), ("延期次数", 7), ("退单次数", 7), ("重办次数", 7), ("评价", 14),
    ("反映内容（已脱敏）", 60), ("答复内容", 40), ("查实情况", 12), ("问责处理", 30), ("整改措施", 30),
    ("不予受理理由", 24),
)  # fmt: skip
# Long text: wrapped in its cell.
WRAPPED = frozenset({"反映内容（已脱敏）", "答复内容", "问责处理", "整改措施", "不予受理理由", "地点", "发生时间"})
_UNFINISHED_WITHOUT_ANSWER = (CaseState.MERGED, CaseState.REJECTED)


def _local(rt: Runtime, at: datetime | None) -> datetime | None:
    # Excel has no time zones: write Beijing wall-clock time, which is what the meeting reads.
    return None if at is None else at.astimezone(rt.tz).replace(tzinfo=None)


def _occurred(case: Case) -> str | None:
    parts = [masked(case.occurred_text) if case.occurred_text else "",
             case.occurred_on.isoformat() if case.occurred_on else ""]  # fmt: skip
    text = "（".join(p for p in parts if p) + ("）" if all(parts) else "")
    return text or None


def _place(case: Case) -> str | None:
    if not case.location:
        return None
    return masked(case.location.get("label")) or "已附位置"


def _finding(extra: LedgerExtras) -> str | None:
    f = extra.finding
    if f is None:
        return None
    label = acc.VERDICTS.get(f.verdict, f.verdict)
    return label if f.status == "confirmed" else f"{label}（{acc.STATUS_LABELS.get(f.status, f.status)}）"


def _accountability(rt: Runtime, extra: LedgerExtras) -> str | None:
    if not extra.records:
        return None
    return "；".join(
        acc.describe(r.measure, r.post) + ("" if r.status == "confirmed" else f"（{acc.STATUS_LABELS[r.status]}）")
        for r in extra.records
    )


CHANNEL_WORDS = {"wechat": "微信", "open311": "Open311", "inspection": "明查暗访"}


def overdue_days(rt: Runtime, case: Case, now: datetime) -> float:
    finished = case.closed_at or (case.updated_at if case.state in _UNFINISHED_WITHOUT_ANSWER else None)
    days = overdue_working_days(case.answer_due, answered_at=case.answered_at, finished_at=finished, now=now,
                                calendar=rt.calendar)  # fmt: skip
    return round(days, 1)


def is_discipline_case(rt: Runtime, extra: LedgerExtras) -> bool:
    """纪检件: the discipline commission has (or had) the case — as the lead handler (吃拿卡要, `handlers.routing`)
    or, for cases routed before it led, beside the unit's supervisor."""
    body = rt.settings.city.discipline_code
    return extra.discipline or (
        body is not None and any(s.member_of == body for s in rt.settings.city.supervisors if s.id in extra.assignees)
    )


def case_row(rt: Runtime, p: Presenter, index: int, case: Case, extra: LedgerExtras, now: datetime) -> list[Any]:
    """One ledger row; `now` is the moment 超期 is judged at (the period's end, or now while it runs)."""
    f = extra.finding
    return [
        index, case.number, _local(rt, case.created_at), p.unit(case.respondent_unit), masked(case.window) or None,
        p.category(case.category), state_label(case.state), CHANNEL_WORDS.get(case.channel, case.channel),
        "、".join(p.actor(s) for s in extra.handlers) or None, "是" if is_discipline_case(rt, extra) else "否", _occurred(case),
        _place(case), "匿名" if case.anonymous else "实名", _local(rt, case.sign_due), _local(rt, case.signed_at),
        _local(rt, case.answer_due), _local(rt, case.answered_at), _local(rt, case.closed_at),
        "是" if is_overdue(case.state, case.answer_due, now) else "否", overdue_days(rt, case, now), extra.escalations, extra.extensions,
        extra.returns, extra.reopenings, rating_label(case), masked(case.text),
        masked(extra.answer) if extra.answer else None, _finding(extra), _accountability(rt, extra),
        masked(f.measures) if f is not None and f.measures and f.status != "returned" else None,
        masked(extra.reject_reason) if extra.reject_reason else None,
    ]  # fmt: skip
