"""Every benchmark in one invocation (`make bench-all`), one after another so they do not disturb each other.

Each benchmark measures its own baseline in its own run and prints its ratios; this prints their outputs in
sections, then one line per benchmark with its exit status and wall time. `--quick` shrinks every size for a
smoke run (the numbers are then not the ones bench/README.md records).

    .venv/bin/python bench/run_all.py [--quick] [--only webhook,nlp,similarity,scheduler,digest,load]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

FULL: dict[str, list[str]] = {
    "webhook": ["bench/webhook.py", "--seconds", "10", "--rounds", "2", "--databases", "sqlite,postgresql"],
    "turn_db": ["bench/turn_db.py"],
    "nlp": ["bench/nlp.py"],
    "similarity": ["bench/similarity.py"],
    "scheduler": ["bench/scheduler.py"],
    "digest": ["bench/digest.py"],
    "load": ["bench/load.py"],
}
QUICK: dict[str, list[str]] = {
    "webhook": ["bench/webhook.py", "--seconds", "3", "--rounds", "1", "--databases", "sqlite,postgresql"],
    "turn_db": ["bench/turn_db.py", "--turns", "300", "--rounds", "3"],
    "nlp": ["bench/nlp.py", "--messages", "300", "--repeat", "1"],
    "similarity": ["bench/similarity.py"],
    "scheduler": ["bench/scheduler.py", "--cases", "10000", "--due", "20", "--backlog", "50", "--pending", "200"],
    "digest": ["bench/digest.py", "--cases", "50000"],
    "load": ["bench/load.py", "--rate", "20", "--seconds", "10"],
}


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return (f"{platform.node()} {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu}), "
            f"Python {platform.python_version()}, load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default=",".join(FULL))
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(plan)
    if unknown:
        parser.error(f"unknown benchmark(s): {sorted(unknown)}")
    print(f"# zhiyong benchmarks — {time.strftime('%Y-%m-%d %H:%M %Z')}\n# {machine()}\n")
    summary: list[tuple[str, int, float]] = []
    for name in names:
        cmd = [PY, *plan[name]]
        print(f"## {name}: {' '.join(plan[name])}", flush=True)
        t = time.monotonic()
        code = subprocess.run(cmd, cwd=ROOT, timeout=3600).returncode  # output goes straight to ours
        summary.append((name, code, time.monotonic() - t))
        print(flush=True)
    print("## summary")
    for name, code, seconds in summary:
        print(f"{name:<12} exit {code}  {seconds:6.0f} s")
    return max((code for _, code, _ in summary), default=0)


if __name__ == "__main__":
    raise SystemExit(main())
