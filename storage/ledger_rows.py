"""What the ledger (台帐) adds to each case row, read for a page of cases at once: how often it was escalated,
extended, returned and reopened, who handles it, whether the discipline commission has it, the last answer, the
reason it was not accepted, its finding and 问责. A few grouped queries, whatever the number of cases. Never commits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

import sqlalchemy as sa
from sqlalchemy import orm

from storage import accountability as acc_repo
from storage.models import AccountabilityRecord
from storage.models import Assignment
from storage.models import CaseEvent
from storage.models import CaseFinding
from storage.models import CaseMessage

# Audit actions the ledger counts, by column.
COUNTED = {"escalate": "escalations", "request_extension": "extensions", "return": "returns",
           "rate_unsatisfied": "reopenings"}  # fmt: skip


@dataclass
class LedgerExtras:
    escalations: int = 0
    extensions: int = 0
    returns: int = 0
    reopenings: int = 0
    handlers: list[str] = field(default_factory=list)  # supervisor ids, handler role, latest assignment last
    discipline: bool = False  # an assignment in the discipline role (cases routed before 纪委监委 led)
    assignees: set[str] = field(default_factory=set)  # every supervisor ever assigned, any role
    answer: str | None = None  # the latest answer to the citizen (raw: the caller masks it)
    reject_reason: str | None = None
    finding: CaseFinding | None = None
    records: list[AccountabilityRecord] = field(default_factory=list)


def extras(*, session: orm.Session, case_ids: Sequence[int]) -> dict[int, LedgerExtras]:
    out = {cid: LedgerExtras() for cid in case_ids}
    if not out:
        return out
    ids = list(out)
    counted: Counter[tuple[int, str]] = Counter()
    stmt = (
        sa.select(CaseEvent.case_id, CaseEvent.action, sa.func.count())
        .where(CaseEvent.case_id.in_(ids), CaseEvent.action.in_(list(COUNTED)))
        .group_by(CaseEvent.case_id, CaseEvent.action)
    )
    for case_id, action, n in session.execute(stmt):
        counted[(case_id, action)] = int(n)
    for (case_id, action), n in counted.items():
        setattr(out[case_id], COUNTED[action], n)
    reasons = session.execute(
        sa.select(CaseEvent.case_id, CaseEvent.note)
        .where(CaseEvent.case_id.in_(ids), CaseEvent.action == "reject")
        .order_by(CaseEvent.case_id, CaseEvent.seq)
    )
    for case_id, note in reasons:
        out[case_id].reject_reason = note
    answers = session.execute(
        sa.select(CaseMessage.case_id, CaseMessage.body)
        .where(CaseMessage.case_id.in_(ids), CaseMessage.direction == "staff", CaseMessage.kind == "answer")
        .order_by(CaseMessage.case_id, CaseMessage.id)
    )
    for case_id, body in answers:
        out[case_id].answer = body
    assigned = session.execute(
        sa.select(Assignment.case_id, Assignment.supervisor_id, Assignment.role, Assignment.active)
        .where(Assignment.case_id.in_(ids))
        .order_by(Assignment.case_id, Assignment.id)
    )
    for case_id, supervisor_id, role, active in assigned:
        extra = out[case_id]
        extra.assignees.add(supervisor_id)
        if role == "discipline":
            extra.discipline = True
        elif role == "handler" and active and supervisor_id not in extra.handlers:
            extra.handlers.append(supervisor_id)
    findings, records = acc_repo.for_cases(session=session, case_ids=ids)
    for case_id, f in findings.items():
        out[case_id].finding = f
    for case_id, recs in records.items():
        out[case_id].records = recs
    return out
