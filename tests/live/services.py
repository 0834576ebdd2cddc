"""Services for the live, load and fault tests: Redis and PostgreSQL per the suite's skip/fail rule, and a
private, throw-away PostgreSQL cluster that a fault test may restart.

Why a private cluster for the restart test: the machine's PostgreSQL (127.0.0.1:5432) is shared with whatever
else is running (other suites, other sessions); restarting it would break them. A cluster initialised in a temp
directory on a free loopback port behaves the same (same binaries, same server restart) and is removed
afterwards, in a `finally`, whatever happens.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES
from tests.live.server import free_port

PG_BIN_ROOT = Path("/usr/lib/postgresql")


def dead_redis_url() -> str:
    """A Redis URL on a loopback port where nothing listens (connection refused at once)."""
    return f"redis://127.0.0.1:{free_port()}/0"


def pg_bin() -> Path | None:
    versions = sorted((p for p in PG_BIN_ROOT.glob("*/bin") if (p / "initdb").exists()), reverse=True)
    return versions[0] if versions else None


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; the packaged `postgres` account owns the cluster instead.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PrivatePostgres:
    """A PostgreSQL cluster of our own on 127.0.0.1:<free port>, trust auth, in a temp directory."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="zhiyong-pg-"))
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/zhiyong"

    def _run(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(_as_postgres([str(self.bin / args[0]), *args[1:]]), check=True, capture_output=True,
                       timeout=timeout)  # fmt: skip

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "zhiyong")

    def _ctl(self, action: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
        self._run("pg_ctl", action, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30", "-m", "fast",
                  "-o", opts)  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30")
            except subprocess.SubprocessError:
                pass

    def ready(self) -> bool:
        result = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                                check=False)  # fmt: skip
        return result.returncode == 0

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """Yield a running private cluster; stopped and deleted afterwards no matter what. Skip/fail per the rule."""
    bin_dir = pg_bin()
    if bin_dir is None or shutil.which("runuser") is None and os.geteuid() == 0:
        if REQUIRE_SERVICES:
            pytest.fail("ZHIYONG_REQUIRE_SERVICES is set but the PostgreSQL server binaries are not installed")
        pytest.skip("PostgreSQL server binaries not installed")
    assert bin_dir is not None
    pg = PrivatePostgres(bin_dir)
    try:
        try:
            pg.init()
        except (subprocess.SubprocessError, OSError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            message = f"cannot start a private PostgreSQL cluster: {exc} {detail.decode(errors='replace')[-300:]}"
            if REQUIRE_SERVICES:
                pytest.fail(message)
            pytest.skip(message)
        yield pg
    finally:
        pg.remove()


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    """Poll `predicate` until it is true or `timeout` passes; bounded, never sleeps past the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
