"""`make run`: the development server, the scheduler and the loopback fake of WeChat's API, in one foreground
command that Ctrl-C stops cleanly. Development only; production runs gunicorn and the scheduler as services.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.settings import PROJECT_ROOT

LOGINS_FILE = "instance/demo-logins.txt"  # written by `demo seed --logins-file` (make run)

FLASK = str(Path(sys.executable).parent / "flask")


def _wait_until_up(url: str, procs: dict[str, subprocess.Popen[bytes]], seconds: float = 30.0) -> None:
    """Let the start-up chatter (first job runs, the first outbox drain) pass before the banner and the logins."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and all(p.poll() is None for p in procs.values()):
        try:
            with urllib.request.urlopen(url, timeout=1):
                break
        except urllib.error.HTTPError:
            break  # it answers (503 while degraded is still an answer)
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    time.sleep(1.5)


def main() -> int:
    port = os.environ.get("PORT", "5000")
    fake_port = os.environ.get("FAKE_WECHAT_PORT", "5001")
    env = dict(os.environ)
    env.setdefault("WECHAT_API_BASE_URL", f"http://127.0.0.1:{fake_port}")
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    commands = {
        "fake-wechat": [FLASK, "--app", "bot", "fake-wechat", "--port", fake_port],
        "scheduler": [FLASK, "--app", "bot", "scheduler"],
        "web": [FLASK, "--app", "bot", "run", "--host", "127.0.0.1", "--port", port],
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    for name, cmd in commands.items():
        procs[name] = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env)
        time.sleep(0.3)
    _wait_until_up(f"http://127.0.0.1:{port}/healthz", procs)
    print(
        f"\n  zhiyong 已启动（开发模式）\n"
        f"  · 模拟器       http://127.0.0.1:{port}/simulator/\n"
        f"  · 督办台       http://127.0.0.1:{port}/console/\n"
        f"  · 公众号接口   http://127.0.0.1:{port}/wechat\n"
        f"  · 健康检查     http://127.0.0.1:{port}/healthz\n"
        f"  · 微信接口模拟 http://127.0.0.1:{fake_port}\n"
        f"  · 终端聊天     ZHIYONG_ENV=development .venv/bin/flask --app bot chat --openid o_demo_1 --url http://127.0.0.1:{port}/wechat\n"
        f"  按 Ctrl-C 停止。\n",
        flush=True,
    )
    # Last, so they are what the console shows when the start-up chatter is over; the file keeps them.
    logins = PROJECT_ROOT / LOGINS_FILE
    if logins.exists():
        print(f"  {LOGINS_FILE}：\n" + logins.read_text("utf-8"), flush=True)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"zhiyong: {name} exited with {proc.returncode}; stopping the rest", file=sys.stderr)
                code = proc.returncode or 1
                stopping = True
                break
        time.sleep(0.3)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
