"""The 活档案's automatic entries, written in the transaction of what caused them, and its hooks.

- `on_escalation`: each 督办 of a case about a unit, on every official of that unit (`casework.act`);
- `on_overdue`: each case of the unit that becomes 超期 (`jobs` — the ladder's 超期督办 rung);
- `on_accountability`: a 问责 confirmed by the office that names a post held by an official of the case's unit;
- `record_unit_assessment`: a 民主测评 result of a unit's leadership, on every official of the unit — the hook the
  民主评议 surveys call.
Every automatic entry has a `ref` naming its cause, so it is entered once however often the cause is replayed.
"""

from __future__ import annotations

from datetime import date
from datetime import datetime

from sqlalchemy import orm

from bot.runtime import Runtime
from handlers import accountability as acc
from handlers import dossier as rules
from storage import dossier as dossier_repo
from storage.models import AccountabilityRecord
from storage.models import Case

SYSTEM = "system"


def _day(rt: Runtime, at: datetime) -> date:
    return at.astimezone(rt.tz).date()


def _category(rt: Runtime, code: str) -> str:
    found = rt.settings.city.category(code)
    return found.name if found else "其他"


def _on_officials(session: orm.Session, rt: Runtime, unit: str | None, *, kind: str, summary: str, on_date: date,
                  source: str, now: datetime, ref: str) -> int:  # fmt: skip
    """One automatic entry on each official of `unit` (at most once per `ref`); the entries added."""
    return sum(
        dossier_repo.add(
            session=session,
            official_id=o.id,
            on_date=on_date,
            kind=kind,
            summary=summary,
            source=source,
            origin="auto",
            recorded_by=SYSTEM,
            now=now,
            ref=ref,
        )  # fmt: skip
        for o in rt.settings.city.officials_of(unit)
    )


def on_escalation(session: orm.Session, rt: Runtime, case: Case, now: datetime, *, seq: int,
                  note: str | None = None) -> int:  # fmt: skip
    """A 督办 of a case about a unit: one entry on each official of the unit. Returns the entries added."""
    city = rt.settings.city
    summary = rules.escalation_summary(city.unit_name(case.respondent_unit), _category(rt, case.category), note)
    return _on_officials(session, rt, case.respondent_unit, kind="escalation", summary=summary, on_date=_day(rt, now),
                         source=rules.AUTO_SOURCE, now=now, ref=f"escalate:{case.id}:{seq}")  # fmt: skip


def on_overdue(session: orm.Session, rt: Runtime, case: Case, now: datetime) -> int:
    """A case of the unit became 超期 (past its answer deadline): one entry per official, once per deadline."""
    city = rt.settings.city
    summary = rules.overdue_summary(city.unit_name(case.respondent_unit), _category(rt, case.category))
    deadline = case.answer_due.isoformat() if case.answer_due else "-"
    return _on_officials(session, rt, case.respondent_unit, kind="overdue", summary=summary, on_date=_day(rt, now),
                         source=rules.AUTO_SOURCE, now=now, ref=f"overdue:{case.id}:{deadline}")  # fmt: skip


def on_accountability(session: orm.Session, rt: Runtime, case: Case, records: list[AccountabilityRecord],
                      now: datetime) -> int:  # fmt: skip
    """Confirmed 问责 records that name a post held by an official of their unit: one entry on that official."""
    city = rt.settings.city
    added = 0
    for r in records:
        if r.measure == "none" or not r.post:
            continue
        official = city.official(r.official_id) if r.official_id else acc.official_for_post(city, r.unit, r.post)
        if official is None:
            continue
        r.official_id = official.id
        summary = rules.accountability_summary(city.unit_name(r.unit), _category(rt, case.category),
                                               acc.MEASURES.get(r.measure, r.measure), r.post)  # fmt: skip
        added += dossier_repo.add(session=session, official_id=official.id, on_date=_day(rt, now),
                                  kind="accountability", summary=summary, source=rules.AUTO_SOURCE, origin="auto",
                                  recorded_by=SYSTEM, now=now, ref=f"accountability:{r.id}")  # fmt: skip
    return added


def record_unit_assessment(session: orm.Session, rt: Runtime, *, unit: str, on_date: date, title: str, result: str,
                           ref: str, source: str = rules.SURVEY_SOURCE, now: datetime | None = None) -> int:  # fmt: skip
    """The hook for 民主测评 of a unit's leadership (the 民主评议 surveys call it when a round closes).

    `title` names the round (e.g. "2026年第四季度民主测评"), `result` says what came of it in words (e.g. "满意率
    86%，基本满意 10%，不满意 4%（有效票 120 张）"), `ref` identifies the round so calling again adds nothing.
    One entry, kind 民主测评, on every official of `unit`. Returns the entries added.
    """
    city = rt.settings.city
    if city.unit(unit) is None:
        raise KeyError(unit)
    at = now or rt.now()
    summary = rules.assessment_summary(city.unit_name(unit), title.strip(), result.strip())
    return _on_officials(session, rt, unit, kind="assessment", summary=summary, on_date=on_date,
                         source=source[: rules.MAX_SOURCE], now=at, ref=f"assessment:{ref}"[:80])  # fmt: skip
