"""`flask --app bot qr` (window QR codes) and `flask --app bot retention run` (anonymising old finished cases)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot import create_app
from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import RunningFake
from bot.dev.fake_wechat import start_fake_wechat
from bot.runtime import runtime
from bot.service import casework
from handlers.dialog.types import CaseDraft
from handlers.dialog.types import MediaRef
from storage import cases as cases_repo
from tests.conftest import TEST_APP_ID
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.conftest import make_settings
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_cases_flow import rows

PHONE = "13912345678"
NAME = "王小明"
REAL_NAME_TEXT = f"在车管所换驾照，张科长让我找中介加钱，我叫{NAME}，电话{PHONE}，工号 8866 的人也在场"


# -- QR codes ---------------------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    with start_fake_wechat(FakeWechat(TEST_APP_ID, "test-app-secret-0001")) as running:
        yield running


def _qr_app(db_url: str, clock: Clock, env: str, **extra: str):  # type: ignore[no-untyped-def]
    return create_app(make_settings(db_url, ZHIYONG_ENV=env, **extra), clock=clock)


def test_development_writes_a_local_png_for_the_simulator(db_url: str, clock: Clock, tmp_path: Path) -> None:
    app = _qr_app(db_url, clock, "development", PUBLIC_BASE_URL="http://127.0.0.1:5000")
    out = tmp_path / "codes" / "bdc-5.png"
    result = app.test_cli_runner().invoke(args=["qr", "--unit", "bdc", "--window", "5", "--out", str(out)])
    runtime(app).db.dispose()
    assert result.exit_code == 0, result.output
    assert "scene unit=bdc;window=5" in result.output
    with Image.open(out) as img:
        assert img.format == "PNG"
        width, height = img.size
        # A QR code is square (modules + 2×4 quiet zone, 10 px each) with the caption below it.
        assert width % 10 == 0 and 250 <= width <= 800 and height > width
        # The quiet zone is white and the finder pattern's corner is black: a scanner can read it.
        assert img.convert("L").getpixel((5, 5)) == 255 and img.convert("L").getpixel((45, 45)) == 0


def test_production_asks_wechat_for_a_permanent_code(
    db_url: str, clock: Clock, fake: RunningFake, tmp_path: Path
) -> None:
    app = _qr_app(db_url, clock, "production", WECHAT_API_BASE_URL=fake.url)
    out = tmp_path / "bdc-5.png"
    result = app.test_cli_runner().invoke(args=["qr", "--unit", "bdc", "--window", "5", "--out", str(out)])
    runtime(app).db.dispose()
    assert result.exit_code == 0, result.output
    assert [q["scene"] for q in fake.state.qrcodes] == ["unit=bdc;window=5"]
    assert "WeChat permanent QR code" in result.output and out.stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--unit", "xyz", "--window", "5"], "unknown unit 'xyz'"),
        (["--unit", "zyb", "--window", "5"], "unknown unit 'zyb'"),  # a handling body, not a unit citizens visit
        (["--unit", "bdc", "--window", "0"], "1<=x<=99"),
        (["--unit", "bdc", "--window", "100"], "1<=x<=99"),
    ],
)
def test_bad_units_and_windows_are_named(app, tmp_path: Path, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["qr", *args, "--out", str(tmp_path / "x.png")])
    assert result.exit_code == 2 and message in result.output
    assert not (tmp_path / "x.png").exists()


# -- retention --------------------------------------------------------------------------------------------------


def _real_name_case(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A closed real-name case with a stored photo and messages carrying a phone number."""
    rt = runtime(app)
    rt.services["evidence_dir"] = tmp_path / "evidence"
    now = rt.now()
    draft = CaseDraft(
        text=REAL_NAME_TEXT,
        category="corruption",
        unit="cgs",
        classification=rt.classifier.classify(REAL_NAME_TEXT),
        triage=False,
        unit_source="named",
        location=(29.84, 114.32, "咸安区某小区"),
        evidence=(MediaRef("image", "MEDIA_retention_1", "http://mmbiz.qpic.cn/x/0"),),
        anonymous=False,
        real_name=NAME,
        phone=PHONE,
    )
    with rt.db.transaction() as session:
        case = casework.submit(session, rt, draft, rt.pseudonymize("o_real_name"), now)
        ev = cases_repo.evidence_for(session=session, case_id=case.id)[0]
        folder = Path(rt.services["evidence_dir"]) / str(case.id)
        folder.mkdir(parents=True)
        (folder / f"{ev.id}-abc.jpg").write_bytes(b"\xff\xd8 stripped photo")
        ev.status, ev.path = "stored", f"{case.id}/{ev.id}-abc.jpg"
        casework.act(session, rt, case, "sign", actor="sup_gaj", now=now)
        casework.act(session, rt, case, "ask", actor="sup_gaj", now=now, note=f"请{NAME}确认电话{PHONE}是否可以回访")
        casework.act(session, rt, case, "reply", actor="sup_gaj", now=now, note="已查实并移交纪委")
        casework.act(session, rt, case, "rate_satisfied", actor="citizen", now=now, rating=("1", "A"))
        return case.number, folder / f"{ev.id}-abc.jpg"


