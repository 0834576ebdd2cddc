"""The outbox sender: claim due rows, send them through WeChat outside any transaction, settle each row.

FixMyStreet's loop (STYLE.md 11.3) with WeChat's rules (RELIABILITY.md 1.3-1.5, 6 "Sender"):
- claim: one short transaction marks due rows `sending` (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite's write
  lock), so two drains never take the same row; rows a dead worker left `sending` for 5 min go back to pending;
- openids are looked up only here, at send time: citizen pseudonym → `citizens.openid`, supervisor id →
  `supervisor_bindings.openid` (unbound → parked "supervisor not bound");
- channel `auto`: customer-service text inside the 48-hour window since the recipient's last message, else a
  template message; 45015 on a customer-service send falls back to the template once;
- supervisor payloads may only carry counts and a link (a guard parks anything else, before any call);
- outcomes: sent / retry with back-off (30 s × 2^n, ≤ 1 h, failed after 8 tries) / parked (quota: until
  00:00 Asia/Shanghai; otherwise until staff act) / failed (permanent); a fatal configuration error (IP whitelist,
  appid, secret, a token WeChat keeps rejecting) stops the drain and raises an alert;
- at most N sends per second (default 20).
Logs carry outbox ids, errcodes and outcomes, never openids, tokens or message text.
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Literal
from zoneinfo import ZoneInfo

from bot.runtime import Runtime
from bot.wechat.api import WechatApi
from bot.wechat.errors import ErrorKind
from bot.wechat.errors import WechatApiError
from bot.wechat.templates import Unsendable
from bot.wechat.templates import render_template
from bot.wechat.templates import supervisor_payload_problem
from storage import citizens
from storage import outbox
from storage.models import Citizen
from storage.models import OutboxMessage
from storage.models import SupervisorBinding

log = logging.getLogger("zhiyong.sender")


alert_log = logging.getLogger("zhiyong.alert")


# WeChat resets its daily quotas at 00:00 China Standard Time, whatever the city's own zone.
WECHAT_TZ = ZoneInfo("Asia/Shanghai")


# WeChat's customer-service window is 48 h after the user's last message; stop a little early so a send that
# races the closing window goes out as a template instead of bouncing with 45015.
SERVICE_WINDOW = timedelta(hours=48) - timedelta(minutes=2)


NOT_FOLLOWING = 43004  # errcode: the recipient does not follow the account


DEFAULT_RATE_PER_SECOND = 20.0


@dataclass
class DrainReport:
    """What one drain did; `stopped` names why it stopped early (fatal configuration), if it did."""

    claimed: int = 0
    sent: int = 0
    retry: int = 0
    parked: int = 0
    failed: int = 0
    released: int = 0
    stale: int = 0
    unparked: int = 0
    stopped: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RateLimiter:
    """At most `per_second` events in any one-second window (a sliding window, so no double burst)."""

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = max(int(per_second), 1)
        self._clock = clock
        self._sleep = sleep
        self._recent: collections.deque[float] = collections.deque()

    def wait(self) -> None:
        while True:
            now = self._clock()
            while self._recent and now - self._recent[0] >= 1.0:
                self._recent.popleft()
            if len(self._recent) < self.limit:
                self._recent.append(now)
                return
            # A floor on the sleep: float rounding must not turn this into a busy loop of 1e-16 s sleeps.
            self._sleep(max(1.0 - (now - self._recent[0]), 0.001))


@dataclass(frozen=True)
class _Recipient:
    openid: str
    window_open: bool


@dataclass
class _Outcome:
    status: Literal["sent", "retry", "parked", "failed", "release"]
    detail: str = ""
    channel: str | None = None
    msgid: str | None = None
    until: datetime | None = None
    stop: str | None = None


def next_midnight_shanghai(now: datetime) -> datetime:
    """00:00 Asia/Shanghai after `now`: WeChat's daily quotas reset then."""
    local = now.astimezone(WECHAT_TZ)
    return datetime(local.year, local.month, local.day, tzinfo=WECHAT_TZ) + timedelta(days=1)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# Recipients whose payload may carry counts and a link only (a supervisor, or a WeChat a supervisor was bound to).
STAFF_KINDS = frozenset({"supervisor", "staff_wechat"})


