"""The retention job: finished cases older than the retention period lose everything that points at a person.

Closed, merged and rejected cases whose last change (closing, or the merge/rejection) is older than
`retention.closed_case_days` (config.yaml; `--older-than-days` overrides) are anonymised in place, following
FixMyStreet's Inactive.pm: the text stays for statistics with numbers and names removed
(`handlers.anonymise.scrub_text`), the real-name contact row goes, evidence files are deleted and their rows lose
their media ids and paths (status `purged`), staff/citizen messages and the citizen-facing last note are
scrubbed, the location is dropped, the pseudonym becomes "anon" (also on the case's outbox rows), and an
`anonymise` event is appended to the audit chain — earlier events are never edited, so the chain still verifies.
The citizen's pushes older than the cutoff lose their stored replies and pseudonym, and when nothing of theirs is
left the pseudonym → openid row goes too. Dead letters (kept without the openid) lose their body after
`retention.dead_letter_days`.
Runs are idempotent (an anonymised case no longer matches) and logged with counts only.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from bot.runtime import Runtime
from handlers.anonymise import ANONYMOUS
from handlers.anonymise import scrub_text
from handlers.lifecycle import FINAL_STATES
from handlers.masking import mask_text
from storage import cases as cases_repo
from storage import citizens
from storage import inbound
from storage.models import Case
from storage.models import CaseMessage
from storage.models import Evidence
from storage.models import OutboxMessage
from storage.models import ReporterContact

log = logging.getLogger("zhiyong.retention")

FINISHED = tuple(sorted(FINAL_STATES))
PURGED = "purged"  # evidence status after retention: the row stays for counting, the file and media id are gone
BATCH = 200


@dataclass
class CasePlan:
    """What anonymising one case changes (numbers only; printed by the dry run)."""

    number: str
    state: str
    finished_at: datetime
    contacts: int = 0
    evidence_rows: int = 0
    evidence_files: int = 0
    messages: int = 0
    outbox_rows: int = 0


@dataclass
class RetentionReport:
    cutoff: datetime
    days: int
    dry_run: bool
    cases: int = 0
    contacts: int = 0
    evidence_rows: int = 0
    evidence_files: int = 0
    files_deleted: int = 0
    file_errors: int = 0
    messages: int = 0
    outbox_rows: int = 0
    dead_letters: int = 0
    plans: list[CasePlan] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("plans")
        data["cutoff"] = self.cutoff.isoformat()
        return data


def _finished_at() -> Any:
    # Closed cases carry closed_at; merged and rejected ones end with their last update.
    return sa.func.coalesce(Case.closed_at, Case.updated_at)


def due_cases(*, session: orm.Session, cutoff: datetime, limit: int, after_id: int = 0) -> list[Case]:
    """Finished cases last changed before `cutoff` that still carry a pseudonym, in id order after `after_id`."""
    stmt = (
        sa.select(Case)
        .where(Case.state.in_(FINISHED), _finished_at() < cutoff, Case.pseudonym != ANONYMOUS, Case.id > after_id)
        .order_by(Case.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def _evidence_root(rt: Runtime) -> Path:
    from bot.wechat.evidence_store import evidence_dir

    return evidence_dir(rt).resolve()


def _plan(session: orm.Session, case: Case, root: Path) -> tuple[CasePlan, list[Path]]:
    evidence = cases_repo.evidence_for(session=session, case_id=case.id)
    files = []
    for ev in evidence:
        if ev.path:
            target = (root / ev.path).resolve()
            # Only ever delete inside the evidence directory, whatever a row says.
            if target.is_relative_to(root):
                files.append(target)
    plan = CasePlan(
        number=case.number,
        state=case.state,
        finished_at=case.closed_at or case.updated_at,
        contacts=1 if session.get(ReporterContact, case.id) is not None else 0,
        evidence_rows=len(evidence),
        evidence_files=len(files),
        messages=session.scalar(sa.select(sa.func.count()).where(CaseMessage.case_id == case.id)) or 0,
        outbox_rows=session.scalar(sa.select(sa.func.count()).where(OutboxMessage.case_id == case.id)) or 0,
    )
    return plan, files


def _anonymise(session: orm.Session, case: Case, now: datetime, days: int, cutoff: datetime) -> None:
    pseudonym = case.pseudonym
    contact = session.get(ReporterContact, case.id)
    names = [contact.real_name] if contact is not None else []
    if contact is not None:
        session.delete(contact)
    case.text = scrub_text(case.text, names)
    case.search_text = mask_text(case.text)
    case.last_note = scrub_text(case.last_note, names) if case.last_note else None
    case.location = None
    case.pseudonym = ANONYMOUS
    for msg in cases_repo.messages(session=session, case_id=case.id):
        msg.body = scrub_text(msg.body, names)
    session.execute(
        sa.update(Evidence)
        .where(Evidence.case_id == case.id)
        .values(media_id=None, pic_url=None, path=None, status=PURGED, next_attempt_at=None)
    )
    for row in session.scalars(sa.select(OutboxMessage).where(OutboxMessage.case_id == case.id)):
        if row.recipient_kind == "citizen":
            row.recipient = ANONYMOUS
        text = row.payload.get("text") if isinstance(row.payload, dict) else None
        if isinstance(text, str):
            row.payload = {**row.payload, "text": scrub_text(text, names)}
    # Appended, never edited: the chain up to here still verifies, and this event says what happened.
    cases_repo.append_event(session=session, case=case, at=now, actor="system", action="anonymise",
                            from_state=case.state, to_state=case.state, note=f"保留期满（{days}天）")  # fmt: skip
    # What else points at the person: their older pushes and our replies (which may echo a name or a phone), and,
    # once nothing of theirs is left, the pseudonym → openid row itself.
    session.flush()
    inbound.scrub_before(session=session, pseudonym=pseudonym, before=cutoff, anonymous=ANONYMOUS)
    citizens.forget_if_gone(session=session, pseudonym=pseudonym, idle_before=cutoff)


def run(rt: Runtime, *, now: datetime | None = None, days: int | None = None, dry_run: bool = False) -> RetentionReport:
    """Anonymise every finished case older than `days` (default: config); `dry_run` only reports."""
    now = now or rt.now()
    days = rt.settings.city.retention.closed_case_days if days is None else days
    if days < 1:
        raise ValueError("the retention period must be at least one day")
    report = RetentionReport(cutoff=now - timedelta(days=days), days=days, dry_run=dry_run)
    root = _evidence_root(rt)
    last_id = 0
    while True:
        doomed: list[Path] = []
        with rt.db.transaction() as session:
            batch = due_cases(session=session, cutoff=report.cutoff, limit=BATCH, after_id=last_id)
            for case in batch:
                last_id = case.id
                plan, files = _plan(session, case, root)
                report.plans.append(plan)
                report.cases += 1
                report.contacts += plan.contacts
                report.evidence_rows += plan.evidence_rows
                report.evidence_files += plan.evidence_files
                report.messages += plan.messages
                report.outbox_rows += plan.outbox_rows
                if not dry_run:
                    _anonymise(session, case, now, days, report.cutoff)
                    doomed.extend(files)
        # Files go after the commit: a rolled-back batch keeps its evidence.
        for path in doomed:
            try:
                path.unlink(missing_ok=True)
                report.files_deleted += 1
                if path.parent != root and not any(path.parent.iterdir()):
                    path.parent.rmdir()
            except OSError:
                report.file_errors += 1
        if len(batch) < BATCH:
            break
    if not dry_run:
        keep = timedelta(days=rt.settings.city.retention.dead_letter_days)
        with rt.db.transaction() as session:
            report.dead_letters = inbound.expire_dead_letters(session=session, before=now - keep)
    log.info(
        "retention %s cases=%d contacts=%d evidence_rows=%d files_deleted=%d file_errors=%d messages=%d days=%d",
        "dry-run" if dry_run else "run",
        report.cases,
        report.contacts,
        report.evidence_rows,
        report.files_deleted,
        report.file_errors,
        report.messages,
        days,
    )
    return report
