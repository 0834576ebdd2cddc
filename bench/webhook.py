"""Webhook throughput: the full zhiyong intake turn vs bare echo baselines, same machine, same run.

Contenders, each under gunicorn with the same settings (gunicorn.conf.py: 2 workers x GUNICORN_THREADS, by default 1
on SQLite - the baselines too - and 2 on PostgreSQL; workers are not recycled during a run, so /proc sees all CPU):
- baseline: a bare Flask + wechatpy safe-mode echo (bench/echo_app.py): decrypt, parse, echo, encrypt;
- WeRoBot's safe-mode echo with its default session storage (SQLite) and without sessions (bench/echo_werobot.py),
  when WeRoBot is installed (`pip install werobot==1.13.1`);
- the floor (bench/echo_floor.py): the echo plus classifying the text and one durable write, nothing else of the
  turn, on each database of the run (`--no-floor` leaves it out);
- zhiyong's full turn (verify, decrypt, dedupe, dialog, classification, case and outbox writes, encrypted reply)
  on SQLite and, with `--databases sqlite,postgresql`, on a fresh PostgreSQL database.

All servers start first and are warmed up; then the client drives them in interleaved rounds (so drifting
machine load hits every contender alike; the order rotates each round, so no contender always follows the same
one) with pre-signed safe-mode text pushes (a fresh MsgId each) from a threaded client on loopback. Reported:
requests/s, p50/p99 latency, server CPU per request (user+sys of the gunicorn tree from /proc), RSS per worker
after warm-up, and each throughput's ratio to the Flask+wechatpy echo.

    .venv/bin/python bench/webhook.py [--seconds 10] [--rounds 2] [--concurrency 8] [--workers 2]
                                      [--databases sqlite,postgresql] [--database-url URL] [--json FILE]
                                      [--scenario first,known] [--compare-ref COMMIT]
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import services  # noqa: E402
from bench.loadgen import children  # noqa: E402
from bench.loadgen import rss_kb  # noqa: E402
from bot.wechat.push_builder import PushSigner  # noqa: E402
from bot.wechat.push_builder import message_xml  # noqa: E402

BIN = Path(sys.executable).parent
TEXTS = ["不动产登记中心窗口的人态度很差，让我跑了三趟", "车管所换驾照要我交好处费", "你好", "社保局上班时间没人"]
AUTHORED = ROOT / "nlp" / "data" / "authored.jsonl"
SCENARIOS = {
    "known": "a known citizen's ordinary turn: 500 openids in rotation, four short texts",
    "first": "a new citizen's first message, a complaint: a fresh openid every push, texts from nlp/data/authored.jsonl",
}
AIM_RATIO = 0.35  # SQLite, of the echo's throughput (issue 18)
AIM_RATIO_PG = 0.30
AIM_VS_WEROBOT = 2.0  # of WeRoBot's echo with its default session
AIM_P99_MS = 20.0
FLOOR = "floor: echo+classify+write"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(database_url: str) -> dict[str, str]:
    return {**os.environ, **services.server_env(database_url), "GUNICORN_ACCESSLOG": "/dev/null"}


def start(app_spec: str, env: dict[str, str], workers: int, root: Path = ROOT) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    # --max-requests 0: a worker recycled mid-run (gunicorn.conf.py: every ~20,000 requests, which the echo reaches
    # in two scenarios) would take its CPU seconds out of /proc and a cold start into the measured rounds.
    cmd = [str(BIN / "gunicorn"), "-c", str(root / "gunicorn.conf.py"), "--workers", str(workers),
           "--max-requests", "0", "--bind", f"127.0.0.1:{port}", app_spec]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=root, env={**env, "PYTHONPATH": str(root)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            ok = conn.getresponse().status == 200
            conn.close()
            if ok:
                return proc, port
        except OSError:
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{app_spec} did not start")


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a process tree (gunicorn master and workers) from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, IndexError):
            pass
    return total


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    empty: int = 0
    seconds: float = 0.0
    cpu: float = 0.0


def drive(port: int, pushes: list[tuple[str, bytes]], seconds: float, concurrency: int, sample: Sample) -> None:
    index = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal index
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            while time.monotonic() < stop_at:
                with lock:
                    if index >= len(pushes):
                        return
                    path, body = pushes[index]
                    index += 1
                t0 = time.perf_counter()
                empty = False
                try:
                    conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
                    resp = conn.getresponse()
                    empty = not resp.read()
                    ok = resp.status == 200
                except OSError:
                    ok = False
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                dt = time.perf_counter() - t0
                with lock:
                    sample.latencies.append(dt)
                    sample.errors += not ok
                    sample.empty += ok and empty
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sample.seconds += time.monotonic() - started


def complaint_texts() -> list[str]:
    """The authored complaints (written whole, many voices), in file order: what a citizen's first message is like."""
    rows = (json.loads(line) for line in AUTHORED.read_text(encoding="utf-8").splitlines() if line.strip())
    return [r["text"] for r in rows if r.get("intent") == "complaint"]


