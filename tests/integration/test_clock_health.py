"""RELIABILITY 43 end to end: with NTP_SERVERS pointing at a fake server on 127.0.0.1 that is 10 minutes off,
/healthz says 503 with clock.status "skewed" and `clock check` exits 1; with a correct server both are fine."""

from __future__ import annotations

import json
import logging

import pytest

from bot import create_app
from tests.conftest import Clock
from tests.conftest import make_settings
from tests.fake_ntp import FakeNtp
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login


def _app(db_url: str, clock: Clock, **env: str):  # type: ignore[no-untyped-def]
    return create_app(make_settings(db_url, **env), clock=clock)


def _admin(app):  # type: ignore[no-untyped-def]
    """A client signed in as a console admin: the only kind (with the office) that /healthz shows details to."""
    create_staff(app, "ops", "admin")
    return login(app, "ops").client


def test_healthz_is_503_when_the_host_clock_is_ten_minutes_off(
    db_url: str, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeNtp(offset=600) as ntp:
        app = _app(db_url, clock, NTP_SERVERS=ntp.address)
        try:
            with caplog.at_level(logging.WARNING, logger="zhiyong.alert"):
                resp = _admin(app).get("/healthz")
                again = app.test_client().get("/healthz")
        finally:
            app.extensions["zhiyong"].db.dispose()
    assert resp.status_code == 503 and again.status_code == 503
    assert again.get_json() == {"status": "degraded"}  # without a sign-in: the status only
    body = resp.get_json()
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["clock"]["status"] == "skewed"
    assert body["clock"]["offset_s"] == pytest.approx(-600, abs=2)
    assert body["clock"]["reference"] == f"ntp {ntp.address}"
    assert len(ntp.requests) == 1, "the verdict is cached, not measured per request"
    assert sum("clock skew" in r.getMessage() for r in caplog.records if r.name == "zhiyong.alert") == 1


def test_healthz_is_200_when_the_server_agrees(db_url: str, clock: Clock) -> None:
    with FakeNtp(offset=0) as ntp:
        app = _app(db_url, clock, NTP_SERVERS=ntp.address)
        try:
            resp = _admin(app).get("/healthz")
        finally:
            app.extensions["zhiyong"].db.dispose()
    assert resp.status_code == 200
    clock_body = resp.get_json()["clock"]
    assert clock_body["status"] == "ok" and abs(clock_body["offset_s"]) < 2
    assert clock_body["reference"] == f"ntp {ntp.address}"


def test_without_references_the_clock_is_unknown_and_healthz_stays_200(app) -> None:  # type: ignore[no-untyped-def]
    resp = _admin(app).get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json()["clock"] == {"status": "unknown", "offset_s": None, "reference": None}


def test_a_silent_server_is_unknown_not_an_outage(db_url: str, clock: Clock) -> None:
    with FakeNtp(silent=True) as ntp:
        app = _app(db_url, clock, NTP_SERVERS=ntp.address)
        app.extensions["zhiyong"].clock_monitor.timeout = 0.2
        try:
            resp = _admin(app).get("/healthz")
        finally:
            app.extensions["zhiyong"].db.dispose()
    assert resp.status_code == 200 and resp.get_json()["clock"]["status"] == "unknown"


def test_clock_check_prints_the_offsets_and_exits_1_when_skewed(db_url: str, clock: Clock) -> None:
    with FakeNtp(offset=600) as skewed, FakeNtp(offset=0) as good:
        for address, code in ((skewed.address, 1), (good.address, 0)):
            app = _app(db_url, clock, NTP_SERVERS=address)
            try:
                text = app.test_cli_runner().invoke(args=["clock", "check"])
                as_json = app.test_cli_runner().invoke(args=["clock", "check", "--json"])
            finally:
                app.extensions["zhiyong"].db.dispose()
            assert text.exit_code == code and as_json.exit_code == code, text.output
            assert f"ntp {address}" in text.output
            report = json.loads(as_json.output)
            assert report["status"] == ("skewed" if code else "ok")
            assert report["readings"][0]["reference"] == f"ntp {address}"
    assert "behind ntp" in text.output or "ahead of ntp" in text.output


@pytest.mark.postgres
def test_postgresql_is_a_reference_of_its_own(postgres_url: str, clock: Clock) -> None:
    app = _app(postgres_url, clock)
    try:
        resp = _admin(app).get("/healthz")
    finally:
        app.extensions["zhiyong"].db.dispose()
    assert resp.status_code == 200
    assert resp.get_json()["clock"]["status"] == "ok"
    assert resp.get_json()["clock"]["reference"] == "database"
