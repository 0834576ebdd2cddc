"""Synthetic cases for the scheduler and digest benchmarks and the digest consistency test.

Rows are generated deterministically (a seeded RNG) with the shape of a city's history: creation times spread
over a period, most cases closed, some open, some overdue and escalated, ratings on most closed ones, repeat
reporters (so hot spots exist), one handler assignment per routed case. They are bulk-inserted with SQLAlchemy
Core (`insert_rows`) in batches, bypassing the ORM and the dialog on purpose: these benchmarks measure reading
and sweeping a big table, not filling it. Explicit ids are used so assignments can point at their cases; the
PostgreSQL sequences are moved past them afterwards (`fix_sequences`) so later inserts get fresh ids.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.dialects.postgresql  # noqa: F401 - storage.models reads sa.dialects.postgresql at import

from handlers.config import CityConfig
from handlers.lifecycle import AWAITING_ANSWER
from storage.models import Assignment
from storage.models import Case
from storage.models import Model

OPEN_MIX = ("assigned", "assigned", "signed", "signed", "in_progress", "in_progress", "escalated", "extension",
            "reopened", "triage", "submitted", "returned")  # fmt: skip
CLOSED_MIX = ("closed",) * 18 + ("merged", "rejected")


@dataclass
class CaseShape:
    count: int
    begin: datetime  # creation times are spread over [begin, end)
    end: datetime
    now: datetime  # "as of": decides what is overdue
    open_share: float = 0.05
    rated_share: float = 0.6
    reporters: int | None = None  # distinct pseudonyms; fewer than cases makes repeat reporters
    id_offset: int = 0
    seed: int = 9


def handler_for(city: CityConfig, unit: str | None) -> str:
    for sup in city.supervisors:
        if sup.role == "supervisor" and unit in sup.units:
            return sup.id
    return "sup_triage"


def generate(city: CityConfig, shape: CaseShape) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(case row, its assignment rows) for `shape.count` cases."""
    rng = random.Random(shape.seed)
    units = [u.code for u in city.units]
    categories = [c.code for c in city.categories]
    span = (shape.end - shape.begin).total_seconds()
    reporters = shape.reporters or max(shape.count // 3, 1)
    handlers = {u: handler_for(city, u) for u in [*units, None]}
    for i in range(shape.count):
        cid = shape.id_offset + i + 1
        created = shape.begin + timedelta(seconds=rng.random() * span)
        is_open = rng.random() < shape.open_share
        state = rng.choice(OPEN_MIX) if is_open else rng.choice(CLOSED_MIX)
        unit = None if state == "triage" or rng.random() < 0.02 else rng.choice(units)
        sign_due = created + timedelta(days=1)
        answer_due = created + timedelta(days=rng.choice((5, 5, 13)))
        signed = state not in ("submitted", "assigned", "triage", "returned") and rng.random() < 0.97
        signed_at = created + timedelta(hours=rng.random() * 40) if signed else None
        answered_at = closed_at = rated_at = escalated_at = None
        outcome = conduct = None
        if not is_open and state == "closed":
            answered_at = created + timedelta(hours=12 + rng.random() * 24 * 14)
            closed_at = answered_at + timedelta(hours=rng.random() * 72)
            if rng.random() < shape.rated_share:
                rated_at = closed_at
                outcome = rng.choice("1112223")
                conduct = rng.choice("AAABBC")
        overdue = is_open and answer_due < shape.now and state in AWAITING_ANSWER
        if state == "escalated" or (overdue and rng.random() < 0.5):
            escalated_at = answer_due + timedelta(days=2)
        row = {
            "id": cid,
            "number": f"ZB{cid:012d}",
            "public_id": f"{cid:024x}",
            "pseudonym": f"p{rng.randrange(reporters):031x}",
            "state": state,
            "category": rng.choice(categories),
            "respondent_unit": unit,
            "window": str(rng.randint(1, 9)) if rng.random() < 0.4 else None,
            "text": "synthetic case for benchmarks",
            "search_text": "synthetic case for benchmarks",
            "unit_source": "classifier",
            "confidence": 0.8,
            "classification": {},
            "triage": state == "triage",
            "channel": "wechat",
            "anonymous": True,
            "created_at": created,
            "updated_at": created,
            "sign_due": sign_due,
            "answer_due": answer_due,
            "signed_at": signed_at,
            "answered_at": answered_at,
            "closed_at": closed_at,
            "overdue": overdue,
            "answer_started_at": created,
            "escalated_at": escalated_at,
            "rating_outcome": outcome,
            "rating_conduct": conduct,
            "rated_at": rated_at,
            "next_reminder_at": None,
        }
        assignments = []
        if unit is not None or state == "triage":
            role = "triage" if state == "triage" else "handler"
            assignments.append({"case_id": cid, "supervisor_id": handlers[unit], "role": role,
                                "active": True, "assigned_at": created})  # fmt: skip
        yield row, assignments


def insert_rows(engine: sa.Engine, table: sa.Table, rows: Sequence[dict[str, Any]], batch: int = 5000) -> None:
    """Bulk insert: Core executemany in batches; on PostgreSQL, big loads go through COPY instead.

    COPY is ~10x faster than INSERT for a million rows, which is the difference between a benchmark that fills
    its table in one minute and one that takes ten. Values are the same Python objects either way.
    """
    if not rows:
        return
    if engine.dialect.name == "postgresql" and len(rows) >= 1000:
        _copy(engine, table, rows)
        return
    for i in range(0, len(rows), batch):
        with engine.begin() as conn:
            conn.execute(sa.insert(table), list(rows[i : i + batch]))


def _copy(engine: sa.Engine, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    from psycopg.types.json import Jsonb

    columns = [c.name for c in table.columns if c.name in rows[0]]
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:  # type: ignore[attr-defined]
            names = ", ".join(f'"{c}"' for c in columns)  # quoted: `window` is a keyword
            with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([Jsonb(row[c]) if c in json_columns else row[c] for c in columns])
        raw.commit()
    finally:
        raw.close()


def insert_cases(engine: sa.Engine, city: CityConfig, shape: CaseShape, *, batch: int = 5000) -> int:
    """Generate and insert `shape.count` cases with their assignments; returns the number inserted."""
    cases: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    n = 0
    for row, assigned in generate(city, shape):
        cases.append(row)
        assignments.extend(assigned)
        if len(cases) >= batch * 4:
            insert_rows(engine, Case.__table__, cases, batch)  # type: ignore[arg-type]
            insert_rows(engine, Assignment.__table__, assignments, batch)  # type: ignore[arg-type]
            n += len(cases)
            cases, assignments = [], []
    insert_rows(engine, Case.__table__, cases, batch)  # type: ignore[arg-type]
    insert_rows(engine, Assignment.__table__, assignments, batch)  # type: ignore[arg-type]
    return n + len(cases)


def fix_sequences(engine: sa.Engine) -> None:
    """After inserts with explicit ids, move every PostgreSQL id sequence past the largest id."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        for table in Model.metadata.sorted_tables:
            if "id" in table.c and table.c.id.autoincrement and table.c.id.primary_key:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"GREATEST((SELECT max(id) FROM {table.name}), 1))"
                )


def analyze(engine: sa.Engine) -> None:
    """Fresh planner statistics after a bulk load (autovacuum would get there, later)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
