"""How far the host clock is off (RELIABILITY 43): SNTP to the `NTP_SERVERS`, and PostgreSQL's own clock.

This module owns measuring the host clock against outside references and the verdict on it; `/healthz` and
`flask --app bot clock check` report it. The webhook refuses pushes whose timestamp is more than
`wechat.timestamp_window_seconds` (300 s) from the host clock, so a host clock that runs 10 minutes fast refuses
every real push while everything else looks healthy. Skew beyond `SKEW_THRESHOLD_S` (60 s) is reported early,
long before it reaches the window.

References, in order of trust:

- SNTP (RFC 4330): one 48-byte UDP packet to each configured server in turn, until one answers within
  `NTP_TIMEOUT_S`. `NTP_SERVERS` is unset (off) by default so tests and development never touch the network;
  production sets it, e.g. `ntp.aliyun.com,cn.pool.ntp.org`.
- The database server's clock (`SELECT now()`) when the database is PostgreSQL: no network beyond the database,
  used when no NTP server answers (it usually runs on another host with its own time sync).

What is measured is the host's wall clock (`time.time()`), the clock the webhook's freshness check reads in
production; the clock injected into the app for tests drives business time only. An offset is the host clock
minus the reference: +600 means the host clock runs 10 minutes fast.

The result is kept per process for `FRESH_FOR_S`. `/healthz` never measures in its own thread when an NTP server
is involved: a stale result starts a measurement in a daemon thread (name resolution has no timeout) and the check
waits at most `HEALTHZ_WAIT_S` for it. The webhook (`POST /wechat`) never looks at any of this. Each measurement
that finds skew logs one warning on `zhiyong.alert`.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Literal

if TYPE_CHECKING:
    from storage.db import Database

log = logging.getLogger("zhiyong.clock")
alert_log = logging.getLogger("zhiyong.alert")

SKEW_THRESHOLD_S = 60.0
NTP_TIMEOUT_S = 1.5
NTP_PORT = 123
FRESH_FOR_S = 300.0  # a measurement is reused this long
RETRY_AFTER_S = 60.0  # ... and one that found no reference only this long
HEALTHZ_WAIT_S = 2.0  # the longest /healthz waits for a measurement it started

PACKET_SIZE = 48
NTP_UNIX_DELTA = 2_208_988_800  # seconds from 1900-01-01 (NTP era 0) to 1970-01-01
NTP_ERA = 2**32  # era 1 starts on 2036-02-07

Status = Literal["ok", "skewed", "unknown"]
Server = tuple[str, int]


class NtpError(Exception):
    """An answer that cannot be used: wrong size or mode, unsynchronised server, not an answer to our request."""


# --- SNTP packets (RFC 4330) ----------------------------------------------------------------------------------


def to_ntp(unix_seconds: float) -> bytes:
    """A 64-bit NTP timestamp: seconds since 1900 (modulo the 2036 era) and a 32-bit fraction."""
    seconds = int(unix_seconds // 1)
    fraction = min(int((unix_seconds - seconds) * 2**32), 2**32 - 1)
    return struct.pack("!II", (seconds + NTP_UNIX_DELTA) % NTP_ERA, fraction)


def from_ntp(raw: bytes) -> float:
    """Unix seconds from an NTP timestamp. RFC 4330 §3: a set top bit means 1968–2036, a clear one 2036–2104."""
    seconds, fraction = struct.unpack("!II", raw)
    if not seconds & 0x8000_0000:
        seconds += NTP_ERA
    return seconds - NTP_UNIX_DELTA + fraction / 2**32


def encode_request(transmit: float) -> bytes:
    """A client request: LI 0, version 4, mode 3, our send time in Transmit Timestamp (the server echoes it)."""
    return bytes([(0 << 6) | (4 << 3) | 3]) + bytes(39) + to_ntp(transmit)


def decode_response(packet: bytes, request: bytes) -> tuple[float, float]:
    """The server's receive and transmit times (T2, T3) from an answer to `request`; NtpError if unusable."""
    if len(packet) < PACKET_SIZE:
        raise NtpError(f"short answer ({len(packet)} bytes)")
    leap, version, mode = packet[0] >> 6, (packet[0] >> 3) & 0x7, packet[0] & 0x7
    stratum = packet[1]
    if mode != 4 or version not in (3, 4):
        raise NtpError(f"not a server answer (version {version}, mode {mode})")
    if stratum == 0:
        raise NtpError(f"kiss-o'-death {packet[12:16].decode('ascii', 'replace')!r}")
    if leap == 3 or stratum > 15:
        raise NtpError("server not synchronised")
    if packet[24:32] != request[40:48]:
        raise NtpError("answer does not echo our request")
    if packet[40:48] == bytes(8):
        raise NtpError("answer has no transmit time")
    return from_ntp(packet[32:40]), from_ntp(packet[40:48])


