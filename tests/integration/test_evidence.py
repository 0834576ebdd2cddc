"""Evidence downloads against the loopback fake: SHA-256, EXIF/GPS stripped, lost media, disk full, bad content,
the PicUrl fallback, repeated downloads compared by hash, and `evidence verify` (RELIABILITY 60)."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import ExifTags
from PIL import Image

from bot import create_app
from bot.dev.fake_wechat import SAMPLE_VOICE
from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import RunningFake
from bot.dev.fake_wechat import sample_jpeg
from bot.dev.fake_wechat import start_fake_wechat
from bot.runtime import Runtime
from bot.runtime import runtime
from bot.wechat import evidence_store as evidence_mod
from bot.wechat.evidence_checks import strip_image
from bot.wechat.evidence_fetch import fetch_pending
from bot.wechat.evidence_fetch import refetch
from storage import evidence as evidence_repo
from storage.models import Case
from storage.models import Evidence
from tests.conftest import TEST_APP_ID
from tests.conftest import Clock
from tests.conftest import make_settings


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    with start_fake_wechat(FakeWechat(TEST_APP_ID, "test-app-secret-0001")) as running:
        yield running


@pytest.fixture
def evidence_app(any_db_url: str, fake: RunningFake, clock: Clock, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(make_settings(any_db_url, WECHAT_API_BASE_URL=fake.url), clock=clock)
    runtime(app).services["evidence_dir"] = tmp_path / "evidence"
    yield app
    runtime(app).db.dispose()


@pytest.fixture
def rt(evidence_app: Flask) -> Runtime:
    return runtime(evidence_app)


def add_evidence(
    rt: Runtime, kind: str, media_id: str | None, *, received_at: datetime, pic_url: str | None = None
) -> int:
    with rt.db.transaction() as session:
        # A Core insert of just the columns a case needs, so this test does not depend on the case workflow.
        case_id = session.execute(
            sa.insert(Case.__table__)  # type: ignore[arg-type]
            .values(
                number=f"ZY{uuid.uuid4().hex[:10]}",
                public_id=uuid.uuid4().hex[:24],
                pseudonym="p_test",
                state="submitted",
                category="attitude",
                respondent_unit="bdc",
                text="(test)",
                unit_source="test",
                classification={},
                created_at=received_at,
                updated_at=received_at,
            )
            .returning(Case.__table__.c.id)
        ).scalar_one()
        ev = Evidence(
            case_id=case_id, kind=kind, media_id=media_id, pic_url=pic_url, received_at=received_at, status="pending"
        )
        session.add(ev)
        session.flush()
        return ev.id


def get(rt: Runtime, evidence_id: int) -> Evidence:
    with rt.db.transaction() as session:
        ev = session.get(Evidence, evidence_id)
        assert ev is not None
        return ev


def fetch(rt: Runtime, clock: Clock, **kwargs: Any):  # type: ignore[no-untyped-def]
    return fetch_pending(rt, now=clock.now, limit=10, **kwargs)


def test_a_photo_is_stored_stripped_of_exif_and_gps_with_its_sha256(
    rt: Runtime, fake: RunningFake, clock: Clock
) -> None:
    original = sample_jpeg()
    with Image.open(BytesIO(original)) as im:  # the fixture really carries what must go
        assert im.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    media_id = fake.state.add_media(original, "image/jpeg")
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=2))

    report = fetch(rt, clock)

    assert report.stored == 1
    ev = get(rt, ev_id)
    assert (ev.status, ev.content_type, ev.attempts) == ("stored", "image/jpeg", 1)
    stored = Path(rt.services["evidence_dir"]) / (ev.path or "")
    data = stored.read_bytes()
    assert hashlib.sha256(data).hexdigest() == ev.sha256 and ev.size_bytes == len(data)
    assert data != original and b"FakeMaker" not in data and b"SN-0042" not in data
    with Image.open(stored) as im:
        exif = im.getexif()
        assert not exif and not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in im.info and im.size == (64, 48)
    assert stored.stat().st_mode & 0o777 == 0o600
    assert not list(stored.parent.glob(".*.part"))
    assert fetch(rt, clock).claimed == 0  # done once


def test_a_rotated_photo_keeps_its_orientation() -> None:
    img = Image.new("RGB", (40, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    buf = BytesIO()
    img.save(buf, "JPEG", exif=exif)
    clean = strip_image(buf.getvalue())
    with Image.open(BytesIO(clean.content)) as out:
        assert out.size == (20, 40) and not out.getexif()


def test_voice_is_stored_as_is(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(SAMPLE_VOICE, "audio/amr")
    ev_id = add_evidence(rt, "voice", media_id, received_at=clock.now - timedelta(minutes=5))

    assert fetch(rt, clock).stored == 1
    ev = get(rt, ev_id)
    assert ev.content_type == "audio/amr" and ev.sha256 == hashlib.sha256(SAMPLE_VOICE).hexdigest()


def test_oldest_intake_goes_first(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    newer = add_evidence(rt, "image", fake.state.add_media(sample_jpeg()), received_at=clock.now - timedelta(hours=1))
    older = add_evidence(rt, "image", fake.state.add_media(sample_jpeg()), received_at=clock.now - timedelta(hours=50))

    assert fetch_pending(rt, now=clock.now, limit=1).stored == 1
    assert get(rt, older).status == "stored" and get(rt, newer).status == "pending"


def test_40007_marks_the_evidence_lost(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    fake.state.expire_media(media_id)
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=70))

    assert fetch(rt, clock).lost == 1
    ev = get(rt, ev_id)
    assert ev.status == "lost" and "40007" in (ev.last_error or "") and ev.path is None


def test_past_72_hours_it_is_lost_without_asking(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=73))

    assert fetch(rt, clock).lost == 1
    assert get(rt, ev_id).status == "lost" and "72 h" in (get(rt, ev_id).last_error or "")
    assert not any(c["endpoint"] == "media/get" for c in fake.state.calls)


def test_disk_full_keeps_it_pending_with_an_alert(
    rt: Runtime, fake: RunningFake, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    media_id = fake.state.add_media(sample_jpeg())
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=1))
    real_fdopen = evidence_mod.os.fdopen

    class FullDisk:
        def __init__(self, fd: int, mode: str) -> None:
            self.fh = real_fdopen(fd, mode)

        def __enter__(self) -> FullDisk:
            return self

        def __exit__(self, *exc: object) -> None:
            self.fh.close()

        def write(self, data: bytes) -> int:
            self.fh.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(evidence_mod.os, "fdopen", FullDisk)

    report = fetch(rt, clock)

    assert report.retry == 1 and report.stopped
    ev = get(rt, ev_id)
    assert ev.status == "pending" and ev.attempts == 1 and "disk full" in (ev.last_error or "")
    assert ev.path is None and ev.next_attempt_at == clock.now + timedelta(minutes=1)
    folder = Path(rt.services["evidence_dir"])
    assert not [p for p in folder.rglob("*") if p.is_file()]  # no partial file left behind
    assert any("ALERT" in r.getMessage() and "disk full" in r.getMessage() for r in caplog.records)

    monkeypatch.undo()
    clock.advance(minutes=1)
    assert fetch(rt, clock).stored == 1


def test_a_non_image_claiming_to_be_an_image_is_refused(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(b"<html><script>alert(1)</script></html>", "image/jpeg")
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=1))

    assert fetch(rt, clock).refused == 1
    ev = get(rt, ev_id)
    assert ev.status == "refused" and "not a readable image" in (ev.last_error or "") and ev.path is None


def test_transient_failures_retry_with_backoff(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=1))
    fake.state.inject("media/get", -1, {"http": 500})

    assert fetch(rt, clock).retry == 1
    assert get(rt, ev_id).next_attempt_at == clock.now + timedelta(minutes=1)
    assert fetch(rt, clock).claimed == 0
    clock.advance(minutes=1)
    assert fetch(rt, clock).retry == 1
    assert get(rt, ev_id).next_attempt_at == clock.now + timedelta(minutes=2)
    clock.advance(minutes=2)
    assert fetch(rt, clock).stored == 1
    assert get(rt, ev_id).attempts == 3


# -- repeated downloads compare hashes ----------------------------------------------------------------------


def files(rt: Runtime) -> list[Path]:
    return sorted(p for p in Path(rt.services["evidence_dir"]).rglob("*") if p.is_file())


def alerts(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "zhiyong.alert"]


def stored_photo(rt: Runtime, fake: RunningFake, clock: Clock) -> tuple[int, str]:
    media_id = fake.state.add_media(sample_jpeg())
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=1))
    assert fetch(rt, clock).stored == 1
    return ev_id, media_id


def test_a_repeated_download_with_the_same_bytes_changes_nothing(
    rt: Runtime, fake: RunningFake, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    ev_id, _ = stored_photo(rt, fake, clock)
    before = get(rt, ev_id)
    inode = files(rt)[0].stat().st_ino
    clock.advance(minutes=10)

    report = refetch(rt, ids=[ev_id], now=clock.now)

    assert (report.identical, report.mismatch, report.stored) == (1, 0, 0)
    after = get(rt, ev_id)
    assert (after.status, after.path, after.sha256, after.stored_at, after.attempts) == (
        "stored", before.path, before.sha256, before.stored_at, before.attempts
    )  # fmt: skip
    assert [p.name for p in files(rt)] == [Path(before.path or "").name]  # no second file
    assert files(rt)[0].stat().st_ino == inode  # and the first one not rewritten
    assert not alerts(caplog)

    # The recorded file went missing: an identical download (the hash proves it) puts it back.
    (Path(rt.services["evidence_dir"]) / (before.path or "")).unlink()
    assert refetch(rt, ids=[ev_id], now=clock.now).identical == 1
    restored = Path(rt.services["evidence_dir"]) / (before.path or "")
    assert hashlib.sha256(restored.read_bytes()).hexdigest() == before.sha256
    assert len(files(rt)) == 1


def test_a_repeated_download_with_other_bytes_keeps_the_original_and_alerts(
    evidence_app: Flask, rt: Runtime, fake: RunningFake, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    ev_id, media_id = stored_photo(rt, fake, clock)
    before = get(rt, ev_id)
    original = files(rt)[0].read_bytes()
    fake.state.add_media(sample_jpeg(size=(32, 32)), media_id=media_id)  # WeChat now serves something else

    result = evidence_app.test_cli_runner().invoke(args=["evidence", "fetch", "--id", str(ev_id)])

    assert result.exit_code == 1 and "mismatch=1" in result.output and "originals kept" in result.output
    after = get(rt, ev_id)
    assert (after.status, after.path, after.sha256, after.size_bytes) == (
        "stored", before.path, before.sha256, before.size_bytes
    )  # fmt: skip
    assert len(files(rt)) == 1 and files(rt)[0].read_bytes() == original  # not overwritten, no second file
    [alert] = alerts(caplog)
    assert f"evidence {ev_id} " in alert and "original is kept" in alert and (before.sha256 or "")[:16] in alert


def test_a_retry_after_a_crash_between_rename_and_commit_adopts_the_same_file(
    rt: Runtime, fake: RunningFake, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ev_id = add_evidence(rt, "image", fake.state.add_media(sample_jpeg()), received_at=clock.now - timedelta(hours=1))

    def crash(**kwargs: Any) -> str:
        raise RuntimeError("killed before the commit")

    monkeypatch.setattr(evidence_repo, "mark_stored", crash)
    with pytest.raises(RuntimeError):
        fetch(rt, clock)
    monkeypatch.undo()
    [leftover] = files(rt)
    inode = leftover.stat().st_ino
    assert get(rt, ev_id).status == "pending" and get(rt, ev_id).sha256 is None

    clock.advance(minutes=5)  # the crashed run's lease runs out
    report = fetch(rt, clock)

    assert (report.stored, report.mismatch) == (1, 0)
    ev = get(rt, ev_id)
    assert ev.status == "stored" and files(rt) == [leftover] and leftover.stat().st_ino == inode  # not rewritten
    assert ev.path == f"{ev.case_id}/{leftover.name}"
    assert ev.sha256 == hashlib.sha256(leftover.read_bytes()).hexdigest()


def test_a_retry_with_other_bytes_than_a_crashed_runs_file_alerts_and_leaves_that_file(
    rt: Runtime, fake: RunningFake, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=1))

    def crash(**kwargs: Any) -> str:
        raise RuntimeError("killed before the commit")

    monkeypatch.setattr(evidence_repo, "mark_stored", crash)
    with pytest.raises(RuntimeError):
        fetch(rt, clock)
    monkeypatch.undo()
    [leftover] = files(rt)
    first = leftover.read_bytes()
    fake.state.add_media(sample_jpeg(size=(32, 32)), media_id=media_id)
    clock.advance(minutes=5)

    report = fetch(rt, clock)

    # The database is the record: the unrecorded file proves nothing by itself, so it is flagged, never deleted.
    assert (report.stored, report.mismatch) == (1, 1)
    assert leftover.read_bytes() == first and len(files(rt)) == 2
    ev = get(rt, ev_id)
    assert ev.path != f"{ev.case_id}/{leftover.name}"
    assert any(f"evidence {ev_id} " in a and "unrecorded" in a for a in alerts(caplog))


def test_a_fetcher_that_loses_the_race_to_record_removes_its_own_file(
    rt: Runtime, fake: RunningFake, clock: Clock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """It read the row before another fetcher committed other bytes; the commit-time check catches it."""
    ev_id, media_id = stored_photo(rt, fake, clock)
    before = get(rt, ev_id)
    [original] = files(rt)
    fake.state.add_media(sample_jpeg(size=(32, 32)), media_id=media_id)
    stale = evidence_repo.Recorded(ev_id, "ZY-stale", "pending", None, None)
    monkeypatch.setattr(evidence_repo, "recorded", lambda **kwargs: stale)

    report = refetch(rt, ids=[ev_id], now=clock.now)

    assert (report.mismatch, report.stored) == (1, 0)
    after = get(rt, ev_id)
    assert (after.path, after.sha256) == (before.path, before.sha256) and files(rt) == [original]
    assert any(f"evidence {ev_id} " in a and "original is kept" in a for a in alerts(caplog))


def test_a_recorded_hash_is_never_replaced(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    """A slow fetcher whose lease ran out records after another one did: same bytes → same, else mismatch."""
    ev_id = add_evidence(rt, "image", "m1", received_at=clock.now - timedelta(hours=1))
    first, other = "a" * 64, "b" * 64

    def record(sha: str) -> str:
        with rt.db.transaction() as session:
            return evidence_repo.mark_stored(session=session, evidence_id=ev_id, now=clock.now, path=f"x/{sha[:4]}",
                                             sha256=sha, content_type="image/jpeg", size=10)  # fmt: skip

    assert [record(first), record(first), record(other)] == ["stored", "same", "mismatch"]
    ev = get(rt, ev_id)
    assert (ev.status, ev.sha256, ev.path, ev.attempts) == ("stored", first, "x/aaaa", 1)


# -- the PicUrl fallback ------------------------------------------------------------------------------------


def test_an_expired_media_id_falls_back_to_the_picurl_stripped(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    fake.state.expire_media(media_id)
    pic_url = fake.state.pic_url(media_id)
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=70), pic_url=pic_url)

    report = fetch(rt, clock)

    assert (report.stored, report.from_pic_url, report.lost) == (1, 1, 0)
    assert any(c["endpoint"] == "media/get" and c["errcode"] == 40007 for c in fake.state.calls)
    ev = get(rt, ev_id)
    data = (Path(rt.services["evidence_dir"]) / (ev.path or "")).read_bytes()
    assert ev.status == "stored" and hashlib.sha256(data).hexdigest() == ev.sha256
    assert b"FakeMaker" not in data and b"SN-0042" not in data
    with Image.open(BytesIO(data)) as im:
        assert not im.getexif() and im.size == (64, 48)
    # Nothing of WeChat's API went to the PicUrl host: no token, no credentials, no cookies.
    assert fake.state.pic_requests == [{"media_id": media_id, "query": [], "authorization": False, "cookie": False}]


def test_when_the_picurl_fails_too_the_evidence_is_lost(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    fake.state.expire_media(media_id)
    ev_id = add_evidence(
        rt, "image", media_id, received_at=clock.now - timedelta(hours=2), pic_url=fake.state.pic_url("MEDIA_nope")
    )

    assert fetch(rt, clock).lost == 1
    ev = get(rt, ev_id)
    assert ev.status == "lost" and ev.path is None
    assert "40007" in (ev.last_error or "") and "PicUrl failed too: HTTP 404" in (ev.last_error or "")


@pytest.mark.parametrize(
    ("pic_url", "redirect", "requests_made"),
    [
        ("ftp://127.0.0.1/x.jpg", None, 0),
        ("PIC", "file:///etc/passwd", 1),
        ("PIC", "gopher://127.0.0.1:70/x", 1),
    ],
)
def test_the_picurl_is_http_only_and_so_are_its_redirects(
    rt: Runtime, fake: RunningFake, clock: Clock, pic_url: str, redirect: str | None, requests_made: int
) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    fake.state.expire_media(media_id)
    if redirect:
        fake.state.pic_redirects[media_id] = redirect
    url = fake.state.pic_url(media_id) if pic_url == "PIC" else pic_url
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=2), pic_url=url)

    assert fetch(rt, clock).lost == 1
    assert "not an http(s) URL" in (get(rt, ev_id).last_error or "")
    assert len(fake.state.pic_requests) == requests_made


def test_an_unreachable_picurl_is_retried(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    fake.state.expire_media(media_id)
    ev_id = add_evidence(rt, "image", media_id, received_at=clock.now - timedelta(hours=2),
                         pic_url="http://127.0.0.1:9/nothing-listens.jpg")  # fmt: skip

    assert fetch(rt, clock).retry == 1
    ev = get(rt, ev_id)
    assert ev.status == "pending" and "PicUrl: network error" in (ev.last_error or "")


def test_a_picurl_that_is_not_an_image_is_lost_not_stored(rt: Runtime, fake: RunningFake, clock: Clock) -> None:
    media_id = fake.state.add_media(sample_jpeg())
    fake.state.expire_media(media_id)
    html = fake.state.add_media(b"<html>login</html>", "text/html")
    ev_id = add_evidence(
        rt, "image", media_id, received_at=clock.now - timedelta(hours=2), pic_url=fake.state.pic_url(html)
    )

    assert fetch(rt, clock).lost == 1
    assert "PicUrl content refused" in (get(rt, ev_id).last_error or "") and not files(rt)


# -- evidence verify ----------------------------------------------------------------------------------------


def test_verify_passes_on_an_intact_store(
    evidence_app: Flask, rt: Runtime, fake: RunningFake, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    stored_photo(rt, fake, clock)
    add_evidence(rt, "voice", fake.state.add_media(SAMPLE_VOICE, "audio/amr"), received_at=clock.now)
    assert fetch(rt, clock).stored == 1

    result = evidence_app.test_cli_runner().invoke(args=["evidence", "verify", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report == {"ok": True, "checked": 2, "intact": 2, "problems": []}
    assert "verified 2/2" in result.stderr and not alerts(caplog)


def test_verify_finds_a_flipped_byte_and_a_deleted_file(
    evidence_app: Flask, rt: Runtime, fake: RunningFake, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    flipped, _ = stored_photo(rt, fake, clock)
    deleted, _ = stored_photo(rt, fake, clock)
    intact, _ = stored_photo(rt, fake, clock)
    root = Path(rt.services["evidence_dir"])
    target = root / (get(rt, flipped).path or "")
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    (root / (get(rt, deleted).path or "")).unlink()
    caplog.set_level(logging.INFO)

    result = evidence_app.test_cli_runner().invoke(args=["evidence", "verify", "--json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["ok"], report["checked"], report["intact"]) == (False, 3, 1)
    problems = {p["evidence_id"]: p for p in report["problems"]}
    assert set(problems) == {flipped, deleted} and intact not in problems
    assert problems[flipped]["problem"] == "mismatch"
    assert problems[flipped]["actual_sha256"] == hashlib.sha256(bytes(data)).hexdigest()
    assert problems[deleted]["problem"] == "missing"
    with rt.db.transaction() as session:
        numbers = dict(session.execute(sa.select(Evidence.id, Case.number).join(Case)).tuples().all())
    assert {p["case_number"] for p in problems.values()} == {numbers[flipped], numbers[deleted]}
    logged = alerts(caplog)
    assert any(f"evidence {flipped} (case {numbers[flipped]})" in a and "SHA-256" in a for a in logged)
    assert any(f"evidence {deleted} (case {numbers[deleted]})" in a and "missing" in a for a in logged)
    # Never the case text or the citizen's pseudonym.
    assert "(test)" not in result.output + " ".join(logged) and "p_test" not in result.output

    text = evidence_app.test_cli_runner().invoke(args=["evidence", "verify"])
    assert text.exit_code == 1
    assert f"MISMATCH   evidence {flipped} " in text.stdout and f"MISSING    evidence {deleted} " in text.stdout
    assert "checked 3 stored files, 2 problem(s)" in text.stdout
