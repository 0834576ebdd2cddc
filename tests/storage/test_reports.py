"""`storage.reports` (SQL aggregates, what `bot.service.digest.build` uses) and `tests.digest_oracle` (the
definitions applied to ORM objects) agree on the same cases, field by field.

The fixture is the benchmarks' generator (bench/casegen.py) over five weeks around the digest week, plus cases
pinned on every boundary (created, rated, closed and escalated exactly at the start and at the end, answered
exactly at the deadline), which is where two implementations of one definition usually part ways.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa

from bench import casegen
from bot import create_app
from bot.runtime import runtime
from bot.service.digest import build
from handlers.lifecycle import AWAITING_ANSWER
from handlers.lifecycle import OPEN_STATES
from storage import reports
from storage.models import Assignment
from storage.models import Case
from tests.conftest import make_settings
from tests.digest_oracle import build_from_objects

START = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Monday 23 November 00:00 Beijing
END = START + timedelta(days=7)
AS_OF = END + timedelta(hours=9)


def _boundary_rows(city, first_id: int) -> tuple[list[dict], list[dict]]:  # type: ignore[no-untyped-def,type-arg]
    shape = casegen.CaseShape(count=12, begin=START, end=END, now=AS_OF, id_offset=first_id, seed=3)
    rows, assigned = [], []
    edges = [START, END, START - timedelta(microseconds=1), END - timedelta(microseconds=1)]
    for i, (row, a) in enumerate(casegen.generate(city, shape)):
        edge = edges[i % len(edges)]
        row["respondent_unit"] = "bdc"
        row["window"] = "3"
        row["pseudonym"] = f"p_edge_{i % 4}"
        if i < 4:  # created on an edge, still open and overdue
            row.update(created_at=edge, state="escalated", overdue=True, escalated_at=edge, sign_due=edge,
                       signed_at=edge, answer_due=END + timedelta(days=1))  # fmt: skip
        elif i < 8:  # created long ago, rated / closed / escalated on an edge
            row.update(created_at=START - timedelta(days=40), state="closed", rated_at=edge, closed_at=edge,
                       answered_at=edge - timedelta(days=1), answer_due=edge - timedelta(days=1),
                       rating_outcome="1", rating_conduct="A" if i % 2 else "C", escalated_at=edge)  # fmt: skip
        else:  # answered exactly at the deadline, rated without a conduct mark
            row.update(created_at=edge, state="closed", answered_at=edge + timedelta(days=2),
                       answer_due=edge + timedelta(days=2), closed_at=edge + timedelta(days=2),
                       rated_at=edge + timedelta(days=2), rating_outcome="2", rating_conduct=None)  # fmt: skip
        rows.append(row)
        assigned.extend(a)
    return rows, assigned


def test_sql_aggregates_match_the_orm_digest(any_db_url: str) -> None:
    app = create_app(make_settings(any_db_url))
    rt = runtime(app)
    city = rt.settings.city
    try:
        engine = rt.db.engine
        shape = casegen.CaseShape(count=1500, begin=START - timedelta(days=28), end=END + timedelta(days=2),
                                  now=AS_OF, open_share=0.2, reporters=120, seed=11)  # fmt: skip
        casegen.insert_cases(engine, city, shape, batch=500)
        rows, assigned = _boundary_rows(city, 10_000)
        casegen.insert_rows(engine, Case.__table__, rows)  # type: ignore[arg-type]
        casegen.insert_rows(engine, Assignment.__table__, assigned)  # type: ignore[arg-type]
        with engine.begin() as conn:  # some assignments no longer active (reassigned cases)
            conn.execute(sa.update(Assignment).where(Assignment.case_id % 17 == 0).values(active=False))
        units = [u.code for u in city.units]
        with rt.db.transaction() as session:
            orm_digest = build_from_objects(rt, session, start=START, end=END, as_of=AS_OF, week="2026-W48")
            sql = reports.digest_rows(
                session,
                start=START,
                end=END,
                as_of=AS_OF,
                open_states=OPEN_STATES,
                awaiting_states=AWAITING_ANSWER,
                units=units,
            )
            job = build(rt, session, start=START, end=END, as_of=AS_OF, week="2026-W48")  # what the job sends
    finally:
        rt.db.dispose()

    assert sum(s.received for s in sql.units.values()) > 100, "the fixture exercises the figures"
    assert sql.hot_spots and sql.typical_good and sql.typical_bad and sql.overdue and sql.escalated
    assert {u: asdict(c) for u, c in sql.units.items()} == {u: asdict(s) for u, s in orm_digest.units.items()}
    assert sql.overdue == orm_digest.overdue
    assert sql.escalated == orm_digest.escalated
    assert sql.hot_spots == orm_digest.hot_spots
    assert sql.typical_good == orm_digest.typical_good
    assert sql.typical_bad == orm_digest.typical_bad

    def sorted_lists(d: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
        # `build_from_objects` walks assignments in the database's order (no ORDER BY); the sets are what must agree.
        return {sup: {k: sorted(v) for k, v in lists.items()} for sup, lists in d.items()}

    assert sorted_lists(sql.per_supervisor) == sorted_lists(orm_digest.per_supervisor)
    assert (job.units, job.overdue, job.escalated, job.hot_spots, job.typical_good, job.typical_bad) == (
        orm_digest.units, orm_digest.overdue, orm_digest.escalated, orm_digest.hot_spots, orm_digest.typical_good,
        orm_digest.typical_bad,
    )  # fmt: skip
    assert [s.unit for s in job.ranking] == [s.unit for s in orm_digest.ranking]
    assert sorted_lists(job.per_supervisor) == sorted_lists(orm_digest.per_supervisor)
