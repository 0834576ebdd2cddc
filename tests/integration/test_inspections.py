"""明查暗访 (issue 16): an inspector records an undercover visit on the console — checklist, findings, a phone photo
whose EXIF/GPS is gone when stored — opens a 暗访 case from the finding, routed like a complaint; the inspector sees
only their own visits and never a case, and never inspects their own unit (回避)."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from PIL import ExifTags
from PIL import Image

from bot.runtime import runtime
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import rows

FINDINGS = "叫号后3号窗口无人应答，工作人员在后台聊天，咨询时未一次性告知所需材料，电话13912345678"


def phone_photo(size: tuple[int, int] = (600, 400)) -> bytes:
    """A noisy photo (~240 KB: well over the webhook's 64 KB cap) carrying the maker, a serial number and GPS."""
    img = Image.effect_noise(size, 80).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "FakeMaker"
    exif.get_ifd(ExifTags.IFD.Exif)[0xA431] = "SN-0042"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2], gps[3], gps[4] = "N", (29.0, 50.0, 27.6), "E", (114.0, 19.0, 19.2)
    buf = BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=95)
    return buf.getvalue()


@pytest.fixture
def evidence_root(app, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    root = tmp_path / "evidence"
    runtime(app).services["evidence_dir"] = root
    return root


def visit(unit: str = "bdc", **extra: object) -> dict[str, object]:
    form: dict[str, object] = {"unit": unit, "window": "3号窗口", "visited_at": "2026-11-26T10:30", "on_duty": "pass",
                               "badge": "fail", "first_responsibility": "pass", "one_time_notice": "fail",
                               "attitude": "fail", "wait_minutes": "35", "findings": FINDINGS}  # fmt: skip
    form.update(extra)
    return form


def test_an_inspection_with_a_photo_opens_a_case_of_its_own_source(app, db_url: str, evidence_root: Path) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "insp1", "inspector")
    create_staff(app, "insp2", "inspector")
    insp = login(app, "insp1")
    assert insp.get("/console/").headers["Location"].endswith("/console/inspections")
    photo = phone_photo()
    assert len(photo) > 65536 and Image.open(BytesIO(photo)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    refused = insp.post("/console/inspections", visit(photos=(BytesIO(b"%PDF-1.4 not a photo"), "a.pdf")),
                        follow_redirects=True)  # fmt: skip
    assert "只接受 JPEG、PNG、GIF" in refused.get_data(as_text=True)
    resp = insp.post("/console/inspections", visit(photos=(BytesIO(photo), "IMG_0001.jpg")))
    assert resp.status_code == 303, resp.get_data(as_text=True)
    ((inspection_id, window, wait, badge, on_duty),) = rows(
        db_url, "SELECT id, window, wait_minutes, badge, on_duty FROM inspections"
    )
    assert (window, wait, badge, on_duty) in (("3", 35, False, True), ("3", 35, 0, 1))
    ((path, sha),) = rows(db_url, "SELECT path, sha256 FROM inspection_photos")
    with Image.open(evidence_root / path) as stored:
        assert not stored.getexif() and not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in stored.info and stored.size == (600, 400)
    page = insp.get(f"/console/inspections/{inspection_id}").get_data(as_text=True)
    assert "着装/工牌" in page and "不合格" in page and "139****5678" in page and "13912345678" not in page
    served = insp.get(f"/console/inspections/{inspection_id}/photos/1")
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    served.close()

    # Another inspector sees neither the visit nor its photo.
    other = login(app, "insp2")
    assert other.get(f"/console/inspections/{inspection_id}").status_code == 404
    assert other.get(f"/console/inspections/{inspection_id}/photos/1").status_code == 404
    assert f"#{inspection_id}<" not in other.get("/console/inspections").get_data(as_text=True)

    # The finding opens a case: source 暗访, routed like a complaint, the photo (stripped) as its evidence.
    insp.post(f"/console/inspections/{inspection_id}/case")
    ((number, channel, unit, text, pid),) = rows(
        db_url, "SELECT number, channel, respondent_unit, text, public_id FROM cases"
    )
    assert (channel, unit) == ("inspection", "bdc")
    assert text.startswith("【明查暗访】2026年11月26日10:30在市不动产登记中心3号窗口暗访发现：")
    assert "着装/工牌、一次性告知、态度、用时35分钟（超过20分钟）不合格" in text
    assert rows(db_url, "SELECT role FROM assignments") == [("handler",)]
    ((ev_path, ev_status, ev_sha),) = rows(db_url, "SELECT path, status, sha256 FROM evidence")
    assert ev_status == "stored" and ev_sha == sha and ev_path != path
    with Image.open(evidence_root / ev_path) as copy:
        assert not copy.getexif()
    assert number in insp.get(f"/console/inspections/{inspection_id}").get_data(as_text=True)
    again = insp.post(f"/console/inspections/{inspection_id}/case", follow_redirects=True)
    assert "已立案" in again.get_data(as_text=True) and len(rows(db_url, "SELECT id FROM cases")) == 1
    # …but the inspector never sees a case.
    assert insp.get(f"/console/cases/{pid}").status_code == 403
    assert insp.get("/console/cases").status_code == 403

    create_staff(app, "office1", "office")
    office = login(app, "office1")
    case_page = office.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert "来自明查暗访" in case_page and "暗访发现" in case_page and "evidence/" in case_page
    assert "暗访</span>" in office.get("/console/cases").get_data(as_text=True)
    assert f"inspections/{inspection_id}" in office.get("/console/inspections").get_data(as_text=True)
    shown = json.loads(app.test_cli_runner().invoke(args=["case", "show", number, "--json"]).stdout)
    assert shown["channel"] == "inspection"

    listed = app.test_cli_runner().invoke(args=["inspection", "list", "--month", "2026-11", "--json"])
    assert listed.exit_code == 0, listed.output
    (item,) = json.loads(listed.stdout)
    assert (item["unit"], item["window"], item["inspector"], item["photos"], item["case"]) == ("bdc", "3", "insp1", 1,
                                                                                              number)  # fmt: skip
    assert (item["assessed"], item["passed"]) == (6, 2)
    assert item["failed"] == ["着装/工牌", "一次性告知", "态度", "用时35分钟（超过20分钟）"]
    assert "13912345678" not in listed.output and path not in listed.output
    assert json.loads(app.test_cli_runner().invoke(args=["inspection", "list", "--month", "2026-10", "--json"])
                      .stdout) == []  # fmt: skip


def test_nobody_inspects_their_own_unit(app, db_url: str, evidence_root: Path) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "insp_bdc", "inspector", "--member-of", "bdc")
    insp = login(app, "insp_bdc")
    form = insp.get("/console/inspections").get_data(as_text=True)
    assert 'value="bdc"' not in form and 'value="gaj"' in form
    refused = insp.post("/console/inspections", visit("bdc"), follow_redirects=True).get_data(as_text=True)
    assert "回避" in refused and rows(db_url, "SELECT count(*) FROM inspections") == [(0,)]
    assert insp.post("/console/inspections", visit("gaj")).status_code == 303
    future = insp.post("/console/inspections", visit("gaj", visited_at="2026-12-30T10:00"), follow_redirects=True)
    assert "不能晚于现在" in future.get_data(as_text=True)
    bad = app.test_cli_runner().invoke(args=["staff", "create", "--username", "x", "--role", "inspector", "--units",
                                             "bdc", "--password", "correct-horse-42"])  # fmt: skip
    assert bad.exit_code != 0 and "暗访员账号不关联督办员" in bad.output


def test_photo_limits_are_checked_before_anything_is_stored() -> None:
    from bot.service import inspections as service
    from handlers.inspection import InspectionError

    with pytest.raises(InspectionError, match="过大"):
        service.clean_photos([b"\xff\xd8" + bytes(service.MAX_PHOTO_BYTES)])
    with pytest.raises(InspectionError, match="最多上传"):
        service.clean_photos([phone_photo((40, 30))] * (service.MAX_PHOTOS + 1))
    (clean,) = service.clean_photos([b"", phone_photo((40, 30))])  # an empty file input is no photo
    assert clean.content_type == "image/jpeg" and not Image.open(BytesIO(clean.content)).getexif()
