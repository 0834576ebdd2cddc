"""The demo city's accountability half: findings and 问责 on some of its finished cases (confirmed by a second office
account, so the officials' 活档案 fill), one approved 公开通报 and a 民主测评 round — through the same services the
console uses. Development only; run by `demo seed` after the demo logins exist, once per seed.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import accountability
from bot.service import dossier
from handlers import bulletin as bulletin_rules
from handlers.accountability import FindingInput
from handlers.accountability import MeasureInput
from storage import bulletins as bulletins_repo
from storage import cases as cases_repo
from storage import staff as staff_repo
from storage.models import AccountabilityRecord
from storage.models import Bulletin
from storage.models import Case
from storage.models import CaseFinding
from storage.models import DossierEntry

RECORDER = "staff:office2"  # a second office account confirms what the desk (sup_triage) records
# (verdict, 整改措施, [(measure, post)]) for the first finished cases of these units, in order.
OUTCOMES = {
    "bdc": [("verified", "对3号窗口工作人员批评教育，窗口实行首问负责和一次性告知", [("criticism", "3号窗口工作人员"),
                                                                ("admonition", "分管副主任")]),
            ("partly", "完善预约叫号流程，增设导办岗", [("self_review", "窗口负责人")])],
    "gaj": [("verified", "对户籍室民警通报批评，上班时间手机统一保管", [("circulated", "户籍室民警")])],
    "cgs": [("unfounded", None, [("none", None)])],
}  # fmt: skip


def _finished(session: orm.Session, unit: str, limit: int) -> list[Case]:
    stmt = (
        sa.select(Case)
        .where(Case.respondent_unit == unit, Case.state == "closed", Case.answered_at.is_not(None))
        # The latest finished cases: the unit's page and the 12-week views show the last twelve weeks from the
        # Monday of this week, so the earliest cases of a 12-week history fall out of them on some weekdays.
        .order_by(Case.closed_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def seed(rt: Runtime, case_ids: set[int], now: datetime) -> str:
    """Record, confirm and publish on the demo's own cases (`case_ids`); returns a line for `demo seed`."""
    held = published = 0
    with rt.db.transaction() as session:
        desk = staff_repo.by_username(session=session, username="sup_triage")
        second = staff_repo.by_username(session=session, username="office2")
        first_bad: Case | None = None
        for unit, outcomes in OUTCOMES.items():
            cases = [c for c in _finished(session, unit, 20) if c.id in case_ids][: len(outcomes)]
            for case, (verdict, measures, items) in zip(cases, outcomes, strict=False):
                at = (case.closed_at or now) + timedelta(hours=2)
                accountability.record_finding(session, rt, case, FindingInput(verdict, measures), actor="sup_triage",
                                              now=at)  # fmt: skip
                accountability.record_measures(session, rt, case, [MeasureInput(m, p) for m, p in items],
                                               actor="sup_triage", now=at)  # fmt: skip
                accountability.review(session, rt, case, confirm=True, actor=RECORDER, now=at + timedelta(hours=1))
                held += sum(1 for m, _ in items if m != "none")
                if first_bad is None and verdict == "verified":
                    first_bad = case
        if first_bad is not None and desk is not None and second is not None:
            published += _publish(session, rt, first_bad, desk.id, second.id, now)
        for unit in ("bdc", "gaj"):
            dossier.record_unit_assessment(session, rt, unit=unit, on_date=(now - timedelta(days=20)).date(),
                                           title="2026年第四季度民主测评", result="满意 82%，基本满意 14%，不满意 4%（有效票 96 张）",
                                           ref=f"demo-{unit}-2026q4", now=now)  # fmt: skip
    return f"查实问责：已确认 {held} 人次；公开通报 {published} 篇；民主测评已记入活档案"


def _publish(session: orm.Session, rt: Runtime, case: Case, drafter: int, approver: int, now: datetime) -> int:
    from bot.console.bulletins import facts
    from bot.console.bulletins import reporter_strings
    from bot.console.bulletins import staff_names

    title, body = bulletin_rules.draft(facts(session, rt, case), "bad")
    names, remove = staff_names(session, rt, case), reporter_strings(session, case)
    row = bulletins_repo.add(session=session, case_id=case.id, tone="bad",
                             title=bulletin_rules.scrub(title, names=names, remove=remove),
                             body=bulletin_rules.scrub(body, names=names, remove=remove), unit=case.respondent_unit,
                             staff_id=drafter, now=now - timedelta(hours=3))  # fmt: skip
    row.status, row.approved_by, row.approved_at = bulletins_repo.APPROVED, approver, now - timedelta(hours=2)
    for action, actor, at in (("bulletin_draft", "sup_triage", row.drafted_at),
                              ("bulletin_approve", RECORDER, now - timedelta(hours=2))):  # fmt: skip
        cases_repo.append_event(session=session, case=case, at=at, actor=actor, action=action, from_state=case.state,
                                to_state=case.state, note=f"通报 #{row.id}")  # fmt: skip
    return 1


def remove(session: orm.Session, case_ids: list[int]) -> None:
    """Before the demo's cases go: their findings, 问责, 通报, and the automatic 活档案 entries they caused (督办, 超期,
    问责) and the demo's 民主测评 round. What the 组织部 entered by hand stays."""
    ids = {str(i) for i in case_ids}
    records = {f"accountability:{r}" for r in session.scalars(
        sa.select(AccountabilityRecord.id).where(AccountabilityRecord.case_id.in_(case_ids)))}  # fmt: skip
    doomed = [
        i for i, ref in session.execute(sa.select(DossierEntry.id, DossierEntry.ref).where(DossierEntry.origin == "auto"))
        if ref and (ref in records or ref.startswith("assessment:demo-")
                    or (ref.split(":")[0] in ("escalate", "overdue") and ref.split(":")[1] in ids))
    ]  # fmt: skip
    if doomed:
        session.execute(sa.delete(DossierEntry).where(DossierEntry.id.in_(doomed)))
    for model in (CaseFinding, AccountabilityRecord, Bulletin):
        session.execute(sa.delete(model).where(model.case_id.in_(case_ids)))  # type: ignore[attr-defined]
