"""Repository for the imported official holiday schedule (`calendar_days`, `calendar_imports`). Never commits.

Rows are plain (day, kind, name) tuples here; `handlers.schedule` turns them into an `OfficialSchedule`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import orm

from storage.models import CalendarDay
from storage.models import CalendarImport

Row = tuple[date, str, str]


def official_days(*, session: orm.Session) -> list[Row]:
    """Every imported day, in date order."""
    stmt = sa.select(CalendarDay.day, CalendarDay.kind, CalendarDay.name).order_by(CalendarDay.day)
    return [(d, k, n) for d, k, n in session.execute(stmt)]


def replace_years(*, session: orm.Session, years: Iterable[int], rows: Iterable[Row], at: datetime, source: str,
                  sha256: str) -> CalendarImport:  # fmt: skip
    """Replace what was imported for `years` with `rows`, and record the import (`days_changed`: days added,
    removed or changed in kind or name; `cases_changed` is the caller's to fill in)."""
    years = sorted(set(years))
    rows = sorted(rows)
    before = {row for row in official_days(session=session) if row[0].year in years}
    record = CalendarImport(at=at, source=source[:200], sha256=sha256, years=",".join(map(str, years)),
                            days=len(rows), days_changed=0, cases_changed=0)  # fmt: skip
    session.add(record)
    session.flush()
    for year in years:
        session.execute(
            sa.delete(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        )
    session.add_all(CalendarDay(day=d, kind=k, name=n, import_id=record.id) for d, k, n in rows)
    after = set(rows)
    changed_days = {d for d, _, _ in before ^ after}
    record.days_changed = len(changed_days)
    session.flush()
    return record


def imports(*, session: orm.Session, limit: int = 20) -> list[CalendarImport]:
    stmt = sa.select(CalendarImport).order_by(CalendarImport.id.desc()).limit(limit)
    return list(session.scalars(stmt))
