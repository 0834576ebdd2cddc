"""Evidence downloads: fetch citizens' photos and voice from WeChat before it deletes them (3 days), strip images.

Oldest intake first. Images are checked (a file claiming to be an image must decode as JPEG, PNG or GIF) and
re-encoded with Pillow without EXIF, GPS, maker notes, thumbnails, XMP or ICC data; only the stripped file is
stored, and its SHA-256 recorded. Voice (AMR/Speex/MP3) and video (MP4) are checked by signature and stored as
they are. Files go to `instance/evidence/<case>/<evidence>-<hash>.<ext>` (0600, written to a temporary name
and renamed, so a half-written file is never visible) and are never served without authentication.
40007 or past 72 h → 'lost'; disk full → stays 'pending' with the error and an alert. RELIABILITY 44, 45, 60, 81.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

from PIL import Image
from PIL import ImageOps
from PIL import ImageSequence
from PIL import UnidentifiedImageError

from bot.runtime import Runtime
from bot.settings import INSTANCE_DIR
from bot.wechat_api import ErrorKind
from bot.wechat_api import Media
from bot.wechat_api import WechatApi
from bot.wechat_api import WechatApiError
from storage import evidence as evidence_repo
from storage.models import Evidence

log = logging.getLogger("zhiyong.evidence")
alert_log = logging.getLogger("zhiyong.alert")

MEDIA_LIFETIME = timedelta(hours=72)  # WeChat: temporary media are deleted after 3 days
MAX_PIXELS = 40_000_000  # well above any phone photo; refuses decompression bombs before decoding
MAX_VOICE_BYTES = 2 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "GIF": ("image/gif", "gif")}


class Refused(Exception):
    """The content is not what it claims to be (or too large): never stored."""


@dataclass
class EvidenceReport:
    claimed: int = 0
    stored: int = 0
    retry: int = 0
    lost: int = 0
    refused: int = 0
    stopped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class CleanFile:
    content: bytes
    content_type: str
    ext: str


def evidence_dir(rt: Runtime, directory: str | os.PathLike[str] | None = None) -> Path:
    """Where evidence lives: the argument, `rt.services["evidence_dir"]`, or `instance/evidence`."""
    return Path(directory or rt.services.get("evidence_dir") or INSTANCE_DIR / "evidence")


# -- content checks -------------------------------------------------------------------------------------------


def strip_image(data: bytes) -> CleanFile:
    """Decode, check and re-encode an image without any metadata; EXIF orientation is applied first.

    :raises Refused: not a JPEG/PNG/GIF, damaged, or absurdly large.
    """
    try:
        with Image.open(BytesIO(data)) as probe:
            fmt = probe.format
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise Refused(f"image too large ({width}x{height})")
            probe.verify()
        image = Image.open(BytesIO(data))
        image.load()
    except Refused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Refused(f"not a readable image ({type(exc).__name__})") from None
    if fmt not in IMAGE_FORMATS:
        raise Refused(f"unsupported image format {fmt}")
    content_type, ext = IMAGE_FORMATS[fmt]
    out = BytesIO()
    with image:
        if fmt == "JPEG":
            # Orientation lives in EXIF; apply it to the pixels before the tag goes, or the photo turns sideways.
            clean = ImageOps.exif_transpose(image)
            clean.info = {}
            clean.save(out, "JPEG", quality=95)
        elif fmt == "PNG":
            clean = image.copy()
            clean.info = {}
            clean.save(out, "PNG")
        else:
            frames = []
            for frame in ImageSequence.Iterator(image):
                copy = frame.copy()
                copy.info = {k: v for k, v in frame.info.items() if k in ("duration", "transparency")}
                frames.append(copy)
            frames[0].save(out, "GIF", save_all=len(frames) > 1, append_images=frames[1:], loop=0)
    result = out.getvalue()
    with Image.open(BytesIO(result)) as check:
        # Belt and braces: if a Pillow upgrade ever starts copying metadata, refuse rather than store it.
        if check.getexif() or {"exif", "xmp", "icc_profile", "comment"} & set(check.info):
            raise Refused("metadata survived stripping")
    return CleanFile(result, content_type, ext)


def _voice(data: bytes) -> CleanFile:
    if len(data) > MAX_VOICE_BYTES:
        raise Refused("voice larger than 2 MB")
    if data.startswith(b"#!AMR"):
        return CleanFile(data, "audio/amr", "amr")
    if data.startswith(b"OggS") or data.startswith(b"Speex"):
        return CleanFile(data, "audio/speex", "spx")
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return CleanFile(data, "audio/mpeg", "mp3")
    raise Refused("not an AMR, Speex or MP3 voice file")


def _video(data: bytes) -> CleanFile:
    if data[4:8] == b"ftyp":
        return CleanFile(data, "video/mp4", "mp4")
    raise Refused("not an MP4 video")


def check_content(kind: str, media: Media) -> CleanFile:
    """What gets stored for an evidence row of `kind`, decided by the bytes rather than what they claim.

    :raises Refused: the content does not match the kind.
    """
    if kind in ("image", "photo", "picture"):
        return strip_image(media.content)
    if kind == "voice":
        return _voice(media.content)
    if kind in ("video", "shortvideo"):
        return _video(media.content)
    if media.content_type.startswith("image/"):
        return strip_image(media.content)
    raise Refused(f"unsupported evidence kind {kind!r}")


# -- storing ----------------------------------------------------------------------------------------------


def _write(root: Path, ev: Evidence, clean: CleanFile, digest: str) -> str:
    folder = root / str(ev.case_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{ev.id}-{digest[:12]}.{clean.ext}"
    target = folder / name
    tmp = folder / f".{name}.part"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(clean.content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return f"{ev.case_id}/{name}"


# -- the job --------------------------------------------------------------------------------------------------


def fetch_pending(
    rt: Runtime,
    *,
    now: datetime,
    limit: int = 20,
    directory: str | os.PathLike[str] | None = None,
    api: WechatApi | None = None,
) -> EvidenceReport:
    """Download, check, strip and store due evidence rows (oldest intake first); never raises for WeChat."""
    root = evidence_dir(rt, directory)
    report = EvidenceReport()
    with rt.db.transaction() as session:
        rows = evidence_repo.claim_due(session=session, now=now, limit=limit)
    report.claimed = len(rows)
    if not rows:
        return report
    owned = api is None
    client = api or WechatApi.from_runtime(rt)
    try:
        for ev in rows:
            if report.stopped:
                with rt.db.transaction() as session:
                    # Give the lease back at once so the next run does not wait for it.
                    row = session.get(Evidence, ev.id)
                    if row is not None and row.status == "pending":
                        row.next_attempt_at = now
                continue
            _one(rt, client, root, ev, now, report)
    finally:
        if owned:
            client.close()
    log.info("evidence fetch: %s", " ".join(f"{k}={v}" for k, v in report.as_dict().items() if v))
    return report


def _one(rt: Runtime, api: WechatApi, root: Path, ev: Evidence, now: datetime, report: EvidenceReport) -> None:
    def lost(reason: str, *, attempted: bool) -> None:
        with rt.db.transaction() as session:
            evidence_repo.mark_lost(session=session, evidence_id=ev.id, now=now, reason=reason, attempted=attempted)
        report.lost += 1
        log.warning("evidence %s (case %s) lost: %s", ev.id, ev.case_id, reason)

    def retry(error: str, *, counted: bool = True) -> None:
        with rt.db.transaction() as session:
            evidence_repo.mark_retry(session=session, evidence_id=ev.id, now=now, error=error, counted=counted)
        report.retry += 1
        log.info("evidence %s: will retry: %s", ev.id, error)

    if now - ev.received_at > MEDIA_LIFETIME:
        lost("not downloaded within 72 h; WeChat has deleted it", attempted=False)
        return
    if not ev.media_id:
        lost("no media id to download", attempted=False)
        return
    try:
        media = api.download_media(ev.media_id)
    except WechatApiError as exc:
        if exc.errcode == 40007:
            lost("WeChat no longer has this media (40007)", attempted=True)
        elif exc.endpoint in ("stable_token", "token") or exc.kind in (ErrorKind.FATAL_CONFIG, ErrorKind.QUOTA):
            alert_log.error("ALERT evidence downloads stopped: %s", exc)
            retry(str(exc), counted=False)
            report.stopped = str(exc)
        elif exc.kind is ErrorKind.PERMANENT:
            with rt.db.transaction() as session:
                evidence_repo.mark_refused(session=session, evidence_id=ev.id, now=now, reason=str(exc))
            report.refused += 1
        else:
            retry(str(exc))
        return
    try:
        clean = check_content(ev.kind, media)
    except Refused as exc:
        with rt.db.transaction() as session:
            evidence_repo.mark_refused(session=session, evidence_id=ev.id, now=now, reason=str(exc))
        report.refused += 1
        log.warning("evidence %s refused: %s", ev.id, exc)
        return
    digest = hashlib.sha256(clean.content).hexdigest()
    try:
        path = _write(root, ev, clean, digest)
    except OSError as exc:
        reason = "disk full (ENOSPC)" if exc.errno == errno.ENOSPC else f"cannot write evidence ({exc.strerror})"
        alert_log.error("ALERT evidence %s not saved: %s", ev.id, reason)
        retry(reason)
        report.stopped = reason  # the disk will not be emptier for the next row
        return
    with rt.db.transaction() as session:
        evidence_repo.mark_stored(
            session=session,
            evidence_id=ev.id,
            now=now,
            path=path,
            sha256=digest,
            content_type=clean.content_type,
            size=len(clean.content),
        )
    report.stored += 1
    log.info("evidence %s stored (%s, %d bytes)", ev.id, clean.content_type, len(clean.content))
