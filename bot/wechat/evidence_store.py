"""The evidence file store: `instance/evidence/<case>/<evidence>-<hash>.<ext>`, and its verification.

Files are written 0600 under a temporary name and renamed, so a half-written file is never visible, and are never
served without authentication. `flask --app bot evidence verify` re-reads every stored file and compares it with
the recorded SHA-256 (RELIABILITY 60).
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from bot.runtime import Runtime
from bot.settings import INSTANCE_DIR
from bot.wechat.evidence_checks import EXT_TYPES
from storage import evidence as evidence_repo
from storage.models import Evidence

log = logging.getLogger("zhiyong.evidence")


alert_log = logging.getLogger("zhiyong.alert")


MAX_ALERT_LINES = 50  # `evidence verify`: one alert line per problem up to this, then a summary


def evidence_dir(rt: Runtime, directory: str | os.PathLike[str] | None = None) -> Path:
    """Where evidence lives: the argument, `rt.services["evidence_dir"]`, or `instance/evidence`."""
    return Path(directory or rt.services.get("evidence_dir") or INSTANCE_DIR / "evidence")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def intact(path: Path, digest: str) -> bool:
    try:
        return sha256_file(path) == digest
    except OSError:
        return False


def file_name(ev: Evidence, digest: str, ext: str) -> str:
    return f"{ev.case_id}/{ev.id}-{digest[:12]}.{ext}"


def write_file(root: Path, rel: str, content: bytes) -> None:
    target = root / rel
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = folder / f".{target.name}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def leftover_digests(root: Path, ev: Evidence) -> list[str]:
    """Hashes of intact `<evidence>-<hash>.<ext>` files a crashed run renamed into place but never recorded."""
    found: list[str] = []
    try:
        candidates = sorted((p for p in (root / str(ev.case_id)).glob(f"{ev.id}-*") if p.is_file()), key=str)
    except OSError:
        return found
    for path in candidates:
        ext = path.suffix[1:]
        try:
            digest = sha256_file(path)
        except OSError:
            continue
        if ext in EXT_TYPES and path.name == f"{ev.id}-{digest[:12]}.{ext}":
            found.append(digest)
        else:
            log.warning("evidence %s: leftover file %s does not match its name; left alone", ev.id, path.name)
    return found


PROBLEMS = {
    "missing": "file missing",
    "mismatch": "SHA-256 does not match the recorded one",
    "unreadable": "file cannot be read",
    "unrecorded": "stored without a path or SHA-256",
    "outside": "recorded path is outside the evidence folder",
}


@dataclass
class VerifyProblem:
    evidence_id: int
    case_number: str
    problem: str  # a key of PROBLEMS
    path: str | None
    recorded_sha256: str | None
    actual_sha256: str | None = None

    @property
    def description(self) -> str:
        return PROBLEMS[self.problem]


@dataclass
class VerifyReport:
    total: int = 0
    checked: int = 0
    intact: int = 0
    problems: list[VerifyProblem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.problems,
            "checked": self.checked,
            "intact": self.intact,
            "problems": [asdict(p) | {"description": p.description} for p in self.problems],
        }


def _verify_one(root: Path, resolved_root: Path, rec: evidence_repo.Recorded) -> VerifyProblem | None:
    def problem(kind: str, actual: str | None = None) -> VerifyProblem:
        return VerifyProblem(rec.evidence_id, rec.case_number, kind, rec.path, rec.sha256, actual)

    if not rec.path or not rec.sha256:
        return problem("unrecorded")
    target = root / rec.path
    try:
        inside = target.resolve().is_relative_to(resolved_root)
    except (OSError, RuntimeError):
        inside = False
    if not inside:
        return problem("outside")
    try:
        actual = sha256_file(target)
    except FileNotFoundError:
        return problem("missing")
    except OSError:
        return problem("unreadable")
    return None if actual == rec.sha256 else problem("mismatch", actual)


def verify_store(
    rt: Runtime,
    *,
    directory: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 500,
    batch: int = 500,
) -> VerifyReport:
    """Re-read every stored evidence file and compare its SHA-256 with the recorded one (`evidence verify`).

    Each problem is logged on `zhiyong.alert` (evidence id, case number, path; never case text or identities),
    the first MAX_ALERT_LINES one by one, then a summary. Rows are read in keyset pages, so a long check holds
    no transaction; `progress(checked, total)` is called every `progress_every` files and at the end.
    """
    root = evidence_dir(rt, directory)
    resolved_root = root.resolve()
    report = VerifyReport()
    with rt.db.transaction() as session:
        report.total = evidence_repo.count_stored(session=session)
    after = 0
    while True:
        with rt.db.transaction() as session:
            rows = evidence_repo.stored_batch(session=session, after_id=after, limit=batch)
        if not rows:
            break
        for rec in rows:
            after = rec.evidence_id
            report.checked += 1
            found = _verify_one(root, resolved_root, rec)
            if found is None:
                report.intact += 1
            else:
                report.problems.append(found)
                if len(report.problems) <= MAX_ALERT_LINES:
                    alert_log.error("ALERT evidence %s (case %s): %s (%s)", found.evidence_id, found.case_number,
                                    found.description, found.path)  # fmt: skip
            if progress is not None and report.checked % progress_every == 0:
                progress(report.checked, report.total)
    if progress is not None and report.checked % progress_every:
        progress(report.checked, report.total)
    if report.problems:
        alert_log.error("ALERT evidence verify: %d of %d stored files missing or not matching their SHA-256",
                        len(report.problems), report.checked)  # fmt: skip
    log.info("evidence verify: checked=%d intact=%d problems=%d", report.checked, report.intact, len(report.problems))
    return report
