"""The evidence download job: fetch citizens' photos and voice from WeChat before it deletes them (3 days).

Oldest intake first. Every download goes through `evidence_checks` (only the stripped file is stored) and into
`evidence_store`, with its SHA-256 recorded.
40007 (and no usable PicUrl) or past 72 h → 'lost'; disk full → stays 'pending' with the error and an alert. RELIABILITY 44, 45, 60, 81.

PicUrl fallback: a photo push carries both MediaId and PicUrl. When media/get answers 40007 (or there is no media
id) and the row has a PicUrl, the PicUrl is fetched instead: a plain GET on a fresh HTTP session (never the API
client's, so the access token, cookies and netrc credentials never go to that host), a short timeout, the same
10 MB cap, http(s) only (redirects are followed by hand, at most three, and only to http(s)); the bytes go
through the same checks and stripping. A definite failure there (4xx, not an image, a bad redirect) → 'lost';
a network error or 5xx → retry, until the 72 h cut-off.

Repeated downloads compare hashes (RELIABILITY 60). A recorded SHA-256 is never replaced: a second download of a
row that already has one (the lease ran out under a slow fetcher, or an operator's `evidence fetch --id`) that
hashes the same leaves the row stored and writes no second file (it restores the recorded file only if that is
missing or damaged; equal hashes prove the bytes are the same); one that hashes differently is not kept, the
original stays, and `zhiyong.alert` says so. A run that crashed after renaming its file but before committing
left an unrecorded `<evidence>-<hash>.<ext>`: the retry adopts it when the new download hashes the same, and
otherwise records the new download, leaves the old file untouched and alerts (an unrecorded file proves nothing
by itself: it may come from before a database restore). `flask --app bot evidence verify` re-reads every stored
file and compares it with the recorded hash. Images are compared after stripping, so a Pillow/libjpeg upgrade
that encodes differently would make an operator's re-fetch report a difference that is not tampering.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import time
from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin
from urllib.parse import urlsplit

import requests

from bot.runtime import Runtime
from bot.wechat.api import MAX_MEDIA_BYTES
from bot.wechat.api import Media
from bot.wechat.api import WechatApi
from bot.wechat.errors import ErrorKind
from bot.wechat.errors import WechatApiError
from bot.wechat.evidence_checks import IMAGE_KINDS
from bot.wechat.evidence_checks import CleanFile
from bot.wechat.evidence_checks import Refused
from bot.wechat.evidence_checks import check_content
from bot.wechat.evidence_store import evidence_dir
from bot.wechat.evidence_store import file_name
from bot.wechat.evidence_store import intact
from bot.wechat.evidence_store import leftover_digests
from bot.wechat.evidence_store import write_file
from storage import evidence as evidence_repo
from storage.models import Evidence

log = logging.getLogger("zhiyong.evidence")


alert_log = logging.getLogger("zhiyong.alert")


MEDIA_LIFETIME = timedelta(hours=72)  # WeChat: temporary media are deleted after 3 days


PIC_URL_TIMEOUT = (3.0, 10.0)  # connect, read (seconds): a CDN answers fast or not at all


PIC_URL_MAX_REDIRECTS = 3


class PicUrlError(Exception):
    """The PicUrl fallback failed; `transient` → worth another try later (network error, 5xx, 429)."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


