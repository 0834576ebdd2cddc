"""RELIABILITY 43: a host clock 10 minutes off is detected by SNTP against a fake server on 127.0.0.1; a correct
clock is ok; a silent, refusing or broken server gives "unknown" (or the next server), never an exception."""

from __future__ import annotations

import logging
import struct
import time

import pytest

from bot.host_clock import SKEW_THRESHOLD_S
from bot.host_clock import ClockMonitor
from bot.host_clock import NtpError
from bot.host_clock import Reading
from bot.host_clock import decode_response
from bot.host_clock import encode_request
from bot.host_clock import from_ntp
from bot.host_clock import measure
from bot.host_clock import sntp_reading
from bot.host_clock import to_ntp
from bot.host_clock import verdict
from bot.settings import ConfigError
from tests.conftest import base_environ
from tests.fake_ntp import FakeNtp
from tests.fake_ntp import closed_udp_port
from tests.fake_ntp import server_packet

TIMEOUT = 0.3  # seconds per server in these tests


def host_ahead(seconds: float):  # type: ignore[no-untyped-def]
    """The host clock as it reads when it runs `seconds` fast."""
    return lambda: time.time() + seconds


# -- packets ---------------------------------------------------------------------------------------------------


def test_timestamps_encode_as_ntp_seconds_since_1900_and_survive_the_2036_era() -> None:
    assert to_ntp(0.0) == struct.pack("!II", 2_208_988_800, 0)
    assert to_ntp(1_700_000_000.5) == struct.pack("!II", 1_700_000_000 + 2_208_988_800, 2**31)
    for unix in (0.0, 1_700_000_000.25, 2_085_978_496.0 + 1, 2_208_988_800.75):  # 1970, 2023, 2036 + 1 s, 2040
        assert from_ntp(to_ntp(unix)) == pytest.approx(unix, abs=1e-6)


def test_the_request_is_one_48_byte_client_packet_carrying_its_send_time() -> None:
    packet = encode_request(1_700_000_000.0)
    assert len(packet) == 48
    assert packet[0] == 0b00_100_011  # LI 0, version 4, mode 3 (client)
    assert from_ntp(packet[40:48]) == pytest.approx(1_700_000_000.0)


def test_an_answer_is_checked_before_it_is_believed() -> None:
    request = encode_request(time.time())
    t2, t3 = decode_response(server_packet(request, 1_700_000_000.0), request)
    assert t2 == pytest.approx(1_700_000_000.0) and t3 == pytest.approx(1_700_000_000.0)
    other = encode_request(time.time() - 5)
    broken = {
        "short answer": server_packet(request, 1.0)[:40],
        "not a server answer": server_packet(request, 1.0, mode=3),
        "kiss-o'-death": server_packet(request, 1.0, stratum=0),
        "not synchronised": server_packet(request, 1.0, leap=3),
        "does not echo": server_packet(other, 1.0),
    }
    for reason, packet in broken.items():
        with pytest.raises(NtpError, match=reason):
            decode_response(packet, request)


# -- against a fake server on 127.0.0.1 ------------------------------------------------------------------------


def test_a_host_clock_ten_minutes_fast_is_skewed() -> None:
    with FakeNtp() as ntp:
        check = measure([ntp.server], timeout=TIMEOUT, now=host_ahead(600))
    assert check.status == "skewed"
    assert check.offset_s == pytest.approx(600, abs=1)
    assert check.reference == f"ntp {ntp.address}"
    assert len(ntp.requests) == 1 and len(ntp.requests[0]) == 48


def test_a_server_ten_minutes_off_also_reads_as_skew_with_the_sign_of_the_host() -> None:
    with FakeNtp(offset=600) as ntp:
        reading = sntp_reading(ntp.server, timeout=TIMEOUT)
    assert reading.offset_s == pytest.approx(-600, abs=1)  # the host is 10 minutes behind the reference
    assert reading.delay_s is not None and 0 <= reading.delay_s < TIMEOUT


def test_a_correct_clock_is_ok_and_the_threshold_is_sixty_seconds() -> None:
    with FakeNtp() as ntp:
        assert measure([ntp.server], timeout=TIMEOUT).status == "ok"
        assert measure([ntp.server], timeout=TIMEOUT, now=host_ahead(45)).status == "ok"
        assert measure([ntp.server], timeout=TIMEOUT, now=host_ahead(-75)).status == "skewed"
    assert SKEW_THRESHOLD_S == 60


