"""Webhook throughput: the full zhiyong intake turn vs a bare Flask + wechatpy echo, same machine, same run.

Both run under gunicorn with the same worker settings; a threaded client on loopback sends pre-signed safe-mode
text pushes (a fresh MsgId each) and measures requests/s and latency percentiles.

    .venv/bin/python bench/webhook.py [--seconds 10] [--concurrency 8] [--workers 2] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.pushes import PushSigner  # noqa: E402
from bot.pushes import message_xml  # noqa: E402

BIN = Path(sys.executable).parent
TEXTS = ["不动产登记中心窗口的人态度很差，让我跑了三趟", "车管所换驾照要我交好处费", "你好", "社保局上班时间没人"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "WECHAT_TOKEN": "benchtoken",
        "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "WECHAT_APP_ID": "wxbench0000000001",
        "WECHAT_APP_SECRET": "bench-app-secret",
        "SECRET_KEY": "bench-secret-key-000000",
        "PSEUDONYM_KEY": "bench-pseudonym-key-0000",
        "DATABASE_URL": database_url,
        "ZHIYONG_ENV": "production",
        "GUNICORN_ACCESSLOG": "/dev/null",
        "GUNICORN_LOGLEVEL": "warning",
    }


def start(app_spec: str, env: dict[str, str], workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    cmd = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers", str(workers),
           "--bind", f"127.0.0.1:{port}", app_spec]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{app_spec} did not start")


def cpu_seconds(pid: int) -> float:
    """User+system CPU of a process tree (gunicorn master and workers) from /proc."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    pids = [pid] + [int(p) for p in children]
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (FileNotFoundError, IndexError):
            pass
    return total


def drive(port: int, pushes: list[tuple[str, bytes]], seconds: float, concurrency: int) -> dict[str, float]:
    lat: list[float] = []
    errors = 0
    index = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        nonlocal errors, index
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop_at:
            with lock:
                if index >= len(pushes):
                    return
                path, body = pushes[index]
                index += 1
            t0 = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers={"Content-Type": "text/xml"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                ok = False
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            dt = time.perf_counter() - t0
            with lock:
                lat.append(dt)
                errors += not ok

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    lat.sort()
    q = statistics.quantiles(lat, n=100) if len(lat) > 2 else [0] * 99
    return {"requests": len(lat), "errors": errors, "rps": len(lat) / elapsed, "p50_ms": q[49] * 1000,
            "p99_ms": q[98] * 1000}  # fmt: skip


def make_pushes(env: dict[str, str], n: int) -> list[tuple[str, bytes]]:
    signer = PushSigner(token=env["WECHAT_TOKEN"], aes_key=env["WECHAT_AES_KEY"], app_id=env["WECHAT_APP_ID"])
    out = []
    for i in range(n):
        xml = message_xml("text", sender=f"o_bench_{i % 500}", Content=TEXTS[i % len(TEXTS)])
        push = signer.sign(xml)
        out.append(("/wechat?" + urlencode(push.query), push.body))
    return out


def run_one(name: str, spec: str, env: dict[str, str], args: argparse.Namespace) -> dict[str, float]:
    proc, port = start(spec, env, args.workers)
    try:
        drive(port, make_pushes(env, 200), 2, args.concurrency)  # warm-up: imports, model, connections
        pushes = make_pushes(env, int(args.seconds * 3000))
        cpu0 = cpu_seconds(proc.pid)
        result = drive(port, pushes, args.seconds, args.concurrency)
        result["cpu_ms_per_req"] = (cpu_seconds(proc.pid) - cpu0) * 1000 / max(1, result["requests"])
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    print(f"{name:<28} {result['rps']:8.1f} req/s  p50 {result['p50_ms']:6.2f} ms  p99 {result['p99_ms']:6.2f} ms  "
          f"cpu {result['cpu_ms_per_req']:5.2f} ms/req  errors {result['errors']}")  # fmt: skip
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        env = env_for(url)
        subprocess.run([str(BIN / "flask"), "--app", "bot", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)  # fmt: skip
        print(f"webhook benchmark: {args.seconds:.0f} s each, {args.concurrency} concurrent, "
              f"gunicorn {args.workers} workers, {os.cpu_count()} CPUs, db={url.split(':')[0]}")  # fmt: skip
        base = run_one("baseline flask+wechatpy echo", "bench.echo_app:create_app()", env, args)
        full = run_one("zhiyong full intake turn", "bot:create_app()", env, args)
    print(f"ratio (zhiyong / baseline throughput): {full['rps'] / base['rps']:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
