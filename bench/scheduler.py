"""Scheduler jobs with 100,000 open cases on PostgreSQL: one reminder sweep and one outbox drain (aim: < 1 s each).

A fresh database (created and dropped here) gets 100,000 open cases awaiting an answer (bench/casegen.py), their
assignments, one historical `sent` outbox row per case, and citizens to write to. Then, in the same run:

- reminder sweep (`bot.service.jobs.sweep_reminders`, working time): with `--due` cases whose next rung is due (a minute's
  worth in a city this size), then again with none due (the indexed `next_reminder_at` read alone), then with a
  `--backlog` of due cases (after a weekend or an outage). Baseline: a plain SELECT of the same due rows;
- outbox drain (`bot.wechat.sender.drain`, limit 100, rate limit raised) against the loopback fake of WeChat's API, with
  `--pending` due rows among the 100,000 sent ones; then draining every pending row (messages/s). Baseline: the
  claim's SELECT of the same rows plus the same number of bare HTTP POSTs to the fake.

    .venv/bin/python bench/scheduler.py [--cases 100000] [--due 100] [--backlog 2000] [--pending 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from contextlib import ExitStack
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench import casegen  # noqa: E402
from bench import services  # noqa: E402
from bot import jobs  # noqa: E402
from bot.dev.fake_wechat import FakeWechat  # noqa: E402
from bot.dev.fake_wechat import start_fake_wechat  # noqa: E402
from bot.runtime import build_runtime  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.wechat.sender import drain  # noqa: E402
from handlers.lifecycle import AWAITING_ANSWER  # noqa: E402
from storage import migrate  # noqa: E402
from storage.models import Case  # noqa: E402
from storage.models import Citizen  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10:00 Beijing: working time
APP_ID, SECRET = services.BENCH_APP_ID, services.BENCH_APP_SECRET


def make_due(engine: sa.Engine, ids: list[int]) -> None:
    """These cases' sign-for deadline passed an hour ago and nothing fired yet: one rung each is due now."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(Case)
            .where(Case.id.in_(ids))
            .values(
                state="assigned",
                signed_at=None,
                sign_due=NOW - timedelta(hours=1),
                answer_due=NOW + timedelta(days=4),
                answer_started_at=NOW - timedelta(days=1),
                next_reminder_at=NOW - timedelta(hours=1),
            )  # fmt: skip
        )


