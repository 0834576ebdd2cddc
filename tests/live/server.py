"""Start the real server in a subprocess on a free port, wait for /healthz, and stop it afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]

    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(env: dict[str, str], tmp_path: Path, *, gunicorn: bool = True, workers: int = 2) -> LiveServer:
    port = free_port()
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1", "PORT": str(port)}
    subprocess.run(
        [str(BIN / "flask"), "--app", "bot", "db", "upgrade"], cwd=ROOT, env=full_env, check=True, capture_output=True
    )
    log_path = tmp_path / "server.log"
    if gunicorn:
        cmd = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "bot:create_app()"]  # fmt: skip
    else:
        cmd = [str(BIN / "flask"), "--app", "bot", "run", "--host", "127.0.0.1", "--port", str(port)]
    with log_path.open("wb") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", proc, log_path, full_env)
    deadline = time.monotonic() + 90  # a busy 2-core CI machine can take a while to start gunicorn
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if requests.get(server.url + "/healthz", timeout=5).status_code == 200:
                return server
        except requests.RequestException:  # not up yet, or slow to answer on a busy machine
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server did not become ready in 90 s:\n{server.log()}")
