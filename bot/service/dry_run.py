"""`jobs run --at T --dry-run`: what the scheduler's jobs would do at T, with nothing changed and nothing sent.

The jobs that stay inside the database (the ladder, ratings, drafts, the digest) run for real inside one outer
transaction (`storage.db.Database.rehearsal`) that is rolled back at the end, so what they report is what they
would do; the rows they would add (notices, audit events) are read back before the rollback and listed. The jobs
that reach outside — the outbox drain to WeChat, evidence downloads, retention's file deletions, the audit
checkpoint file — never run: they count what they would pick up (`bot.service.jobs.DRY`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime

from bot.runtime import Runtime
from bot.service import jobs
from storage import rehearsal


@dataclass
class DryRun:
    results: list[jobs.JobResult] = field(default_factory=list)
    queued: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # purpose, kind, recipient, case
    events: list[tuple[str, str, str | None]] = field(default_factory=list)  # case, action, note


def rehearse(rt: Runtime, at: datetime, names: Iterable[str] | None = None) -> DryRun:
    """Run the jobs `names` (default: all) as of `at` and undo everything they did; report what they would do."""
    out = DryRun()
    with rt.db.rehearsal():
        with rt.db.transaction() as session:
            outbox_mark, event_mark = rehearsal.marks(session=session)
        for name in names or tuple(jobs.JOBS):
            out.results.append(jobs.run_job(rt, name, at, dry_run=True))
        with rt.db.transaction() as session:
            out.queued = rehearsal.queued_after(session=session, outbox_id=outbox_mark)
            out.events = rehearsal.events_after(session=session, event_id=event_mark)
    return out
