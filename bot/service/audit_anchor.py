"""Anchoring the audit chains: a signed daily checkpoint of every case's event count and head hash, written as a
file outside the database, and the verification of every chain against the key and the latest checkpoint.

The checkpoint directory is AUDIT_CHECKPOINT_DIR (default `instance/audit-checkpoints/`): put it on storage the
database owner cannot write (another host, a WORM bucket, a mounted log volume). Files are written once (0400) and
each signs the previous one's signature, so a removed or edited checkpoint shows up as a broken series.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path

from bot.runtime import Runtime
from bot.settings import INSTANCE_DIR
from storage import audit
from storage import cases as cases_repo

log = logging.getLogger("zhiyong.audit")


def checkpoint_dir(rt: Runtime) -> Path:
    return Path(rt.settings.env.audit_checkpoint_dir or INSTANCE_DIR / "audit-checkpoints")


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("checkpoint-*.json")) if folder.is_dir() else []


@dataclass
class Series:
    """The checkpoints found, the latest intact one, and what is wrong with the series."""

    latest: dict[str, object] | None = None
    problems: list[str] = field(default_factory=list)


def read_series(rt: Runtime) -> Series:
    series = Series()
    previous = ""
    for path in _files(checkpoint_dir(rt)):
        try:
            payload = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            series.problems.append(f"{path.name}: unreadable")
            continue
        if not audit.checkpoint_intact(payload, rt.settings.audit_key):
            series.problems.append(f"{path.name}: signature does not match (edited, or another key)")
            continue
        if payload.get("previous") != previous:
            series.problems.append(f"{path.name}: does not follow the checkpoint before it (one is missing)")
        previous = str(payload["signature"])
        series.latest = payload
    return series


def write_checkpoint(rt: Runtime, now: datetime) -> str:
    """Sign today's heads into a new file (once per day; an existing file is never overwritten)."""
    folder = checkpoint_dir(rt)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    day = now.astimezone(rt.tz).strftime("%Y-%m-%d")
    target = folder / f"checkpoint-{day}.json"
    if target.exists():
        return f"checkpoint {day} already written"
    series = read_series(rt)
    previous = str(series.latest["signature"]) if series.latest else ""
    with rt.db.transaction() as session:
        heads = cases_repo.chain_heads(session=session)
    payload = audit.sign_checkpoint(day, heads, previous, rt.settings.audit_key)
    tmp = target.with_suffix(".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.chmod(tmp, 0o400)
    os.replace(tmp, target)
    # The signature in the log too: a second, independent place the database owner does not control.
    log.info("audit checkpoint %s: %d cases, signature %s", day, len(heads), payload["signature"])
    return f"checkpoint {day}: {len(heads)} cases"


@dataclass
class VerifyReport:
    checked: int = 0
    broken: list[tuple[str, str]] = field(default_factory=list)  # (case number, what)
    checkpoint: str | None = None
    problems: list[str] = field(default_factory=list)


def verify_all(rt: Runtime) -> VerifyReport:
    """Every chain against the key, and against the latest intact checkpoint: no case may have fewer events than it
    recorded, nor a different event where its head was."""
    report = VerifyReport()
    series = read_series(rt)
    report.problems += series.problems
    anchored: dict[str, tuple[int, str]] = {}
    if series.latest is not None:
        report.checkpoint = str(series.latest["day"])
        anchored = {str(n): (int(c), str(h)) for n, c, h in series.latest["cases"]}  # type: ignore[misc,union-attr]
    seen: set[str] = set()
    with rt.db.transaction() as session:
        for case in cases_repo.all_cases(session=session):
            report.checked += 1
            seen.add(case.number)
            count, head = anchored.get(case.number, (0, ""))
            problem = cases_repo.verify_chain(session=session, case=case, anchored=count)
            if problem is None and count:
                at = cases_repo.event_hash_at(session=session, case_id=case.id, seq=count)
                if at is None:
                    problem = f"has fewer events than checkpoint {report.checkpoint} recorded ({count})"
                elif at != head:
                    problem = f"event {count} differs from checkpoint {report.checkpoint}"
            if problem:
                report.broken.append((case.number, problem))
    for number in sorted(set(anchored) - seen):
        report.broken.append((number, f"is gone, but checkpoint {report.checkpoint} recorded it"))
    return report