# --- readings -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    """One reference's answer: `offset_s` is host − reference (None with `error` when it did not answer)."""

    reference: str
    offset_s: float | None = None
    delay_s: float | None = None
    error: str | None = None


def server_label(server: Server) -> str:
    host, port = server
    return f"ntp {f'[{host}]' if ':' in host else host}:{port}"


def sntp_reading(server: Server, *, timeout: float = NTP_TIMEOUT_S, now: Callable[[], float] = time.time) -> Reading:
    """Ask one server once; never raises. `now` is the host clock being measured."""
    label = server_label(server)
    host, port = server
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, 0, socket.SOCK_DGRAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.settimeout(timeout)
            sock.connect(address)  # answers from anyone else are dropped by the kernel
            t1 = now()
            request = encode_request(t1)
            sock.send(request)
            deadline = time.monotonic() + timeout
            while True:
                packet = sock.recv(512)
                t4 = now()
                if packet[24:32] == request[40:48] or time.monotonic() >= deadline:
                    break  # a stale answer to an earlier request is skipped; decode_response judges the rest
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
        t2, t3 = decode_response(packet, request)
    except TimeoutError:
        return Reading(label, error=f"no answer within {timeout:g} s")
    except (OSError, NtpError, UnicodeError) as exc:
        return Reading(label, error=str(exc) or type(exc).__name__)
    offset = ((t1 - t2) + (t4 - t3)) / 2
    delay = max((t4 - t1) - (t3 - t2), 0.0)
    return Reading(label, offset_s=round(offset, 3), delay_s=round(delay, 3))


def database_reading(db: Database, *, now: Callable[[], float] = time.time) -> Reading | None:
    """PostgreSQL's clock against the host's; None for SQLite (its clock is the host's). Never raises."""
    if db.dialect != "postgresql":
        return None
    import sqlalchemy as sa

    try:
        with db.engine.connect() as conn:
            t1 = now()
            server_now = conn.execute(sa.text("SELECT now()")).scalar_one()
            t4 = now()
    except sa.exc.SQLAlchemyError as exc:
        return Reading("database", error=type(exc).__name__)
    return Reading("database", offset_s=round((t1 + t4) / 2 - server_now.timestamp(), 3), delay_s=round(t4 - t1, 3))


# --- the verdict ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockCheck:
    """The verdict: the offset against the most trusted reference that answered, and every reading taken."""

    status: Status
    offset_s: float | None
    reference: str | None
    readings: tuple[Reading, ...] = ()
    threshold_s: float = SKEW_THRESHOLD_S

    def as_health(self) -> dict[str, object]:
        return {"status": self.status, "offset_s": self.offset_s, "reference": self.reference}


def verdict(readings: Sequence[Reading], *, threshold: float = SKEW_THRESHOLD_S) -> ClockCheck:
    """NTP first (in the order configured), then the database; unknown when none answered."""
    answered = [r for r in readings if r.offset_s is not None]
    answered.sort(key=lambda r: r.reference == "database")
    if not answered:
        return ClockCheck("unknown", None, None, tuple(readings), threshold)
    best = answered[0]
    assert best.offset_s is not None
    status: Status = "skewed" if abs(best.offset_s) > threshold else "ok"
    return ClockCheck(status, best.offset_s, best.reference, tuple(readings), threshold)


