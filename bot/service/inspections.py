"""明查暗访 in one transaction: record a visit with its photos (re-encoded without EXIF/GPS, size and type checked,
written like evidence under `instance/evidence/inspections/<id>/`), open a case from a finding (channel
"inspection", shown as 明查暗访, routed like a complaint with 回避), and a month's visits for `inspection list`.

The rules are `handlers.inspection`'s; the photo checks are the evidence store's (`bot.wechat.evidence_checks`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import orm

from bot.runtime import Runtime
from bot.service import casework
from bot.wechat.evidence_checks import CleanFile
from bot.wechat.evidence_checks import Refused
from bot.wechat.evidence_checks import strip_image
from bot.wechat.evidence_store import evidence_dir
from bot.wechat.evidence_store import file_name
from bot.wechat.evidence_store import write_file
from handlers import inspection as rules
from handlers.dialog.types import CaseDraft
from handlers.masking import mask_text
from handlers.visibility import StaffMember
from storage import cases as cases_repo
from storage import evidence as evidence_repo
from storage import inspections as repo
from storage.models import Case
from storage.models import Inspection

log = logging.getLogger("zhiyong.inspections")

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 8 * 1024 * 1024  # per photo, as uploaded
MAX_UPLOAD_BYTES = MAX_PHOTOS * MAX_PHOTO_BYTES + 256 * 1024  # the whole form
PHOTO_DIR = "inspections"


def clean_photos(uploads: Sequence[bytes]) -> list[CleanFile]:
    """Each photo decoded, checked and re-encoded without metadata. :raises rules.InspectionError:"""
    photos = [data for data in uploads if data]
    if len(photos) > MAX_PHOTOS:
        raise rules.InspectionError(f"一次最多上传 {MAX_PHOTOS} 张照片")
    out = []
    for i, data in enumerate(photos, start=1):
        if len(data) > MAX_PHOTO_BYTES:
            raise rules.InspectionError(f"第 {i} 张照片过大（每张最多 {MAX_PHOTO_BYTES // 1024 // 1024} MB）")
        try:
            out.append(strip_image(data))
        except Refused:
            raise rules.InspectionError(f"第 {i} 张照片无法识别：只接受 JPEG、PNG、GIF 图片") from None
    return out


def record(session: orm.Session, rt: Runtime, inspector_id: int, visit: rules.VisitInput,
           photos: Sequence[CleanFile], now: datetime) -> Inspection:  # fmt: skip
    """Store the visit and its (already stripped) photos."""
    row = repo.add(session=session, inspector_id=inspector_id, unit=visit.unit, window=visit.window,
                   visited_at=visit.visited_at, checks=visit.checks, wait_minutes=visit.wait_minutes,
                   findings=visit.findings, now=now)  # fmt: skip
    root = evidence_dir(rt)
    for i, clean in enumerate(photos, start=1):
        digest = hashlib.sha256(clean.content).hexdigest()
        rel = f"{PHOTO_DIR}/{row.id}/{i}-{digest[:12]}.{clean.ext}"
        write_file(root, rel, clean.content)
        repo.add_photo(session=session, inspection_id=row.id, sha256=digest, path=rel, content_type=clean.content_type,
                       size_bytes=len(clean.content), now=now)  # fmt: skip
    log.info("inspection %s recorded (%d photos)", row.id, len(photos))
    return row


def open_case(session: orm.Session, rt: Runtime, member: StaffMember, row: Inspection, *, actor: str,
              now: datetime) -> Case:  # fmt: skip
    """A case from the visit's finding: its text says where, when and what failed; its photos go with it as
    evidence (copies, so the case's retention never touches the inspection's own). :raises rules.InspectionError:"""
    city = rt.settings.city
    if row.case_id is not None:
        raise rules.InspectionError("该暗访记录已立案")
    if not rules.may_inspect(member, row.unit, city):
        raise rules.InspectionError(f"回避：您所属的单位与{city.unit_name(row.unit)}有关，不能据此立案")
    limit = city.inspections.wait_limit_minutes
    failures = rules.failed(_checks(row), row.wait_minutes, limit)
    if not failures and not row.findings:
        raise rules.InspectionError("该次暗访没有不合格项或发现的问题，无需立案")
    when = row.visited_at.astimezone(rt.tz).strftime("%Y年%m月%d日%H:%M")
    text = rules.case_text(city.unit_name(row.unit), row.window, when, failures, row.findings)
    c = rt.classifier.classify(text)
    draft = CaseDraft(
        text=text, category=c.category, unit=row.unit, classification=c,
        triage=(c.category_confidence or c.confidence) < city.nlp.category_threshold,
        unit_source="inspection", window=row.window, occurred_on=row.visited_at.astimezone(rt.tz).date(),
        occurred_text=when,
    )  # fmt: skip
    case = casework.submit(session, rt, draft, f"inspection:{row.id}", now, channel="inspection", actor=actor)
    _copy_photos(session, rt, case, row, now)
    row.case_id = case.id
    cases_repo.append_event(session=session, case=case, at=now, actor=actor, action="inspection_case",
                            from_state=case.state, to_state=case.state, note=f"据明查暗访记录 #{row.id} 立案")  # fmt: skip
    log.info("inspection %s opened case %s", row.id, case.number)
    return case


def _checks(row: Inspection) -> dict[str, bool | None]:
    return {key: getattr(row, key) for key in rules.CHECKS}


def _copy_photos(session: orm.Session, rt: Runtime, case: Case, row: Inspection, now: datetime) -> None:
    root = evidence_dir(rt)
    for photo in repo.photos(session=session, inspection_id=row.id):
        with (root / photo.path).open("rb") as fh:
            content = fh.read()
        ev = cases_repo.add_evidence(session=session, case=case, kind="image", media_id=None, pic_url=None, at=now)
        session.flush()
        rel = file_name(ev, photo.sha256, photo.path.rsplit(".", 1)[-1])
        write_file(root, rel, content)
        evidence_repo.mark_stored(session=session, evidence_id=ev.id, now=now, path=rel, sha256=photo.sha256,
                                  content_type=photo.content_type, size=len(content))  # fmt: skip


def as_dict(rt: Runtime, row: Inspection, inspector: str, case_number: str | None, photos: int) -> dict[str, Any]:
    """One visit as `inspection list --json` prints it (no photo paths, no case text)."""
    limit = rt.settings.city.inspections.wait_limit_minutes
    checks = _checks(row)
    assessed, passed = rules.score(checks, row.wait_minutes, limit)
    return {
        "id": row.id,
        "inspector": inspector,
        "unit": row.unit,
        "unit_name": rt.settings.city.unit_name(row.unit),
        "window": row.window,
        "visited_at": row.visited_at.astimezone(rt.tz).isoformat(),
        "checks": {key: checks[key] for key in rules.CHECKS},
        "wait_minutes": row.wait_minutes,
        "wait_limit_minutes": limit,
        "assessed": assessed,
        "passed": passed,
        "failed": rules.failed(checks, row.wait_minutes, limit),
        "findings": mask_text(row.findings) if row.findings else None,
        "photos": photos,
        "case": case_number,
    }


def month_rows(session: orm.Session, rt: Runtime, start: datetime, end: datetime) -> list[dict[str, Any]]:
    found = repo.listing(session=session, inspector_id=None, start=start, end=end)
    counts = repo.photo_counts(session=session, inspection_ids=[i.id for i, _, _ in found])
    return [as_dict(rt, i, who, number, counts.get(i.id, 0)) for i, who, number in reversed(found)]


def unit_checks(session: orm.Session, rt: Runtime, start: datetime, end: datetime) -> dict[str, tuple[int, int, int]]:
    """unit → (inspections, items assessed, items passed) in [start, end): the standing's 暗访 component."""
    limit = rt.settings.city.inspections.wait_limit_minutes
    out: dict[str, tuple[int, int, int]] = {}
    for row in repo.between(session=session, start=start, end=end):
        assessed, passed = rules.score(_checks(row), row.wait_minutes, limit)
        n, a, p = out.get(row.unit, (0, 0, 0))
        out[row.unit] = (n + 1, a + assessed, p + passed)
    return out