def test_a_silent_server_is_unknown_within_the_timeout_and_never_raises() -> None:
    with FakeNtp(silent=True) as ntp:
        started = time.monotonic()
        check = measure([ntp.server], timeout=TIMEOUT)
        elapsed = time.monotonic() - started
    assert check.status == "unknown" and check.offset_s is None and check.reference is None
    assert check.readings[0].error == f"no answer within {TIMEOUT:g} s"
    assert elapsed < TIMEOUT + 0.5
    assert len(ntp.requests) == 1


def test_a_refused_port_and_a_broken_answer_fall_through_to_the_next_server() -> None:
    refused = ("127.0.0.1", closed_udp_port())
    with FakeNtp(answer=lambda req: server_packet(req, time.time(), stratum=0)) as kod, FakeNtp() as good:
        check = measure([refused, kod.server, good.server], timeout=TIMEOUT)
    assert check.status == "ok" and check.reference == f"ntp {good.address}"
    assert [r.offset_s is None for r in check.readings] == [True, True, False]
    assert "kiss-o'-death" in (check.readings[1].error or "")


def test_no_reference_at_all_is_unknown() -> None:
    assert measure([]).status == "unknown"


def test_ntp_is_trusted_before_the_database() -> None:
    check = verdict([Reading("database", offset_s=120.0), Reading("ntp a:123", offset_s=0.5)])
    assert check.status == "ok" and check.reference == "ntp a:123"
    assert verdict([Reading("ntp a:123", error="x"), Reading("database", offset_s=120.0)]).status == "skewed"


# -- the per-process cache -------------------------------------------------------------------------------------


def test_the_monitor_measures_once_per_period_and_alerts_once_per_measurement(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks = [0.0]
    with FakeNtp() as ntp:
        monitor = ClockMonitor((ntp.server,), timeout=TIMEOUT, now=host_ahead(600), monotonic=lambda: ticks[0])
        with caplog.at_level(logging.WARNING, logger="zhiyong.alert"):
            first = monitor.current(wait=5)
            ticks[0] += 299
            second = monitor.current(wait=5)
        assert first.status == second.status == "skewed"
        assert len(ntp.requests) == 1
        alerts = [r for r in caplog.records if r.name == "zhiyong.alert"]
        assert len(alerts) == 1 and "clock skew" in alerts[0].getMessage() and "+600" in alerts[0].getMessage()
        ticks[0] += 2
        monitor.current(wait=5)
        assert len(ntp.requests) == 2


def test_the_monitor_without_references_starts_no_thread_and_says_unknown() -> None:
    import threading

    before = set(threading.enumerate())
    assert ClockMonitor(()).current().status == "unknown"
    assert set(threading.enumerate()) == before


def test_a_slow_measurement_never_holds_the_caller_longer_than_asked() -> None:
    with FakeNtp(silent=True) as ntp:
        monitor = ClockMonitor((ntp.server,), timeout=1.0)
        started = time.monotonic()
        assert monitor.current(wait=0.05).status == "unknown"
        assert time.monotonic() - started < 0.5
        # The measurement goes on in its thread and lands within the timeout.
        deadline = time.monotonic() + 3
        while monitor._latest is None and time.monotonic() < deadline:
            time.sleep(0.02)
    assert monitor._latest is not None and monitor._latest.status == "unknown"


# -- NTP_SERVERS -----------------------------------------------------------------------------------------------


def _load(**env: str):  # type: ignore[no-untyped-def]
    from bot.settings import load_settings

    return load_settings(base_environ("sqlite:///:memory:", **env), env_file=None)


def test_ntp_servers_parse_and_default_to_none() -> None:
    assert _load().env.ntp_servers == ()
    assert _load(NTP_SERVERS="off").env.ntp_servers == ()
    assert _load(NTP_SERVERS="ntp.aliyun.com, cn.pool.ntp.org:1123,[::1]:5123").env.ntp_servers == (
        ("ntp.aliyun.com", 123),
        ("cn.pool.ntp.org", 1123),
        ("::1", 5123),
    )


@pytest.mark.parametrize("value", ["ntp.aliyun.com:99999", "ntp.aliyun.com:", "a b", "ntp.aliyun.com,", "x:y"])
def test_a_bad_ntp_servers_value_names_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match="NTP_SERVERS: .* is not host\\[:port\\]"):
        _load(NTP_SERVERS=value)
