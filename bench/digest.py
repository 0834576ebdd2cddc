"""Weekly digest over a province-sized history: 20 units, 1,000,000 cases, on PostgreSQL (aim: under 10 s).

Fills a fresh database (created and dropped here) with synthetic cases over two years (bench/casegen.py: ~3 %
open, ratings, overdue and escalated ones, one assignment per routed case), then times, in the same run:
- `bot.service.digest.build`, what the weekly job runs: the figures as SQL aggregates (`storage.reports.digest_rows`),
- `tests.digest_oracle.build_from_objects`, the reference it is tested against (loads every relevant case and every active
  assignment as ORM objects),
- the baseline: a plain Core SELECT of the relevant rows' columns (what any digest has to read at least).

    .venv/bin/python bench/digest.py [--cases 1000000] [--units 20] [--repeat 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from contextlib import ExitStack
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import casegen  # noqa: E402
from bench import services  # noqa: E402
from bot.runtime import build_runtime  # noqa: E402
from bot.service.digest import build  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from handlers.config import Unit  # noqa: E402
from handlers.lifecycle import OPEN_STATES  # noqa: E402
from storage import migrate  # noqa: E402
from storage import reports  # noqa: E402
from storage.models import Case  # noqa: E402
from tests.digest_oracle import build_from_objects  # noqa: E402

AS_OF = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # Monday 09:00 Beijing
END = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # Monday 00:00 Beijing
START = END - timedelta(days=7)


def timed(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--orm-repeat", type=int, default=1, help="the ORM build is slow; once is enough")
    parser.add_argument("--database-url", default=None, help="default: a fresh PostgreSQL database zhiyong_bench")
    args = parser.parse_args()
    with ExitStack() as stack:
        url = args.database_url
        if url is None:
            if not services.postgres_available():
                print("digest benchmark: skipped, PostgreSQL is not reachable at", services.PG_ADMIN_URL)
                return 0
            url = stack.enter_context(services.fresh_postgres("zhiyong_bench"))
        migrate.upgrade(url)
        settings = load_settings(services.server_env(url), env_file=None)
        city = settings.city
        extra = [Unit(code=f"bench{i:02d}", name=f"基准单位{i}") for i in range(len(city.units), args.units)]
        city = city.model_copy(update={"units": tuple(city.units[: args.units]) + tuple(extra)})
        rt = build_runtime(dataclasses.replace(settings, city=city))
        stack.callback(rt.db.dispose)
        engine = rt.db.engine
        t = time.perf_counter()
        shape = casegen.CaseShape(count=args.cases, begin=END - timedelta(days=730), end=END + timedelta(hours=9),
                                  now=AS_OF, open_share=0.03)  # fmt: skip
        casegen.insert_cases(engine, city, shape)
        casegen.fix_sequences(engine)
        casegen.analyze(engine)
        fill = time.perf_counter() - t
        with engine.connect() as conn:
            n_cases = conn.execute(sa.text("SELECT count(*) FROM cases")).scalar_one()
            n_open = conn.execute(sa.text("SELECT count(*) FROM cases WHERE state NOT IN ('closed','merged','rejected')")).scalar_one()  # fmt: skip
            n_assign = conn.execute(sa.text("SELECT count(*) FROM assignments")).scalar_one()
        units = [u.code for u in city.units]
        print(f"digest benchmark: {n_cases:,} cases ({n_open:,} open), {n_assign:,} assignments, {len(units)} units, "
              f"{engine.dialect.name}; filled in {fill:.0f} s")  # fmt: skip

        rel = reports.relevant(START, END, [str(st) for st in OPEN_STATES])
        cols = [Case.id, Case.number, Case.respondent_unit, Case.state, Case.created_at, Case.sign_due,
                Case.signed_at, Case.answer_due, Case.answered_at, Case.rated_at, Case.rating_outcome,
                Case.rating_conduct, Case.overdue, Case.escalated_at, Case.closed_at, Case.pseudonym, Case.window]  # fmt: skip

        def baseline() -> int:
            with engine.connect() as conn:
                return len(conn.execute(sa.select(*cols).where(rel)).all())

        def aggregate():  # type: ignore[no-untyped-def]
            with rt.db.transaction() as session:
                return build(rt, session, start=START, end=END, as_of=AS_OF, week="2026-W48")

        def orm_build():  # type: ignore[no-untyped-def]
            with rt.db.transaction() as session:
                return build_from_objects(rt, session, start=START, end=END, as_of=AS_OF, week="2026-W48")

        t_base, rows = timed(baseline, args.repeat)
        t_sql, figs = timed(aggregate, args.repeat)
        t_orm, digest = timed(orm_build, args.orm_repeat)
        same = figs.units == digest.units and figs.overdue == digest.overdue
        print(f"{'baseline: SELECT relevant rows':<40} {t_base:8.2f} s  ({rows:,} rows)")
        print(f"{'bot.service.digest.build (the job; SQL)':<40} {t_sql:8.2f} s  {t_sql / t_base:5.2f}x baseline  "
              f"aim < 10 s: {'met' if t_sql < 10 else 'MISSED'}")  # fmt: skip
        print(f"{'build_from_objects (reference; ORM)':<40} {t_orm:8.2f} s  {t_orm / t_base:5.2f}x baseline  "
              f"aim < 10 s: {'met' if t_orm < 10 else 'MISSED'}")  # fmt: skip
        print(f"SQL vs ORM: {t_orm / t_sql:.1f}x faster, same figures: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
