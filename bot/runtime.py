"""The per-process objects every request and command shares: settings, database, protocol, clock, pseudonyms.

Built once by `create_app` (before the first request, so gunicorn `--preload` shares it) and kept in
`app.extensions["zhiyong"]`; nothing here is a module-level global.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
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

from bot.host_clock import ClockMonitor
from bot.settings import Settings
from bot.wechat.callback_ips import CallbackIps
from bot.wechat.protocol import WechatProtocol
from handlers.calendar import WorkCalendar
from handlers.calendar import from_config as calendar_from_config
from storage.db import Database

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

    def now(self) -> datetime:
        return self.clock()

    @property
    def tz(self) -> ZoneInfo:
        """The city's time zone (config.yaml `city.timezone`)."""
        return self.settings.city.tz

    @cached_property
    def calendar(self) -> WorkCalendar:
        return calendar_from_config(self.settings.city.calendar, self.settings.city.city.timezone)

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