def make_pushes(env: dict[str, str], n: int, tag: str, scenario: str = "known") -> list[tuple[str, bytes]]:
    signer = PushSigner(token=env["WECHAT_TOKEN"], aes_key=env["WECHAT_AES_KEY"], app_id=env["WECHAT_APP_ID"])
    first = scenario == "first"
    texts = complaint_texts() if first else TEXTS
    out = []
    for i in range(n):
        sender = f"o_new_{tag}_{i}" if first else f"o_bench_{tag}_{i % 500}"
        xml = message_xml("text", sender=sender, Content=texts[i % len(texts)])
        push = signer.sign(xml)
        out.append(("/wechat?" + urlencode(push.query), push.body))
    return out


@dataclass
class Contender:
    name: str
    spec: str
    env: dict[str, str]
    root: Path = ROOT
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    sample: Sample = field(default_factory=Sample)
    rss_warm_kb: list[int] = field(default_factory=list)
    rss_end_kb: list[int] = field(default_factory=list)

    def result(self) -> dict[str, float | int | str | list[int]]:
        lat = sorted(self.sample.latencies)
        q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [0.0] * 99
        n = len(lat)
        return {"name": self.name, "requests": n, "errors": self.sample.errors, "empty": self.sample.empty,
                "rps": n / self.sample.seconds if self.sample.seconds else 0.0, "p50_ms": q[49] * 1000,
                "p99_ms": q[98] * 1000, "cpu_ms_per_req": self.sample.cpu * 1000 / max(1, n),
                "rss_warm_mb": [round(k / 1024, 1) for k in self.rss_warm_kb],
                "rss_end_mb": [round(k / 1024, 1) for k in self.rss_end_kb]}  # fmt: skip