def measure(
    servers: Sequence[Server],
    db: Database | None = None,
    *,
    timeout: float = NTP_TIMEOUT_S,
    now: Callable[[], float] = time.time,
) -> ClockCheck:
    """Measure in this thread: NTP servers in turn until one answers, and the database. Never raises."""
    readings: list[Reading] = []
    for server in servers:
        reading = sntp_reading(server, timeout=timeout, now=now)
        readings.append(reading)
        if reading.offset_s is not None:
            break
    if db is not None:
        db_reading = database_reading(db, now=now)
        if db_reading is not None:
            readings.append(db_reading)
    return verdict(readings)


# --- the per-process cache ------------------------------------------------------------------------------------


@dataclass
class ClockMonitor:
    """The latest measurement of this process and its refresh; `current()` is what /healthz calls."""

    servers: tuple[Server, ...]
    db: Database | None = None
    timeout: float = NTP_TIMEOUT_S
    fresh_for: float = FRESH_FOR_S
    retry_after: float = RETRY_AFTER_S
    now: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _latest: ClockCheck | None = field(default=None, init=False, repr=False)
    _measured_at: float | None = field(default=None, init=False, repr=False)
    _running: threading.Event | None = field(default=None, init=False, repr=False)
    _pid: int = field(default_factory=os.getpid, init=False, repr=False)

    @property
    def has_references(self) -> bool:
        return bool(self.servers) or (self.db is not None and self.db.dialect == "postgresql")

    def current(self, wait: float = HEALTHZ_WAIT_S, *, database_up: bool = True) -> ClockCheck:
        """The latest verdict. When stale, measure: inline when only the database is asked, else in a daemon
        thread, waiting at most `wait` seconds for it; until a first result exists the verdict is unknown.
        `database_up=False` (the caller's ping just failed) skips a database-only measurement."""
        if not self.has_references or (not self.servers and not database_up):
            return verdict([])
        if self._pid != os.getpid():  # a forked worker inherits no thread and maybe a held lock
            self._lock, self._running, self._pid = threading.Lock(), None, os.getpid()
        with self._lock:
            running = self._running
            if running is None and self._stale():
                running = self._running = threading.Event()
                start = True
            else:
                start = False
        if start:
            if self.servers:
                threading.Thread(target=self._run, args=(running,), name="clock-check", daemon=True).start()
            else:
                self._run(running)
        if running is not None:
            running.wait(wait)
        return self._latest or verdict([])

    def _stale(self) -> bool:
        if self._measured_at is None or self._latest is None:
            return True
        ttl = self.retry_after if self._latest.status == "unknown" else self.fresh_for
        return self.monotonic() - self._measured_at >= ttl

    def _run(self, event: threading.Event) -> ClockCheck:
        try:
            check = measure(self.servers, self.db, timeout=self.timeout, now=self.now)
        except Exception as exc:  # noqa: BLE001 - a bug here must never take /healthz down with it
            log.exception("clock check failed")
            check = ClockCheck("unknown", None, None, (Reading("internal", error=type(exc).__name__),))
        try:
            with self._lock:
                self._latest, self._measured_at = check, self.monotonic()
                if self._running is event:
                    self._running = None
            _report(check)
        finally:
            event.set()
        return check


def _report(check: ClockCheck) -> None:
    if check.status == "skewed":
        alert_log.warning(
            "ALERT clock skew: the host clock is %+.1f s off %s (threshold %g s); signed WeChat pushes are refused "
            "once it passes the timestamp window",
            check.offset_s,
            check.reference,
            check.threshold_s,
        )
    elif check.status == "unknown":
        failed = "; ".join(f"{r.reference}: {r.error}" for r in check.readings) or "none configured"
        log.info("clock offset unknown, no reference answered (%s)", failed)
