"""The per-process objects every request and command shares: settings, database, protocol, clock, pseudonyms.

Built once by `create_app` (before the first request, so gunicorn `--preload` shares it) and kept in
`app.extensions["zhiyong"]`; nothing here is a module-level global.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from flask import current_app
from sqlalchemy import exc as sa_exc

from bot.host_clock import ClockMonitor
from bot.settings import Settings
from bot.wechat.callback_ips import CallbackIps
from bot.wechat.protocol import WechatProtocol
from handlers.calendar import WorkCalendar
from handlers.calendar import from_config as calendar_from_config
from handlers.schedule import OfficialDay
from handlers.schedule import OfficialSchedule
from storage import calendar as calendar_repo
from storage.db import Database

# How often a process re-reads the imported holiday schedule (a web request or a job checks at most this often).
CALENDAR_REFRESH_SECONDS = 60.0

# The model is immutable once loaded: one copy per process, shared by every app the process builds (tests build
# many), keyed by what it was built from.
_CLASSIFIERS: dict[str, Any] = {}
_CLASSIFIER_LOCK = threading.Lock()


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    protocol: WechatProtocol
    clock: Callable[[], datetime] = system_clock
    services: dict[str, Any] = field(default_factory=dict)
    _official: OfficialSchedule = field(default_factory=OfficialSchedule, repr=False)
    _calendar: WorkCalendar | None = field(default=None, repr=False)
    _calendar_checked: float = field(default=float("-inf"), repr=False)

    def now(self) -> datetime:
        return self.clock()

    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone (config.yaml `city.timezone`)."""
        return self.settings.city.tz

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar: config.yaml's overrides and hours, the official schedule imported into the
        database (as last read by `refresh_calendar`), the `holidays` package for other years."""
        if self._calendar is None:
            self._calendar = self._build_calendar(self._official)
        return self._calendar

    @property
    def official_schedule(self) -> OfficialSchedule:
        """The imported official schedule this process's calendar is built on."""
        return self._official

    def _build_calendar(self, official: OfficialSchedule) -> WorkCalendar:
        return calendar_from_config(self.settings.city.calendar, self.settings.city.city.timezone, official)

    def refresh_calendar(self, *, force: bool = False) -> bool:
        """Re-read the imported schedule (at most every CALENDAR_REFRESH_SECONDS unless `force`), so a schedule
        imported by one process reaches every other; returns whether the calendar changed. Call it outside any
        transaction (it opens its own); a database without the table yet (before `db upgrade`) counts as empty."""
        if not force and time.monotonic() - self._calendar_checked < CALENDAR_REFRESH_SECONDS:
            return False
        self._calendar_checked = time.monotonic()
        try:
            with self.db.transaction() as session:
                rows = calendar_repo.official_days(session=session)
        except sa_exc.SQLAlchemyError:
            return False
        official = OfficialSchedule(tuple(OfficialDay(d, k, n) for d, k, n in rows))  # type: ignore[arg-type]
        if official == self._official and self._calendar is not None:
            return False
        self._official, self._calendar = official, self._build_calendar(official)
        return True

    def use_official(self, official: OfficialSchedule) -> WorkCalendar:
        """Switch this process to `official` at once (the importing process, before its other processes see it)."""
        self._official, self._calendar = official, self._build_calendar(official)
        self._calendar_checked = time.monotonic()
        return self._calendar

    @cached_property
    def classifier(self) -> Any:
        """The city's classifier, loaded once per process (create_app touches it before the first request)."""
        city = self.settings.city
        key = city.model_dump_json(include={"units", "categories", "nlp"}) + os.environ.get("ZHIYONG_MODEL_DIR", "")
        with _CLASSIFIER_LOCK:
            if key not in _CLASSIFIERS:
                from nlp import load_classifier_from_config

                _CLASSIFIERS[key] = load_classifier_from_config(city)
            return _CLASSIFIERS[key]

    @cached_property
    def callback_ips(self) -> CallbackIps | None:
        """WeChat's push addresses for flagging pushes from elsewhere; None when the check is off (default: on in
        production, set WECHAT_CALLBACK_IP_CHECK to choose)."""
        env = self.settings.env
        enabled = env.callback_ip_check if env.callback_ip_check is not None else env.environment == "production"
        if not enabled:
            return None

        def fetch() -> list[str]:
            from bot.wechat.api import WechatApi

            with WechatApi.from_runtime(self) as api:
                return api.callback_ips()

        return CallbackIps(fetch, self.clock)

    @cached_property
    def clock_monitor(self) -> ClockMonitor:
        """How far the host clock is off NTP / the database, kept per process for /healthz (RELIABILITY 43)."""
        return ClockMonitor(self.settings.env.ntp_servers, self.db)

    def pseudonymize(self, openid: str) -> str:
        """HMAC of the openid under its own key: stable, not reversible without the restricted table."""
        key = self.settings.env.pseudonym_key.encode("utf-8")
        return "p" + hmac.new(key, openid.encode("utf-8"), hashlib.sha256).hexdigest()[:31]

    def reply_random(self, msg_key: str) -> bytes:
        """The 16 random bytes of an encrypted reply, derived from the push so WeChat's retries get identical
        bytes; secret-keyed so they are unpredictable to anyone else."""
        key = self.settings.env.secret_key.encode("utf-8")
        return hmac.new(key, b"reply:" + msg_key.encode("utf-8"), hashlib.sha256).digest()[:16]


def build_runtime(settings: Settings) -> Runtime:
    env = settings.env
    protocol = WechatProtocol(
        token=env.wechat_token,
        aes_key=env.wechat_aes_key,
        app_id=env.wechat_app_id,
        mode=settings.wechat_mode,
        window_seconds=settings.city.wechat.timestamp_window_seconds,
    )
    return Runtime(settings=settings, db=Database(env.database_url, audit_key=settings.audit_key), protocol=protocol)


def runtime(app: Flask | None = None) -> Runtime:
    return (app or current_app).extensions["zhiyong"]  # type: ignore[no-any-return]