def _resolve(rt: Runtime, row: OutboxMessage, now: datetime) -> _Recipient | _Outcome:
    """The openid and the window, read at send time; never stored, never logged."""
    with rt.db.transaction() as session:
        pseudonym: str | None
        if row.recipient_kind == "citizen":
            citizen = session.get(Citizen, row.recipient)
            if citizen is None:
                return _Outcome("failed", "citizen unknown")
            if not citizen.subscribed:
                return _Outcome("failed", "citizen unsubscribed")
            openid, last = citizen.openid, citizen.last_message_at
        elif row.recipient_kind == "staff_wechat":
            # A WeChat a supervisor was bound to, by its pseudonym: told when its binding is about to move or moved.
            citizen = session.get(Citizen, row.recipient)
            if citizen is None or not citizen.subscribed:
                return _Outcome("failed", "former binding unknown or unsubscribed")
            openid, last = citizen.openid, citizen.last_message_at
        elif row.recipient_kind == "supervisor":
            binding = session.get(SupervisorBinding, row.recipient)
            if binding is None or not binding.openid:
                return _Outcome("parked", "supervisor not bound")
            openid, pseudonym = binding.openid, binding.pseudonym
            last = None
            if pseudonym:
                citizen = session.get(Citizen, pseudonym)
                last = citizen.last_message_at if citizen is not None else None
        else:
            return _Outcome("failed", f"unknown recipient kind {row.recipient_kind!r}")
    window_open = last is not None and now - last < SERVICE_WINDOW
    return _Recipient(openid=openid, window_open=window_open)


def _plan(row: OutboxMessage, recipient: _Recipient) -> list[str]:
    has_text = isinstance(row.payload.get("text"), str) and bool(row.payload["text"])
    has_template = isinstance(row.payload.get("template"), dict)
    if row.channel == "template":
        return ["template"] if has_template else []
    if row.channel == "customer":
        return (["customer"] if has_text else []) + (["template"] if has_template else [])
    # auto
    if recipient.window_open and has_text:
        return ["customer"] + (["template"] if has_template else [])
    return ["template"] if has_template else []


_ENDPOINT = {"customer": "message/custom/send", "template": "message/template/send"}


class _Sender:
    def __init__(self, rt: Runtime, api: WechatApi, now: datetime, limiter: RateLimiter) -> None:
        self.rt = rt
        self.api = api
        self.now = now
        self.limiter = limiter
        self.exhausted: set[str] = set()  # endpoints whose daily quota ran out during this drain
        options = rt.settings.city.wechat
        self.templates = dict(options.templates)
        self.template_url = options.template_url

    def deliver(self, row: OutboxMessage) -> _Outcome:
        payload = row.payload if isinstance(row.payload, dict) else {}
        if row.recipient_kind in STAFF_KINDS:
            problem = supervisor_payload_problem(payload)
            if problem:
                return _Outcome("parked", problem)
        recipient = _resolve(self.rt, row, self.now)
        if isinstance(recipient, _Outcome):
            return recipient
        if row.recipient_kind in STAFF_KINDS:
            problem = supervisor_payload_problem(payload, recipient.openid)
            if problem:
                return _Outcome("parked", problem)
        channels = _plan(row, recipient)
        if not channels:
            return _Outcome("failed", "nothing sendable: window closed and no template in the payload")
        for index, channel in enumerate(channels):
            fallback_left = index + 1 < len(channels)
            endpoint = _ENDPOINT[channel]
            if endpoint in self.exhausted:
                return _Outcome("parked", f"{endpoint}: daily quota reached", until=next_midnight_shanghai(self.now))
            try:
                return self._send(channel, row, recipient)
            except Unsendable as exc:
                return _Outcome("parked", str(exc))
            except WechatApiError as exc:
                if exc.kind is ErrorKind.FALLBACK and channel == "customer" and fallback_left:
                    log.info("outbox %s: %s; falling back to a template message", row.id, exc.errcode)
                    continue
                return self._outcome(row, exc)
        raise AssertionError("unreachable: the last channel always returns")

    def _send(self, channel: str, row: OutboxMessage, recipient: _Recipient) -> _Outcome:
        if channel == "customer":
            self.limiter.wait()
            self.api.send_text(recipient.openid, str(row.payload["text"]))
            return _Outcome("sent", channel="customer")
        template_id, data, url = render_template(
            row.payload.get("template"),
            templates=self.templates,
            template_url=self.template_url,
            now=self.now,
            tz=self.rt.tz,
        )
        self.limiter.wait()
        msgid = self.api.send_template(recipient.openid, template_id, data, url)
        return _Outcome("sent", channel="template", msgid=msgid)

    def _not_following(self, row: OutboxMessage) -> None:
        """WeChat says the recipient no longer follows the account (we missed or have not yet seen the
        unsubscribe event): remember it, so the citizen's later messages fail here instead of at WeChat; a new
        subscribe event turns it back on."""
        if row.recipient_kind == "citizen":
            with self.rt.db.transaction() as session:
                citizens.set_subscribed(session=session, pseudonym=row.recipient, subscribed=False, at=self.now)
            log.info("outbox %s: recipient does not follow the account (43004); citizen marked unsubscribed", row.id)
        else:
            alert_log.error(
                "ALERT outbox %s: supervisor %s no longer follows the account (43004)", row.id, row.recipient
            )

    def _outcome(self, row: OutboxMessage, exc: WechatApiError) -> _Outcome:
        detail = str(exc)
        if exc.endpoint in ("stable_token", "token"):
            # No token, no sending: nothing this row did wrong, so no attempt is counted.
            if exc.kind in (ErrorKind.FATAL_CONFIG, ErrorKind.QUOTA):
                alert_log.error("ALERT outbox drain stopped: %s", detail)
            return _Outcome("release", detail, stop=f"no access token: {detail}")
        if exc.kind is ErrorKind.RETRYABLE:
            return _Outcome("retry", detail)
        if exc.kind is ErrorKind.TOKEN:
            if exc.refreshed:
                alert_log.error(
                    "ALERT outbox %s: WeChat rejects a freshly refreshed access token (%s); drain stopped",
                    row.id,
                    exc.errcode,
                )
                return _Outcome("parked", detail, stop=f"access token rejected after refresh ({exc.errcode})")
            return _Outcome("retry", detail, stop="access token rejected; refresh throttled")
        if exc.kind is ErrorKind.PERMANENT:
            if exc.errcode == NOT_FOLLOWING:
                self._not_following(row)
            return _Outcome("failed", detail)
        if exc.kind is ErrorKind.FALLBACK:
            return _Outcome("failed", f"{detail}; no template fallback")
        if exc.kind is ErrorKind.QUOTA:
            self.exhausted.add(exc.endpoint)
            until = next_midnight_shanghai(self.now)
            alert_log.error(
                "ALERT outbox: %s daily quota reached (45009); parking until %s", exc.endpoint, until.isoformat()
            )
            return _Outcome("parked", detail, until=until)
        alert_log.error("ALERT outbox drain stopped by a configuration error: %s", detail)
        return _Outcome("release", detail, stop=detail)


