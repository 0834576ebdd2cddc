"""Repository for the 活档案 (`dossier_entries`). Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage._upsert import insert_ignore
from storage.models import DossierEntry


def add(*, session: orm.Session, official_id: str, on_date: date, kind: str, summary: str, source: str, origin: str,
        recorded_by: str, now: datetime, ref: str | None = None) -> bool:  # fmt: skip
    """Add an entry; with a `ref`, at most once per official (a retried job or a repeated step adds nothing).
    Returns whether a row was added."""
    values = {"official_id": official_id, "on_date": on_date, "kind": kind, "summary": summary, "source": source,
              "origin": origin, "ref": ref, "recorded_by": recorded_by, "recorded_at": now}  # fmt: skip
    if ref is None:
        session.add(DossierEntry(**values))
        session.flush()
        return True
    return bool(insert_ignore(session, DossierEntry.__table__, values, ["official_id", "ref"]))  # type: ignore[arg-type]


def entries(*, session: orm.Session, official_ids: Sequence[str]) -> list[DossierEntry]:
    """The entries of these officials, newest fact first."""
    if not official_ids:
        return []
    stmt = (
        sa.select(DossierEntry)
        .where(DossierEntry.official_id.in_(list(official_ids)))
        .order_by(DossierEntry.official_id, DossierEntry.on_date.desc(), DossierEntry.id.desc())
    )
    return list(session.scalars(stmt))


def counts(*, session: orm.Session) -> dict[str, int]:
    stmt = sa.select(DossierEntry.official_id, sa.func.count()).group_by(DossierEntry.official_id)
    return {official: int(n) for official, n in session.execute(stmt)}
