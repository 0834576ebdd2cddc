"""`make soak`: a steady, modest stream of pushes for 10 minutes; memory, descriptors and connections stay flat.

gunicorn with 2 workers on PostgreSQL (a fresh database; SQLite if PostgreSQL does not answer), the same push
mix as `make load`. Every `--every` seconds each worker's RSS, open file descriptors and database connections
(TCP sockets to PostgreSQL, or handles on the SQLite file) are sampled from /proc, plus the server-side count in
pg_stat_activity. Growth compares the median of the first minute after warm-up with the median of the last
minute (RELIABILITY 5.7 item 58: RSS < 20 %, no growth in descriptors or connections). Accounting as in load.

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 10] [--every 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import loadgen  # noqa: E402
from bench import services  # noqa: E402
from storage.db import make_engine  # noqa: E402
from tests.live import server as live  # noqa: E402

WARM_UP = 60.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=10)
    parser.add_argument("--every", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--json", dest="json_out", default=None)
    args = parser.parse_args()
    seconds = args.minutes * 60
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = args.database_url
        if url is None:
            if services.postgres_available():
                url = stack.enter_context(services.fresh_postgres("zhiyong_soak"))
            else:
                print("PostgreSQL not reachable: falling back to SQLite")
                url = f"sqlite:///{tmp}/soak.db"
        redis_url = services.REDIS_URL if services.redis_available() else None
        env = services.server_env(url, redis_url, GUNICORN_ACCESSLOG="/dev/null")
        server = live.start(env, tmp, workers=args.workers)
        stack.callback(server.stop)
        factory = loadgen.PushFactory(env)
        stack.callback(factory.close)
        samples: list[dict[str, object]] = []
        stop = threading.Event()
        probe = make_engine(url) if url.startswith("postgres") else None
        if probe is not None:
            stack.callback(probe.dispose)

        def sampler() -> None:
            t0 = time.monotonic()
            while not stop.is_set() and time.monotonic() - t0 < seconds + 120:
                workers = loadgen.children(server.process.pid)
                row: dict[str, object] = {"t": round(time.monotonic() - t0, 1), "workers": {}}
                for pid in workers:
                    row["workers"][pid] = {  # type: ignore[index]
                        "rss_kb": loadgen.rss_kb(pid),
                        "fds": loadgen.open_fds(pid),
                        "db": loadgen.db_connections(pid, url),
                    }
                if probe is not None:
                    with probe.connect() as conn:
                        row["pg_backends"] = conn.execute(
                            sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
                        ).scalar_one()
                samples.append(row)
                stop.wait(args.every)

        thread = threading.Thread(target=sampler, name="soak-sampler")
        thread.start()
        print(f"soak: {args.rate:g} pushes/s for {args.minutes:g} min, gunicorn {args.workers} workers, "
              f"db={url.split(':')[0]}, redis={'on' if redis_url else 'off'}, sampling every {args.every:g} s")  # fmt: skip
        try:
            result = loadgen.run_load(server.url, factory, rate=args.rate, seconds=seconds, concurrency=32)
        finally:
            stop.set()
            thread.join(timeout=30)
        accounting = loadgen.account(url, env, result, run_id=factory.run)

    def window(lo: float, hi: float, pid: int, key: str) -> float | None:
        values = [
            s["workers"][pid][key]
            for s in samples  # type: ignore[index]
            if lo <= float(s["t"]) < hi and pid in s["workers"] and s["workers"][pid][key] is not None
        ]  # type: ignore[operator,index]
        return statistics.median(values) if values else None  # type: ignore[arg-type]

    pids = sorted({pid for s in samples for pid in s["workers"]})  # type: ignore[attr-defined]
    growth: dict[str, dict[str, object]] = {}
    for pid in pids:
        per: dict[str, object] = {}
        for key in ("rss_kb", "fds", "db"):
            first = window(WARM_UP, WARM_UP + 60, pid, key)
            last = window(seconds - 60, seconds + 1, pid, key)
            per[key] = {"first_min": first, "last_min": last,
                        "growth_pct": round((last - first) * 100 / first, 1) if first and last is not None else None}  # fmt: skip
        growth[str(pid)] = per
    backends = [s.get("pg_backends") for s in samples if s.get("pg_backends") is not None]
    summary = {"load": result.summary(), "accounting": accounting.summary(), "per_worker": growth,
               "pg_backends": {"min": min(backends, default=None), "max": max(backends, default=None)},  # type: ignore[type-var]
               "samples": len(samples)}  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps({**summary, "raw": samples}, ensure_ascii=False, default=str))
    rss_ok = all((g["rss_kb"]["growth_pct"] or 0) < 20 for g in growth.values())  # type: ignore[index]
    ok = rss_ok and result.first_attempt_failures == 0 and result.lost == 0 and accounting.ok
    print("soak:", "PASS" if ok else "FAIL", f"(RSS growth < 20 % on every worker: {rss_ok})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
