"""`make load`: safe-mode pushes at a fixed rate against gunicorn (2 workers) on PostgreSQL, then accounting.

Defaults are issue 9's: 200 pushes/s for 60 s, PostgreSQL in a fresh database (SQLite if PostgreSQL does not
answer), Redis for the flood limit when it answers. Afterwards every push must be accounted for: each one
answered 200 has its ledger row, no row is left pending, every failed one has its dead letter, `flask --app bot
reconcile` finds no orphan, cases == completed complaint dialogs, and one "new case" notice per assignment.

    .venv/bin/python bench/load.py [--rate 200] [--seconds 60] [--workers 2] [--database-url URL] [--no-redis]

Exit status 0 only with zero failed first attempts, nothing lost and full accounting. Loopback only, bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loadgen  # noqa: E402
from bench import services  # noqa: E402
from tests.live import server as live  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=64, help="client connections")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-redis", action="store_true")
    parser.add_argument("--json", dest="json_out", default=None, help="also write the results here")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        url = args.database_url
        if url is None:
            if services.postgres_available():
                url = stack.enter_context(services.fresh_postgres("zhiyong_load"))
            else:
                print("PostgreSQL not reachable: falling back to SQLite")
                url = f"sqlite:///{tmp}/load.db"
        redis_url = None if args.no_redis or not services.redis_available() else services.REDIS_URL
        env = services.server_env(url, redis_url, GUNICORN_ACCESSLOG="/dev/null")
        server = live.start(env, tmp, workers=args.workers)
        stack.callback(server.stop)
        factory = loadgen.PushFactory(env)
        stack.callback(factory.close)
        print(f"load: {args.rate:g} pushes/s for {args.seconds:g} s, gunicorn {args.workers} workers, "
              f"db={url.split(':')[0]}, redis={'on' if redis_url else 'off'}, {os.cpu_count()} CPUs")  # fmt: skip
        result = loadgen.run_load(server.url, factory, rate=args.rate, seconds=args.seconds,
                                  concurrency=args.concurrency)  # fmt: skip
        t = time.monotonic()
        accounting = loadgen.account(url, env, result, run_id=factory.run)
        summary = {"load": result.summary(), "accounting": accounting.summary(),
                   "accounting_seconds": round(time.monotonic() - t, 1)}  # fmt: skip
        print(json.dumps(summary, ensure_ascii=False, indent=1))
        if args.json_out:
            Path(args.json_out).write_text(json.dumps(summary, ensure_ascii=False, indent=1))
        ok = result.first_attempt_failures == 0 and result.lost == 0 and accounting.ok
        print("load:", "PASS" if ok else "FAIL",
              f"(failed first attempts {result.first_attempt_failures}, late {result.late}, lost {result.lost}, "
              f"accounting {'ok' if accounting.ok else 'NOT ok'})")  # fmt: skip
        return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