@dataclass
class EvidenceReport:
    claimed: int = 0
    stored: int = 0
    retry: int = 0
    lost: int = 0
    refused: int = 0
    identical: int = 0  # downloaded again, same SHA-256 as recorded: nothing written
    mismatch: int = 0  # downloaded again, different SHA-256: original kept, alert raised
    from_pic_url: int = 0  # stored from the PicUrl after media/get said 40007
    unavailable: int = 0  # `evidence fetch --id`: not re-downloaded (not stored, past 72 h, WeChat says no)
    stopped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _NoCredentials(requests.auth.AuthBase):
    """No Authorization header, ever; being an auth, it also keeps requests from reading ~/.netrc for the host."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers.pop("Authorization", None)
        return r


def _check_pic_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise PicUrlError("not a URL", transient=False) from None
    if parts.scheme not in ("http", "https") or not host:
        raise PicUrlError(f"not an http(s) URL ({parts.scheme or 'no scheme'})", transient=False)
    if parts.username or parts.password:
        raise PicUrlError("the URL carries credentials", transient=False)


def _read_pic(resp: requests.Response, deadline: float) -> Media:
    status = resp.status_code
    if status != 200:
        raise PicUrlError(f"HTTP {status}", transient=status >= 500 or status == 429)
    declared = resp.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_MEDIA_BYTES:
        raise PicUrlError("larger than 10 MB", transient=False)
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_content(65536):
        size += len(chunk)
        if size > MAX_MEDIA_BYTES:
            raise PicUrlError("larger than 10 MB", transient=False)
        if time.monotonic() > deadline:
            raise PicUrlError("too slow", transient=True)
        chunks.append(chunk)
    ctype = resp.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
    return Media(content=b"".join(chunks), content_type=ctype)


def download_pic_url(
    url: str, *, timeout: tuple[float, float] = PIC_URL_TIMEOUT, http: requests.Session | None = None
) -> Media:
    """GET the PicUrl of a photo push: no token, no credentials, http(s) only (redirects too), at most 10 MB.

    :raises PicUrlError: with `transient` set for network errors, timeouts, 5xx and 429.
    """
    session = http or requests.Session()  # never the API client's session: nothing of WeChat's goes along
    deadline = time.monotonic() + 3 * sum(timeout)
    try:
        for _ in range(PIC_URL_MAX_REDIRECTS + 1):
            _check_pic_url(url)
            with session.get(
                url,
                timeout=timeout,
                stream=True,
                allow_redirects=False,
                auth=_NoCredentials(),
                headers={"Accept": "image/*"},
            ) as resp:
                if resp.is_redirect:
                    url = urljoin(url, resp.headers["Location"])
                    continue
                return _read_pic(resp, deadline)
        raise PicUrlError(f"more than {PIC_URL_MAX_REDIRECTS} redirects", transient=False)
    except requests.Timeout:
        raise PicUrlError("timeout", transient=True) from None
    except requests.RequestException as exc:
        raise PicUrlError(f"network error ({type(exc).__name__})", transient=True) from None
    finally:
        if http is None:
            session.close()


def _mismatch_alert(rec: evidence_repo.Recorded, recorded_sha: str, new_sha: str, source: str, what: str) -> None:
    alert_log.error(
        "ALERT evidence %s (case %s): a repeated download (%s) has SHA-256 %s…, %s %s…; the original is kept",
        rec.evidence_id,
        rec.case_number,
        source,
        new_sha[:16],
        what,
        recorded_sha[:16],
    )


def _record_download(
    rt: Runtime,
    root: Path,
    ev: Evidence,
    clean: CleanFile,
    digest: str,
    now: datetime,
    report: EvidenceReport,
    *,
    source: str,
) -> None:
    """Write the file (unless the same bytes are already there) and record it; a recorded hash is never replaced.

    :raises OSError: the file could not be written (the caller keeps the row pending and alerts).
    """
    with rt.db.transaction() as session:
        rec = evidence_repo.recorded(session=session, evidence_id=ev.id)
    if rec is None or rec.status not in ("pending", "stored"):
        log.info("evidence %s: row is %s now; download dropped", ev.id, rec.status if rec else "deleted")
        return
    expected = file_name(ev, digest, clean.ext)
    if rec.sha256:
        if rec.sha256 != digest:
            _mismatch_alert(rec, rec.sha256, digest, source, "the recorded one is")
            report.mismatch += 1
            return
        if rec.path == expected and not intact(root / expected, digest):
            # Equal hashes prove these are the recorded bytes: put the missing or damaged file back.
            write_file(root, expected, clean.content)
            alert_log.error("ALERT evidence %s (case %s): stored file was missing or damaged; restored from an "
                            "identical download", ev.id, rec.case_number)  # fmt: skip
        with rt.db.transaction() as session:
            evidence_repo.mark_stored(session=session, evidence_id=ev.id, now=now, path=expected, sha256=digest,
                                      content_type=clean.content_type, size=len(clean.content))  # fmt: skip
        report.identical += 1
        log.info("evidence %s: downloaded again, same SHA-256 as recorded", ev.id)
        return
    leftovers = leftover_digests(root, ev)
    differing = sorted({d for d in leftovers if d != digest})
    for other in differing:
        _mismatch_alert(rec, other, digest, source, "an earlier unrecorded file (left in place) has")
    wrote = digest not in leftovers  # the same bytes already renamed into place by a crashed run: adopt them
    if wrote:
        write_file(root, expected, clean.content)
    with rt.db.transaction() as session:
        outcome = evidence_repo.mark_stored(session=session, evidence_id=ev.id, now=now, path=expected,
                                            sha256=digest, content_type=clean.content_type,
                                            size=len(clean.content))  # fmt: skip
    if differing or outcome == "mismatch":
        report.mismatch += 1  # one per row, however many files disagree
    if outcome == "stored":
        report.stored += 1
        if source == "PicUrl":
            report.from_pic_url += 1
        log.info("evidence %s stored (%s, %d bytes, from %s)", ev.id, clean.content_type, len(clean.content), source)
        return
    if outcome == "same":  # another fetcher recorded the same bytes meanwhile, under the same name
        report.identical += 1
        return
    # Recorded by another fetcher with different bytes meanwhile ("mismatch"), or purged ("gone"): ours goes.
    if wrote:
        (root / expected).unlink(missing_ok=True)
    if outcome == "mismatch":
        with rt.db.transaction() as session:
            now_rec = evidence_repo.recorded(session=session, evidence_id=ev.id)
        if now_rec is not None and now_rec.sha256:
            _mismatch_alert(now_rec, now_rec.sha256, digest, source, "the recorded one is")


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
    media: Media | None = None
    source = "media/get"
    gone = "no media id to download"
    if ev.media_id:
        try:
            media = api.download_media(ev.media_id)
        except WechatApiError as exc:
            if exc.errcode == 40007:
                gone = "WeChat no longer has this media (40007)"
            elif exc.endpoint in ("stable_token", "token") or exc.kind in (ErrorKind.FATAL_CONFIG, ErrorKind.QUOTA):
                alert_log.error("ALERT evidence downloads stopped: %s", exc)
                retry(str(exc), counted=False)
                report.stopped = str(exc)
                return
            elif exc.kind is ErrorKind.PERMANENT:
                with rt.db.transaction() as session:
                    evidence_repo.mark_refused(session=session, evidence_id=ev.id, now=now, reason=str(exc))
                report.refused += 1
                return
            else:
                retry(str(exc))
                return
    if media is None:
        if not (ev.pic_url and ev.kind in IMAGE_KINDS):
            lost(gone, attempted=bool(ev.media_id))
            return
        try:
            media = download_pic_url(ev.pic_url)
        except PicUrlError as exc:
            if exc.transient:
                retry(f"{gone}; PicUrl: {exc}")
            else:
                lost(f"{gone}; PicUrl failed too: {exc}", attempted=True)
            return
        source = "PicUrl"
    try:
        clean = check_content(ev.kind, media)
    except Refused as exc:
        if source == "PicUrl":
            lost(f"{gone}; PicUrl content refused: {exc}", attempted=True)
            return
        with rt.db.transaction() as session:
            evidence_repo.mark_refused(session=session, evidence_id=ev.id, now=now, reason=str(exc))
        report.refused += 1
        log.warning("evidence %s refused: %s", ev.id, exc)
        return
    digest = hashlib.sha256(clean.content).hexdigest()
    try:
        _record_download(rt, root, ev, clean, digest, now, report, source=source)
    except OSError as exc:
        reason = "disk full (ENOSPC)" if exc.errno == errno.ENOSPC else f"cannot write evidence ({exc.strerror})"
        alert_log.error("ALERT evidence %s not saved: %s", ev.id, reason)
        retry(reason)
        report.stopped = reason  # the disk will not be emptier for the next row


def refetch(
    rt: Runtime,
    *,
    ids: list[int],
    now: datetime,
    directory: str | os.PathLike[str] | None = None,
    api: WechatApi | None = None,
) -> EvidenceReport:
    """An operator's re-download of stored rows (`evidence fetch --id`), compared with the recorded SHA-256.

    Same hash → `identical` (the file is restored if it went missing); different → `mismatch`, the original stays
    and an alert is logged. Only media/get is asked (a PicUrl copy is a different encoding, nothing to compare);
    a row that is not stored, is past 72 h, or that WeChat no longer serves counts as `unavailable` and is left
    exactly as it was.
    """
    root = evidence_dir(rt, directory)
    report = EvidenceReport()
    with rt.db.transaction() as session:
        rows = evidence_repo.rows_by_id(session=session, ids=ids)
    report.claimed = len(rows)
    report.unavailable = len(set(ids)) - len(rows)
    owned = api is None and bool(rows)
    client = api if not owned else WechatApi.from_runtime(rt)
    try:
        for ev in rows:
            why = None
            if ev.status != "stored" or not ev.sha256:
                why = f"status {ev.status}: nothing recorded to compare with"
            elif not ev.media_id or now - ev.received_at > MEDIA_LIFETIME:
                why = "WeChat no longer keeps it (72 h)"
            else:
                assert client is not None
                try:
                    clean = check_content(ev.kind, client.download_media(ev.media_id))
                except (WechatApiError, Refused) as exc:
                    why = str(exc)
            if why is not None:
                report.unavailable += 1
                log.warning("evidence %s: not re-downloaded: %s", ev.id, why)
                continue
            digest = hashlib.sha256(clean.content).hexdigest()
            try:
                _record_download(rt, root, ev, clean, digest, now, report, source="operator re-fetch")
            except OSError as exc:
                alert_log.error("ALERT evidence %s: cannot restore its file (%s)", ev.id, exc.strerror)
                report.unavailable += 1
    finally:
        if owned and client is not None:
            client.close()
    log.info("evidence re-fetch: %s", " ".join(f"{k}={v}" for k, v in report.as_dict().items() if v))
    return report