def due_select(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        stmt = (
            sa.select(Case)
            .where(Case.next_reminder_at <= NOW, Case.state.in_(sorted(AWAITING_ANSWER)))
            .order_by(Case.next_reminder_at, Case.id)
            .limit(500)
        )
        return len(conn.execute(stmt).all())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=300)
    parser.add_argument("--pending", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a fresh PostgreSQL database")
    args = parser.parse_args()
    with ExitStack() as stack:
        url = args.database_url
        if url is None:
            if not services.postgres_available():
                print("scheduler benchmark: skipped, PostgreSQL is not reachable at", services.PG_ADMIN_URL)
                return 0
            url = stack.enter_context(services.fresh_postgres("zhiyong_bench_sched"))
        migrate.upgrade(url)
        fake = stack.enter_context(start_fake_wechat(FakeWechat(APP_ID, SECRET)))
        rt = build_runtime(load_settings(services.server_env(url, WECHAT_API_BASE_URL=fake.url), env_file=None))
        rt.clock = lambda: NOW
        stack.callback(rt.db.dispose)
        engine = rt.db.engine
        city = rt.settings.city

        t = time.perf_counter()
        shape = casegen.CaseShape(count=args.cases, begin=NOW - timedelta(days=30), end=NOW, now=NOW,
                                  open_share=1.0, rated_share=0.0)  # fmt: skip
        casegen.insert_cases(engine, city, shape)
        rng = random.Random(5)
        with engine.begin() as conn:  # every awaiting case has a next rung, in the future for now
            conn.execute(sa.text("UPDATE cases SET next_reminder_at = created_at + interval '40 days' "
                                 "WHERE state IN :s").bindparams(sa.bindparam("s", expanding=True)),
                         {"s": sorted(AWAITING_ANSWER)})  # fmt: skip
        history = [
            {"id": i, "idempotency_key": f"hist:{i}", "recipient_kind": "supervisor", "recipient": "sup_bdc",
             "channel": "template", "purpose": "case_new", "payload": {"text": "x"}, "case_id": i, "status": "sent",
             "attempts": 1, "next_attempt_at": NOW - timedelta(days=1), "created_at": NOW - timedelta(days=1),
             "sent_at": NOW - timedelta(days=1)}
            for i in range(1, args.cases + 1)
        ]  # fmt: skip
        casegen.insert_rows(engine, OutboxMessage.__table__, history)  # type: ignore[arg-type]
        citizens = [{"pseudonym": f"pbench{i:08d}", "openid": f"o_bench_{i:08d}", "subscribed": True,
                     "first_seen_at": NOW - timedelta(days=3), "last_message_at": NOW - timedelta(hours=2)}
                    for i in range(args.pending)]  # fmt: skip
        casegen.insert_rows(engine, Citizen.__table__, citizens)  # type: ignore[arg-type]
        pending = [
            {"id": args.cases + 1 + i, "idempotency_key": f"bench:{i}", "recipient_kind": "citizen",
             "recipient": f"pbench{i:08d}", "channel": "auto", "purpose": "case_signed",
             "payload": {"text": f"您反映的问题（工单号 ZB{i:012d}）已签收。"}, "case_id": 1 + i, "status": "pending",
             "attempts": 0, "next_attempt_at": NOW - timedelta(minutes=1), "created_at": NOW - timedelta(minutes=1)}
            for i in range(args.pending)
        ]  # fmt: skip
        casegen.insert_rows(engine, OutboxMessage.__table__, pending)  # type: ignore[arg-type]
        casegen.fix_sequences(engine)
        casegen.analyze(engine)
        with engine.connect() as conn:
            ids = list(conn.execute(sa.text("SELECT id FROM cases WHERE state IN ('assigned','signed','in_progress',"
                                             "'escalated','extension','reopened')")).scalars())  # fmt: skip
        rng.shuffle(ids)
        print(f"scheduler benchmark: {args.cases:,} open cases, {args.cases + args.pending:,} outbox rows "
              f"({args.pending:,} due), postgresql; filled in {time.perf_counter() - t:.0f} s")  # fmt: skip

        # -- reminder sweep --------------------------------------------------------------------------------------
        results: list[tuple[str, float, float]] = []
        make_due(engine, ids[: args.due])
        t = time.perf_counter()
        n = due_select(engine)
        base = time.perf_counter() - t
        t = time.perf_counter()
        summary = jobs.sweep_reminders(rt, NOW)
        sweep = time.perf_counter() - t
        results.append((f"reminder sweep, {args.due} due ({summary})", sweep, base))
        t = time.perf_counter()
        due_select(engine)
        base0 = time.perf_counter() - t
        t = time.perf_counter()
        summary = jobs.sweep_reminders(rt, NOW)
        results.append((f"reminder sweep, none due ({summary})", time.perf_counter() - t, base0))
        make_due(engine, ids[args.due : args.due + args.backlog])
        t = time.perf_counter()
        due_select(engine)
        base_b = (time.perf_counter() - t) * (args.backlog / 500)  # the baseline reads in the sweep's batches
        t = time.perf_counter()
        summary = jobs.sweep_reminders(rt, NOW)
        results.append((f"reminder sweep, backlog {args.backlog} ({summary})", time.perf_counter() - t, base_b))
        assert n == min(args.due, 500)

        # -- outbox drain --------------------------------------------------------------------------------------
        from bot.wechat.api import WechatApi

        with WechatApi.from_runtime(rt) as api:
            api.tokens.get()  # the token is fetched once, before timing: a drain normally finds it cached
        with engine.connect() as conn:
            t = time.perf_counter()
            conn.execute(sa.select(OutboxMessage).where(OutboxMessage.status == "pending",
                                                        OutboxMessage.next_attempt_at <= NOW)
                         .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(100)).all()  # fmt: skip
            select_s = time.perf_counter() - t
        token = fake.state.current_token
        with requests.Session() as http:
            t = time.perf_counter()
            for i in range(100):
                http.post(f"{fake.url}/cgi-bin/message/custom/send", params={"access_token": token},
                          json={"touser": f"o_bench_floor_{i}", "msgtype": "text", "text": {"content": "x"}},
                          timeout=10)  # fmt: skip
            posts_s = time.perf_counter() - t
        t = time.perf_counter()
        report = drain(rt, now=NOW, limit=100, rate_per_second=100_000)
        one = time.perf_counter() - t
        results.append((f"outbox drain, limit 100 (sent {report.sent})", one, select_s + posts_s))
        t = time.perf_counter()
        sent = report.sent
        for _ in range(args.pending // 100 + 5):
            r = drain(rt, now=NOW, limit=100, rate_per_second=100_000)
            sent += r.sent
            if r.claimed == 0:
                break
        rest = time.perf_counter() - t
        with engine.connect() as conn:
            left = conn.execute(sa.text("SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'bench:%' "
                                        "AND status <> 'sent'")).scalar_one()  # fmt: skip

        print(f"{'job':<58} {'time':>9} {'baseline':>9} {'ratio':>7}  aim < 1 s")
        for name, seconds, baseline in results:
            print(f"{name:<58} {seconds:8.3f}s {baseline:8.3f}s {seconds / baseline:6.1f}x  "
                  f"{'met' if seconds < 1 else 'MISSED'}")  # fmt: skip
        print(f"outbox drain of all {args.pending} due rows: {sent} sent, {left} of them not sent, "
              f"{(sent - report.sent) / rest:.0f} messages/s after the first batch "
              f"(baseline floor: bare POSTs {100 / posts_s:.0f}/s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