def _snapshot(db_url: str) -> list[object]:
    return [rows(db_url, f"SELECT * FROM {t} ORDER BY 1") for t in
            ("cases", "case_events", "case_messages", "evidence", "reporter_contacts", "outbox")]  # fmt: skip


@pytest.fixture
def old_cases(app, wechat: WeChat, db_url: str, clock: Clock, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Two finished cases (closed real-name, rejected anonymous), then 40 days pass; then a fresh closed one and
    an old open one that retention must leave alone."""
    closed, photo = _real_name_case(app, tmp_path)
    rejected = file_complaint(wechat, f"今天上午市民之家综合窗口没人，打了{PHONE}也没人接", "o_old_2")
    bind(app, wechat, "sup_triage", "o_sup_triage")
    rt = runtime(app)
    with rt.db.transaction() as session:
        case = cases_repo.by_number(session=session, number=rejected)
        assert case is not None
        casework.act(session, rt, case, "reject", actor="sup_triage", now=clock.now, note="不属于受理范围")
    still_open = file_complaint(wechat, "昨天下午不动产登记中心让我跑了三趟", "o_old_3")
    clock.advance(days=40)
    recent = file_complaint(wechat, "今天上午车管所窗口态度很差", "o_new_1")
    with rt.db.transaction() as session:
        case = cases_repo.by_number(session=session, number=recent)
        assert case is not None
        casework.act(session, rt, case, "reject", actor="sup_triage", now=clock.now, note="重复反映")
    return {"closed": closed, "rejected": rejected, "open": still_open, "recent": recent, "photo": photo}


def test_dry_run_reports_and_changes_nothing(app, db_url: str, old_cases: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(db_url)
    result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run", "--older-than-days", "30"])
    assert result.exit_code == 0, result.output
    assert old_cases["closed"] in result.output and old_cases["rejected"] in result.output
    assert old_cases["open"] not in result.output and old_cases["recent"] not in result.output
    assert "would anonymise 2 case(s)" in result.output and "contacts=1" in result.output
    assert PHONE not in result.output and NAME not in result.output
    assert _snapshot(db_url) == before
    assert old_cases["photo"].exists()


def test_a_real_run_anonymises_and_the_chain_still_verifies(  # type: ignore[no-untyped-def]
    app, db_url: str, old_cases: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="zhiyong")
    result = app.test_cli_runner().invoke(args=["retention", "run", "--older-than-days", "30", "--json"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["cases"] == 2 and counts["contacts"] == 1 and counts["evidence_files"] == 1
    assert counts["files_deleted"] == 1 and counts["file_errors"] == 0 and counts["messages"] == 2
    assert sorted(counts["cases_list"]) == sorted([old_cases["closed"], old_cases["rejected"]])

    closed, rejected = old_cases["closed"], old_cases["rejected"]
    ((text, pseudonym, location, search_text),) = rows(
        db_url, f"SELECT text, pseudonym, location, search_text FROM cases WHERE number = '{closed}'"
    )
    assert pseudonym == "anon" and location in (None, "null")
    assert search_text == text  # the queue searches the anonymised words, not the reporter's name
    assert PHONE not in text and NAME not in text and "8866" not in text and "张科长" not in text
    assert "换驾照" in text and "中介加钱" in text  # what happened stays, for statistics
    assert rows(db_url, "SELECT count(*) FROM reporter_contacts") == [(0,)]
    assert rows(db_url, "SELECT media_id, pic_url, path, status FROM evidence") == [(None, None, None, "purged")]
    assert not old_cases["photo"].exists()
    bodies = " ".join(b for (b,) in rows(db_url, "SELECT body FROM case_messages"))
    assert PHONE not in bodies and NAME not in bodies and "移交纪委" in bodies
    citizen_rows = rows(db_url, "SELECT recipient, payload FROM outbox WHERE recipient_kind = 'citizen' AND case_id IN "
                                f"(SELECT id FROM cases WHERE number IN ('{closed}', '{rejected}'))")  # fmt: skip
    assert citizen_rows and all(r == "anon" and PHONE not in json.dumps(json.loads(p), ensure_ascii=False)
                                for r, p in citizen_rows)  # fmt: skip
    # Untouched: the open case and the recently finished one keep their reporters.
    untouched = rows(
        db_url, f"SELECT pseudonym FROM cases WHERE number IN ('{old_cases['open']}', '{old_cases['recent']}')"
    )
    assert all(p != "anon" for (p,) in untouched)
    # The audit trail: one appended event each, nothing earlier edited, every chain intact.
    last = rows(db_url, f"SELECT action, actor FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.number = '{closed}' "
                        "ORDER BY e.seq DESC LIMIT 1")  # fmt: skip
    assert last == [("anonymise", "system")]
    verify = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "0 broken" in verify.output
    # Logged with counts only.
    logged = " ".join(r.getMessage() for r in caplog.records if r.name == "zhiyong.retention")
    assert "cases=2" in logged and PHONE not in logged and closed not in logged
    # A second run finds nothing left to do.
    again = app.test_cli_runner().invoke(args=["retention", "run", "--older-than-days", "30", "--json"])
    assert json.loads(again.stdout)["cases"] == 0


def test_the_default_period_comes_from_config(app, db_url: str, old_cases: dict, clock: Clock) -> None:  # type: ignore[no-untyped-def, type-arg]
    assert runtime(app).settings.city.retention.closed_case_days == 730
    result = app.test_cli_runner().invoke(args=["retention", "run", "--json"])
    assert json.loads(result.stdout)["cases"] == 0  # 40 days is well inside two years
    clock.advance(days=731)
    result = app.test_cli_runner().invoke(args=["retention", "run", "--dry-run", "--json"])
    assert json.loads(result.stdout)["cases"] == 3  # now the recent one is old too; the open one never counts


def test_anonymisation_leaves_no_identity_behind(app, db_url: str, old_cases: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """Finding 5: after a run, nothing maps the anonymised history back to the person who reported it."""
    rt = runtime(app)
    gone, stays = rt.pseudonymize("o_old_2"), rt.pseudonymize("o_old_3")  # rejected 40 days ago; still open
    assert rows(db_url, f"SELECT count(*) FROM inbound_messages WHERE pseudonym = '{gone}'")[0][0] > 0
    result = app.test_cli_runner().invoke(args=["retention", "run", "--older-than-days", "30", "--json"])
    assert result.exit_code == 0, result.output
    assert rows(db_url, f"SELECT count(*) FROM inbound_messages WHERE pseudonym = '{gone}'") == [(0,)]
    assert rows(db_url, f"SELECT count(*) FROM inbound_messages WHERE msg_key LIKE '%{gone}%'") == [(0,)]
    replies = " ".join(r[0] or "" for r in rows(db_url, "SELECT reply_text FROM inbound_messages"))
    assert PHONE[-4:] not in replies and PHONE[:3] + "****" not in replies
    assert rows(db_url, f"SELECT count(*) FROM citizens WHERE pseudonym = '{gone}'") == [(0,)]
    assert rows(db_url, "SELECT count(*) FROM citizens WHERE openid = 'o_old_2'") == [(0,)]
    # A citizen with an open case keeps everything: their case is still being worked.
    assert rows(db_url, f"SELECT count(*) FROM citizens WHERE pseudonym = '{stays}'") == [(1,)]
    assert rows(db_url, f"SELECT count(*) FROM inbound_messages WHERE pseudonym = '{stays}'")[0][0] > 0


def test_a_dead_letter_keeps_no_openid_and_its_body_expires(app, wechat: WeChat, db_url: str, clock: Clock,
                                                            monkeypatch) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    import bot.service.intake

    real = bot.service.intake.dispatch
    monkeypatch.setattr(bot.service.intake, "dispatch", lambda msg, ctx: (_ for _ in ()).throw(RuntimeError("bug")))
    wechat.text("昨天在车管所办驾照被刁难", "o_crash_citizen")
    monkeypatch.setattr(bot.service.intake, "dispatch", real)
    ((payload,),) = rows(db_url, "SELECT payload FROM dead_letters")
    pseudonym = runtime(app).pseudonymize("o_crash_citizen")
    assert "o_crash_citizen" not in payload and f"pseudonym:{pseudonym}" in payload
    clock.advance(days=31)  # retention.dead_letter_days is 30
    assert app.test_cli_runner().invoke(args=["retention", "run"]).exit_code == 0
    assert rows(db_url, "SELECT payload, reason FROM dead_letters") == [(None, "RuntimeError while handling")]
