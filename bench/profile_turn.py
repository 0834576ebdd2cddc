"""Where a webhook turn's time goes: the real app in-process, each phase timed on its own.

Builds the production app (safe mode, bench secrets, INFO logging to /dev/null as under gunicorn) on a fresh
SQLite file (or `--database-url`), warms it up, then sends `--pushes` signed safe-mode pushes straight to the WSGI
callable (no HTTP server, no client threads: what is left is the turn itself). The scenario is `bench/webhook.py`'s:
`first` (a new citizen's first message, a complaint from nlp/data/authored.jsonl) or `known`.

Each phase is the time spent in the functions that do it, exclusive of the phases nested in it (the tokenizer's
time is not also the classifier's); `other` is what no phase names: Flask and Werkzeug, SQLAlchemy outside the
named repositories, the rate limit, logging. A run first measures the turn unwrapped (the ms/turn to compare with
`bench/webhook.py`), then wrapped; `--cprofile N` adds cProfile's top N functions by own time.

    .venv/bin/python bench/profile_turn.py [--scenario first] [--pushes 2000] [--database-url URL] [--cprofile 30]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import services  # noqa: E402
from bench.webhook import TEXTS  # noqa: E402
from bench.webhook import complaint_texts  # noqa: E402
from bot.wechat.push_builder import PushSigner  # noqa: E402
from bot.wechat.push_builder import message_xml  # noqa: E402

_stack: list[list[float]] = []  # per active phase: [started, time spent in nested phases]
_spent: dict[str, float] = defaultdict(float)


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        frame = [time.perf_counter(), 0.0]
        _stack.append(frame)
        try:
            return fn(*args, **kwargs)
        finally:
            _stack.pop()
            took = time.perf_counter() - frame[0]
            _spent[name] += took - frame[1]
            if _stack:
                _stack[-1][1] += took

    return wrapper


def instrument() -> list[str]:
    """Wrap the functions of each phase where the turn looks them up (module or class attributes)."""
    from sqlalchemy import orm

    from bot import web
    from bot.service import intake
    from bot.wechat.protocol import WechatProtocol
    from nlp import features
    from nlp import model
    from storage import citizens
    from storage import dialogs
    from storage import inbound
    from storage import turn

    phases = [
        ("verify + decrypt", WechatProtocol, "open"),
        ("parse XML", WechatProtocol, "parse"),
        ("ledger claim", inbound, "claim"),
        ("read sender", turn, "sender_view"),
        ("claim + read sender", turn, "claim_with_view"),
        ("citizen insert", citizens, "touch"),
        ("dialog (pure)", intake, "dispatch"),
        ("classify ahead (rest)", intake, "classify_ahead"),  # SQLite: before the transaction
        ("classification (rest)", intake.IntakeContext, "_classify"),
        ("  features", model.TextModel, "vectorize"),
        ("  tokenizer (rjieba)", features, "_tokens"),
        ("draft + case writes", intake, "_apply"),
        ("  draft upsert", dialogs, "save"),
        ("ledger finish", inbound, "finish"),
        ("commit", orm.SessionTransaction, "commit"),
        ("reply XML", web, "render_text_reply"),
        ("encrypt reply", WechatProtocol, "seal"),
    ]
    names = []
    for name, owner, attr in phases:
        if not hasattr(owner, attr):
            print(f"(no {owner.__name__}.{attr}: phase {name.strip()} not measured)")
            continue
        setattr(owner, attr, timed(name, getattr(owner, attr)))
        names.append(name)
    return names


def pushes(env: dict[str, str], n: int, scenario: str, tag: str) -> list[dict[str, Any]]:
    from werkzeug.test import EnvironBuilder

    signer = PushSigner(token=env["WECHAT_TOKEN"], aes_key=env["WECHAT_AES_KEY"], app_id=env["WECHAT_APP_ID"])
    texts = complaint_texts() if scenario == "first" else TEXTS
    out = []
    for i in range(n):
        sender = f"o_prof_{tag}_{i}" if scenario == "first" else f"o_prof_{tag}_{i % 500}"
        push = signer.sign(message_xml("text", sender=sender, Content=texts[i % len(texts)]))
        builder = EnvironBuilder(path="/wechat", query_string=urlencode(push.query), method="POST", data=push.body,
                                 content_type="text/xml")  # fmt: skip
        out.append(builder.get_environ())
    return out


def run(app: Any, batch: list[dict[str, Any]]) -> float:
    status: list[str] = []

    def start_response(s: str, _headers: Any, _exc: Any = None) -> None:
        status.append(s)

    t0 = time.perf_counter()
    for environ in batch:
        body = b"".join(app(environ, start_response))
        if not status[-1].startswith("200") or not body:
            raise SystemExit(f"push failed: {status[-1]}")
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="first", choices=["first", "known"])
    parser.add_argument("--pushes", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--cprofile", type=int, default=0, help="also print cProfile's top N functions (own time)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    url = args.database_url or f"sqlite:///{tmp}/profile.db"
    env = services.server_env(url)
    os.environ.update(env)
    from bot import create_app
    from storage import migrate

    migrate.upgrade(url)
    app = create_app()
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (logs formatted as under gunicorn in the benchmarks, unread)
    run(app, pushes(env, 300, args.scenario, "warm"))
    half = args.pushes // 2
    plain = run(app, pushes(env, half, args.scenario, "plain")) / half
    names = instrument()
    wrapped = run(app, pushes(env, half, args.scenario, "wrapped")) / half
    total = wrapped * half
    print(f"{args.scenario} turn, in-process on {url.split(':')[0]}: {plain * 1000:.3f} ms/turn "
          f"({half} pushes); {wrapped * 1000:.3f} ms/turn with the phases timed")  # fmt: skip
    print(f"{'phase':<24} {'ms/turn':>8} {'share':>6}")
    for name in names:
        if _spent[name]:  # a phase the turn never entered (e.g. the separate claim and read of event pushes)
            print(f"{name:<24} {_spent[name] * 1000 / half:8.3f} {_spent[name] / total:6.1%}")
    other = total - sum(_spent.values())
    print(f"{'other (Flask, ORM, …)':<24} {other * 1000 / half:8.3f} {other / total:6.1%}")
    if args.cprofile:
        prof = cProfile.Profile()
        batch = pushes(env, half, args.scenario, "cprofile")
        prof.enable()
        run(app, batch)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.cprofile)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
