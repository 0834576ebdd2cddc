"""Who hears about a case step: supervisors (counts and a link, never complaint text) and the citizen (the
customer-service text or template), each as an outbox row written in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import orm

from bot.runtime import Runtime
from handlers import notices
from handlers.lifecycle import AWAITING_ANSWER
from handlers.lifecycle import NEW_FOR_SUPERVISOR
from handlers.lifecycle import OPEN_STATES
from storage import cases as cases_repo
from storage import outbox
from storage.models import Case


class SupervisorNotices:
    """The supervisor notices of one unit of work, enqueued together by `flush`.

    Every notice says what it is (新派单, 催办, 督办, 重办, 市民补充, 延期批复 …) and carries the supervisor's counts of
    cases to act on and overdue cases. Counting per notice read the supervisor's whole caseload each time (a sweep
    of 100 rungs re-counted it 100+ times); here they are counted once per `flush` for all supervisors in one
    grouped query, after this unit of work's own changes.

    A unit head (role unit_head) is told only how many of the unit's cases are due or overdue, with a link to the
    dashboard: never a case number, a text or a link to a case — their unit may be the one reported.
    """

    def __init__(self, session: orm.Session, rt: Runtime, now: datetime) -> None:
        self.session, self.rt, self.now = session, rt, now
        self._pending: list[tuple[Case, str, str, int, str | None]] = []

    def add(self, case: Case, supervisor_id: str, reason: str, note: str | None = None) -> None:
        # The audit length at this moment goes into the key, as it did when notices were enqueued one by one.
        seq = cases_repo.last_seq(session=self.session, case_id=case.id)
        self._pending.append((case, supervisor_id, reason, seq, note))

    def flush(self) -> int:
        if not self._pending:
            return 0
        pending, self._pending = self._pending, []
        self.session.flush()
        city = self.rt.settings.city
        heads = {s.id: s for s in city.supervisors if s.role == "unit_head"}
        counts = cases_repo.supervisors_counts(
            session=self.session, supervisor_ids={sup for _, sup, _, _, _ in pending if sup not in heads},
            new_states=NEW_FOR_SUPERVISOR, open_states=OPEN_STATES, awaiting_states=AWAITING_ANSWER, now=self.now,
        )  # fmt: skip
        base = self.rt.settings.env.public_base_url
        added = 0
        for case, sup, reason, seq, note in pending:
            kind = notices.notice_kind(reason)
            if sup in heads:
                unit = heads[sup].member_of
                due, overdue = cases_repo.unit_due_counts(session=self.session, unit=unit,
                                                          awaiting_states=AWAITING_ANSWER, now=self.now)  # fmt: skip
                link = f"{base}/console/dashboard"
                text = notices.unit_head_text(reason, city.unit_name(unit), due, overdue, link)
                key = f"head:{sup}:{case.id}:{reason}:{seq}"
                payload = notices.supervisor_payload(text, due, overdue, link, kind)
            else:
                count_new, count_overdue = counts[sup]
                link = f"{base}/console/cases/{case.public_id}"
                text = notices.supervisor_text(reason, count_new, count_overdue, link, case.number, note)
                key = f"sup:{sup}:{case.number}:{reason}:{seq}"
                payload = notices.supervisor_payload(text, count_new, count_overdue, link, kind)
            added += outbox.enqueue(session=self.session, key=key, recipient_kind="supervisor", recipient=sup,
                                    purpose=f"case_{reason}", payload=payload, now=self.now, case_id=case.id)  # fmt: skip
        return added


def notify_supervisor(session: orm.Session, rt: Runtime, case: Case, supervisor_id: str, now: datetime, *,
                      reason: str, note: str | None = None) -> None:  # fmt: skip
    batch = SupervisorNotices(session, rt, now)
    batch.add(case, supervisor_id, reason, note)
    batch.flush()


def notify_citizen(session: orm.Session, rt: Runtime, case: Case, action: str, now: datetime, *,
                   note: str | None = None, seq: int) -> None:  # fmt: skip
    text = notices.citizen_text(action, case.number, tz=rt.tz, note=note, due=case.answer_due, kind=case.kind)
    if text is None:
        return
    if case.channel != "wechat":
        # Open311 reporters follow their case through the API; there is no WeChat account to write to, and a
        # WeChat instruction (the rating request) must not replace the answer the platform reads.
        if action not in notices.WECHAT_ONLY:
            case.last_note = text[:200]
        return
    case.last_note = text[:200]
    outbox.enqueue(
        session=session,
        key=f"cit:{case.number}:{action}:{seq}",
        recipient_kind="citizen",
        recipient=case.pseudonym,
        purpose=f"case_{action}",
        payload={"text": text, "template": notices.template_fields(case.number, case.state, text, now, rt.tz)},
        now=now,
        case_id=case.id,
    )


def warn_former_binding(
    session: orm.Session, rt: Runtime, pseudonym: str, text: str, now: datetime, *, key: str
) -> None:
    """Tell the WeChat a supervisor is (or was) bound to that the binding is moving or has moved."""
    link = f"{rt.settings.env.public_base_url}/console/"
    outbox.enqueue(session=session, key=key, recipient_kind="staff_wechat", recipient=pseudonym, purpose="rebind",
                   payload=notices.supervisor_payload(text, 0, 0, link, notices.NOTICE_KINDS["security"]), now=now)  # fmt: skip