def werobot_installed() -> bool:
    return importlib.util.find_spec("werobot") is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per contender (all rounds)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--databases", default="sqlite", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--database-url", default=None, help="run the full turn on this database only")
    parser.add_argument("--scenario", default="known",
                        help="comma-separated, each measured on every contender in this run: "
                             + "; ".join(f"{k} = {v}" for k, v in SCENARIOS.items()))  # fmt: skip
    parser.add_argument(
        "--compare-ref",
        default=None,
        metavar="REF",
        help="also run zhiyong as of this git commit (its own code and gunicorn.conf.py, this "
        "checkout's venv and model) on each database of --databases, in the same rounds: before/after in one run",
    )
    parser.add_argument("--no-floor", action="store_true", help="leave out the floor contender (bench/echo_floor.py)")
    parser.add_argument("--json", dest="json_out", default=None)
    args = parser.parse_args()
    scenarios = [x.strip() for x in args.scenario.split(",") if x.strip()]
    for x in scenarios:
        if x not in SCENARIOS:
            parser.error(f"unknown scenario {x!r} (known: {', '.join(SCENARIOS)})")
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        base_env = env_for(f"sqlite:///{tmp}/echo.db")
        contenders = [Contender("flask+wechatpy echo (baseline)", "bench.echo_app:create_app()", base_env)]
        if werobot_installed():
            wr_env = {**base_env, "WEROBOT_SESSION_DIR": tmp}
            contenders.append(Contender("werobot echo, sqlite session", "bench.echo_werobot:session_app()", wr_env))
            contenders.append(Contender("werobot echo, no session", "bench.echo_werobot:plain_app()", wr_env))
        else:
            print("WeRoBot not installed: its baselines are skipped (pip install werobot==1.13.1 bottle==0.13.4)")
        databases: list[tuple[str, str]] = []
        if args.database_url:
            databases.append((args.database_url.split(":")[0].split("+")[0], args.database_url))
        else:
            for kind in [d.strip() for d in args.databases.split(",") if d.strip()]:
                if kind == "sqlite":
                    databases.append(("sqlite", f"sqlite:///{tmp}/bench.db"))
                elif kind == "postgresql":
                    if services.postgres_available():
                        databases.append(
                            ("postgresql", stack.enter_context(services.fresh_postgres("zhiyong_bench_web")))
                        )
                    else:
                        print("PostgreSQL not reachable: the PostgreSQL variant is skipped")
                else:
                    parser.error(f"unknown database kind {kind!r}")
        for kind, url in databases:
            if not args.no_floor:  # on the same kind of database, with the same gunicorn threads as zhiyong's turn
                floor_url = scratch_database(stack, tmp, kind, "bench_floor")
                floor_env = {**env_for(floor_url), "FLOOR_DB": floor_url.removeprefix("sqlite:///")}
                contenders.append(Contender(f"{FLOOR}, {kind}", "bench.echo_floor:create_app()", floor_env))
            env = env_for(url)
            subprocess.run([str(BIN / "flask"), "--app", "bot", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                           capture_output=True)  # fmt: skip
            contenders.append(Contender(f"zhiyong full turn, {kind}", "bot:create_app()", env))
        if args.compare_ref:
            root = stack.enter_context(checkout(args.compare_ref, Path(tmp) / "ref"))
            for kind, _url in databases:
                env = env_for(scratch_database(stack, tmp, kind, "bench_web_ref"))
                subprocess.run([str(BIN / "flask"), "--app", "bot", "db", "upgrade"], cwd=root,
                               env={**env, "PYTHONPATH": str(root)}, check=True, capture_output=True)  # fmt: skip
                contenders.append(
                    Contender(f"zhiyong at {args.compare_ref[:10]}, {kind}", "bot:create_app()", env, root)
                )

        threads = os.environ.get("GUNICORN_THREADS", "1 (SQLite) / 2 (PostgreSQL)")
        print(f"webhook benchmark: {args.seconds:g} s per contender in {args.rounds} rounds, {args.concurrency} "
              f"concurrent, gunicorn {args.workers} workers x {threads} threads, {os.cpu_count()} CPUs")  # fmt: skip
        for c in contenders:
            c.proc, c.port = start(c.spec, c.env, args.workers, c.root)
            stack.callback(_stop, c.proc)
        per_round = args.seconds / args.rounds
        for c in contenders:  # warm-up: imports, model, connections, first dialog rows
            drive(c.port, make_pushes(c.env, 400, f"warm{c.port}"), 3, args.concurrency, Sample())
            c.rss_warm_kb = [rss_kb(p) or 0 for p in children(c.proc.pid)]  # type: ignore[union-attr]
        budget = int(per_round * 3000)  # more pushes than any contender can answer in a round
        results: dict[str, list[dict[str, float | int | str | list[int]]]] = {}
        for scenario in scenarios:
            for c in contenders:
                c.sample = Sample()
            for r in range(args.rounds):
                # A contender measured right after a heavy one runs slower (caches full of the other's model):
                # the order rotates every round so that no contender always follows the same one.
                k = r % len(contenders)
                for c in contenders[k:] + contenders[:k]:
                    pushes = make_pushes(c.env, budget, f"{scenario}r{r}p{c.port}", scenario)
                    cpu0 = cpu_seconds(c.proc.pid)  # type: ignore[union-attr]
                    drive(c.port, pushes, per_round, args.concurrency, c.sample)
                    c.sample.cpu += cpu_seconds(c.proc.pid) - cpu0  # type: ignore[union-attr]
            for c in contenders:
                c.rss_end_kb = [rss_kb(p) or 0 for p in children(c.proc.pid)]  # type: ignore[union-attr]
            results[scenario] = [c.result() for c in contenders]
    for scenario, rows in results.items():
        report(scenario, rows)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


def report(scenario: str, results: list[dict[str, float | int | str | list[int]]]) -> None:
    """One table: every contender's figures and its ratio to the echo, measured in the same run."""
    print(f"\nscenario {scenario}: {SCENARIOS[scenario]}")
    base_rps = float(results[0]["rps"]) or 1.0
    werobot = next((float(r["rps"]) for r in results if str(r["name"]) == "werobot echo, sqlite session"), None)
    print(f"{'contender':<38} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>8} {'cpu ms/req':>10} "
          f"{'errors':>6}  RSS/worker MB (warm → end)")  # fmt: skip
    for res in results:
        ratio = float(res["rps"]) / base_rps
        res["ratio"] = ratio
        print(f"{res['name']:<38} {res['rps']:8.1f} {ratio:5.2f}x {res['p50_ms']:7.2f} {res['p99_ms']:8.2f} "
              f"{res['cpu_ms_per_req']:10.2f} {int(res['errors']) + int(res['empty']):6d}  "
              f"{res['rss_warm_mb']} → {res['rss_end_mb']}")  # fmt: skip
    for res in results:
        if str(res["name"]).startswith(FLOOR):
            line = (f"{res['name']} ({scenario}; bench/echo_floor.py: nothing of the turn but classifying and one "
                    f"durable write): {float(res['ratio']):.2f}x echo, p99 {float(res['p99_ms']):.1f} ms")  # fmt: skip
            if werobot:
                line += f", {float(res['rps']) / werobot:.2f}x WeRoBot (sqlite session)"
            print(line)
        if not str(res["name"]).startswith("zhiyong"):
            continue
        aim = AIM_RATIO if "sqlite" in str(res["name"]) else AIM_RATIO_PG
        ratio = float(res["ratio"])
        line = (f"aim for {res['name']} ({scenario}): ≥ {aim}x echo: {'met' if ratio >= aim else 'MISSED'} "
                f"({ratio:.2f}x); p99 ≤ {AIM_P99_MS:g} ms: {'met' if float(res['p99_ms']) <= AIM_P99_MS else 'MISSED'} "
                f"({float(res['p99_ms']):.1f} ms)")  # fmt: skip
        if werobot:
            vs = float(res["rps"]) / werobot
            line += f"; ≥ {AIM_VS_WEROBOT:g}x WeRoBot (sqlite session): {'met' if vs >= AIM_VS_WEROBOT else 'MISSED'} ({vs:.2f}x)"
        print(line)
    # The turn against its floor and against an older commit on the same database, measured in the same rounds.
    for other in (r for r in results if str(r["name"]).startswith((FLOOR, "zhiyong at "))):
        kind = str(other["name"]).rsplit(", ", 1)[1]
        now = next((r for r in results if str(r["name"]) == f"zhiyong full turn, {kind}"), None)
        if now and float(other["rps"]):
            label = "its floor" if str(other["name"]).startswith(FLOOR) else other["name"]
            print(f"zhiyong full turn, {kind} / {label} ({scenario}): {float(now['rps']) / float(other['rps']):.2f}x "
                  f"the throughput, p99 {float(now['p99_ms']):.1f} vs {float(other['p99_ms']):.1f} ms, "
                  f"CPU {float(now['cpu_ms_per_req']):.2f} vs {float(other['cpu_ms_per_req']):.2f} ms per push")  # fmt: skip


def scratch_database(stack: ExitStack, tmp: str, kind: str, name: str) -> str:
    """A fresh database of `kind` for one contender: an SQLite file in `tmp`, or a PostgreSQL database dropped when
    `stack` closes."""
    if kind == "sqlite":
        return f"sqlite:///{tmp}/{name}.db"
    return stack.enter_context(services.fresh_postgres(f"zhiyong_{name}"))


@contextmanager
def checkout(ref: str, path: Path) -> Iterator[Path]:
    """A detached worktree of `ref`, with this checkout's trained model when the ref has none (it is not in git)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref], check=True,
                   capture_output=True)  # fmt: skip
    try:
        model = path / "nlp" / "model"
        if not (model / "metadata.json").exists() and (ROOT / "nlp" / "model" / "metadata.json").exists():
            shutil.copytree(ROOT / "nlp" / "model", model, dirs_exist_ok=True)
        yield path
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], capture_output=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    raise SystemExit(main())
