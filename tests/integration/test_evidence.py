"""Evidence downloads against the loopback fake: SHA-256, EXIF/GPS stripped, lost media, disk full, bad content."""

from __future__ import annotations

import errno
import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import ExifTags
from PIL import Image

from bot import create_app
from bot import evidence as evidence_mod
from bot.evidence import fetch_pending
from bot.evidence import strip_image
from bot.fake_wechat import SAMPLE_VOICE
from bot.fake_wechat import FakeWechat
from bot.fake_wechat import RunningFake
from bot.fake_wechat import sample_jpeg
from bot.fake_wechat import start_fake_wechat
from bot.runtime import Runtime
from bot.runtime import runtime
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
def rt(any_db_url: str, fake: RunningFake, clock: Clock, tmp_path: Path) -> Iterator[Runtime]:
    app = create_app(make_settings(any_db_url, WECHAT_API_BASE_URL=fake.url), clock=clock)
    rt = runtime(app)
    rt.services["evidence_dir"] = tmp_path / "evidence"
    yield rt
    rt.db.dispose()


def add_evidence(rt: Runtime, kind: str, media_id: str | None, *, received_at: datetime) -> int:
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
        ev = Evidence(case_id=case_id, kind=kind, media_id=media_id, received_at=received_at, status="pending")
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