def _settle(
    rt: Runtime, row: OutboxMessage, outcome: _Outcome, worker: str, now: datetime, report: DrainReport
) -> None:
    with rt.db.transaction() as session:
        if outcome.status == "sent":
            ok = outbox.mark_sent(
                session=session,
                message_id=row.id,
                worker=worker,
                now=now,
                channel=outcome.channel or "",
                msgid=outcome.msgid,
            )
            status = "sent" if ok else None
        elif outcome.status == "retry":
            status = outbox.mark_retry(session=session, message_id=row.id, worker=worker, now=now, error=outcome.detail)
            status = {"pending": "retry"}.get(status or "", status)
        elif outcome.status == "parked":
            ok = outbox.mark_parked(
                session=session, message_id=row.id, worker=worker, now=now, reason=outcome.detail, until=outcome.until
            )
            status = "parked" if ok else None
        elif outcome.status == "failed":
            ok = outbox.mark_failed(session=session, message_id=row.id, worker=worker, now=now, reason=outcome.detail)
            status = "failed" if ok else None
        else:
            ok = outbox.release(session=session, message_id=row.id, worker=worker, reason=outcome.detail or None)
            status = "released" if ok else None
    if status is None:
        log.warning("outbox %s: claim lost before settling (taken over as stale?)", row.id)
        return
    setattr(report, status, getattr(report, status) + 1)
    if outcome.status == "sent":
        log.info("outbox %s sent via %s%s", row.id, outcome.channel, f" msgid={outcome.msgid}" if outcome.msgid else "")
    else:
        log.info("outbox %s → %s: %s", row.id, status, outcome.detail)


def drain(
    rt: Runtime,
    *,
    now: datetime,
    limit: int = 100,
    worker_id: str | None = None,
    rate_per_second: float = DEFAULT_RATE_PER_SECOND,
    api: WechatApi | None = None,
) -> DrainReport:
    """Send what is due at `now` (at most `limit` rows) and settle every claimed row; never raises for WeChat."""
    worker = worker_id or default_worker_id()
    report = DrainReport()
    with rt.db.transaction() as session:
        report.stale = len(outbox.release_stale(session=session, now=now))
        report.unparked = len(outbox.unpark_due(session=session, now=now))
    with rt.db.transaction() as session:
        rows = outbox.claim_due(session=session, now=now, limit=limit, worker=worker)
    report.claimed = len(rows)
    if not rows:
        return report
    owned = api is None
    client = api or WechatApi.from_runtime(rt)
    sender = _Sender(rt, client, now, RateLimiter(rate_per_second))
    try:
        for row in rows:
            if report.stopped:
                _settle(rt, row, _Outcome("release", f"drain stopped: {report.stopped}"[:300]), worker, now, report)
                continue
            try:
                outcome = sender.deliver(row)
            except Exception as exc:
                # A bug, not WeChat: record it on the row (retried with back-off) rather than leave it 'sending'.
                log.exception("outbox %s: unexpected error while sending", row.id)
                _settle(rt, row, _Outcome("retry", f"internal error: {type(exc).__name__}"), worker, now, report)
                if rt.settings.env.environment == "test":
                    raise
                continue
            _settle(rt, row, outcome, worker, now, report)
            if outcome.stop and not report.stopped:
                report.stopped = outcome.stop
    finally:
        if owned:
            client.close()
    log.info("outbox drain: %s", " ".join(f"{k}={v}" for k, v in report.as_dict().items() if v))
    return report
