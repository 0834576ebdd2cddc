"""Recording what a case found and who was held to account, and the office's review of both.

The handler records (WeChat `查实`/`问责`, or the case page's form); the office confirms or sends back, never what it
recorded itself. Each step is an audit event on the case (hash-chained); a confirmed 问责 that names an official's
post goes on that official's 活档案 (`bot.service.dossier`). The rules are `handlers.accountability`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import dossier
from bot.service.notify import notify_supervisor
from handlers import accountability as acc
from handlers.masking import mask_text
from storage import accountability as repo
from storage import cases as cases_repo
from storage.models import Case


def _refuse_unless_recordable(case: Case) -> None:
    if not acc.may_record(case.state):
        raise acc.RecordError(f"签收后至办结前才能记录{acc.words(case.kind).pair}情况")


def _action(case: Case, action: str) -> str:
    """The audit action: a review's 核实 is written as `verification…` so its timeline reads 核实, not 查实."""
    return action.replace("finding", "verification") if case.kind == "review" else action


def _reporter_strings(session: orm.Session, case: Case) -> list[str]:
    contact = cases_repo.contact(session=session, case_id=case.id)
    if contact is None:
        return []
    return [s for s in (contact.real_name, contact.phone) if s and len(s) >= 2]


def record_finding(session: orm.Session, rt: Runtime, case: Case, finding: acc.FindingInput, *, actor: str,
                   now: datetime) -> None:  # fmt: skip
    """:raises acc.RecordError:"""
    _refuse_unless_recordable(case)
    w = acc.words(case.kind)
    checked = acc.check_finding(finding.verdict, finding.measures, case.kind)
    repo.save_finding(session=session, case_id=case.id, verdict=checked.verdict, measures=checked.measures,
                      actor=actor, now=now)  # fmt: skip
    note = f"{w.finding}：{acc.VERDICTS[checked.verdict]}" + (f"；{w.measures}：{checked.measures}" if checked.measures
                                                              else "")  # fmt: skip
    cases_repo.append_event(session=session, case=case, at=now, actor=actor, action=_action(case, "finding"),
                            from_state=case.state, to_state=case.state, note=mask_text(note))  # fmt: skip


def record_measures(session: orm.Session, rt: Runtime, case: Case, items: Sequence[acc.MeasureInput], *,
                    actor: str, now: datetime) -> None:  # fmt: skip
    """:raises acc.RecordError: (also when a post holds the reporter's name or phone)"""
    _refuse_unless_recordable(case)
    checked = acc.check_measures([(m.measure, m.post) for m in items], forbidden=_reporter_strings(session, case))
    city = rt.settings.city
    rows = []
    for m in checked:
        official = acc.official_for_post(city, case.respondent_unit, m.post) if m.measure != "none" else None
        rows.append((m.measure, m.post, official.id if official else None))
    repo.add_records(session=session, case_id=case.id, unit=case.respondent_unit, items=rows, actor=actor, now=now)
    note = "问责处理：" + "；".join(acc.describe(m.measure, m.post) for m in checked)
    cases_repo.append_event(session=session, case=case, at=now, actor=actor, action="accountability",
                            from_state=case.state, to_state=case.state, note=note)  # fmt: skip


def review(session: orm.Session, rt: Runtime, case: Case, *, confirm: bool, actor: str, now: datetime,
           note: str | None = None) -> str:  # fmt: skip
    """The office confirms, or sends back with a reason, what waits on this case. Returns a message for the viewer.

    :raises acc.RecordError: nothing waits, no reason for sending back, or the reviewer recorded it themselves.
    """
    waiting = repo.pending_recorders(session=session, case_id=case.id)
    if not waiting:
        raise acc.RecordError("该工单没有待确认的查实或问责情况")
    if actor in waiting:
        raise acc.RecordError("不能确认或退回自己录入的查实和问责情况，请由另一位治庸办人员审核")
    reason = " ".join((note or "").split())
    if not confirm and not reason:
        raise acc.RecordError("请写明退回理由")
    if len(reason) > acc.MAX_RETURN_NOTE:
        raise acc.RecordError(f"理由过长（最多 {acc.MAX_RETURN_NOTE} 字）")
    found, records = repo.review(session=session, case_id=case.id, confirm=confirm, actor=actor, now=now,
                                 note=reason or None)  # fmt: skip
    parts = []
    if found is not None:
        parts.append(f"{acc.words(case.kind).finding}（{acc.VERDICTS.get(found.verdict, found.verdict)}）")
    if records:
        parts.append("问责处理 " + "；".join(acc.describe(r.measure, r.post) for r in records))
    what = "、".join(parts)
    if confirm:
        cases_repo.append_event(session=session, case=case, at=now, actor=actor, action=_action(case, "finding_confirm"),
                                from_state=case.state, to_state=case.state, note=f"确认：{what}")  # fmt: skip
        dossier.on_accountability(session, rt, case, records, now)
        return f"已确认{what}。"
    cases_repo.append_event(session=session, case=case, at=now, actor=actor, action=_action(case, "finding_return"),
                            from_state=case.state, to_state=case.state, note=mask_text(f"退回：{what}。理由：{reason}"))  # fmt: skip
    for a in cases_repo.assignees(session=session, case_id=case.id):
        notify_supervisor(session, rt, case, a.supervisor_id, now, reason="finding_return")
    return f"已退回{what}，承办督办员将重新录入。"


def outcome(session: orm.Session, rt: Runtime, case: Case) -> dict[str, Any]:
    """`finding` and `accountability` as `case show --json` prints them: None until recorded; text masked."""
    found = repo.finding(session=session, case_id=case.id)
    finding = None
    if found is not None:
        finding = {
            "verdict": found.verdict,
            "verdict_label": acc.VERDICTS.get(found.verdict, found.verdict),
            "measures": mask_text(found.measures) if found.measures else None,
            "status": found.status,
            "recorded_by": found.recorded_by,
            "recorded_at": found.recorded_at.isoformat(),
            "reviewed_by": found.reviewed_by,
            "reviewed_at": found.reviewed_at.isoformat() if found.reviewed_at else None,
            "review_note": mask_text(found.review_note) if found.review_note else None,
        }
    records = repo.records(session=session, case_id=case.id)
    accountability = None
    if records:
        accountability = [
            {
                "measure": r.measure,
                "measure_label": acc.MEASURES.get(r.measure, r.measure),
                "post": r.post,
                "unit": r.unit,
                "official": r.official_id,
                "status": r.status,
                "recorded_by": r.recorded_by,
                "recorded_at": r.recorded_at.isoformat(),
                "reviewed_by": r.reviewed_by,
            }
            for r in records
        ]
    return {"finding": finding, "accountability": accountability}
