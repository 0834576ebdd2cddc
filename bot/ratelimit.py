"""Per-citizen flood limit at the webhook (RELIABILITY 5.9 item 76; DESIGN "Scale": Redis for rate limits).

Active when `REDIS_URL` is set. More than `per_minute` pushes within one minute from one pseudonym: the push is
still claimed in the inbound ledger (so WeChat's retries get the same answer and `reconcile` accounts for it),
recorded with outcome "ignored", and answered with a short polite text; the dialog and the classifier do not run,
so a flood costs one ledger row and nothing else.

Counting is Redis `INCR` + `EXPIRE` on one key per pseudonym and minute: a fixed window shared by every worker
and host. When Redis is unreachable each process falls back to its own token bucket of the same size (no
database: the database is what the limit protects) and tries Redis again after a back-off, like the token owner
in `bot.wechat.api`. The per-process bucket is looser (N workers allow N times the rate), which is acceptable for
a fallback whose job is to keep one flooding client from starving the rest.

State changes that must never be dropped (subscribe, unsubscribe, template delivery reports) are not counted.
Time comes from the caller (the runtime's clock), so tests drive it; logs carry the pseudonym's key prefix only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from handlers.messages import InboundMessage

log = logging.getLogger("zhiyong.ratelimit")

DEFAULT_PER_MINUTE = 30
REDIS_TIMEOUT_SECONDS = 0.2  # on the request path: a slow Redis must not become a slow webhook
REDIS_BACKOFF_SECONDS = 30.0
MAX_TRACKED = 10_000  # buckets kept per process: flat memory however many citizens write
EXEMPT_EVENTS = frozenset({"subscribe", "unsubscribe", "templatesendjobfinish"})
DEFAULT_TEXT = "您发送消息过于频繁，请稍候一分钟再发。已提交的反映不受影响，我们会继续办理。"
_SERVICE = "flood_limiter"
_CREATE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Verdict:
    limited: bool
    count: float  # pushes in the current window (Redis) or tokens left (bucket)
    backend: str  # "redis" | "local"


class FloodLimiter:
    """At most `per_minute` pushes per pseudonym and minute; Redis first, a per-process token bucket as fallback."""

    def __init__(
        self,
        redis_url: str | None,
        *,
        per_minute: int = DEFAULT_PER_MINUTE,
        backoff_seconds: float = REDIS_BACKOFF_SECONDS,
        max_tracked: int = MAX_TRACKED,
        monotonic: Any = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self._backoff = backoff_seconds
        self._max_tracked = max_tracked
        self._monotonic = monotonic
        self._redis: Any = None
        self._redis_off_until = 0.0
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(
                redis_url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
            )
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # pseudonym -> (tokens, at)

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()

    def check(self, pseudonym: str, at: datetime) -> Verdict:
        """Count one push from `pseudonym` at `at` and say whether it is over the limit."""
        if self._redis is not None and self._monotonic() >= self._redis_off_until:
            minute = int(at.timestamp() // 60)
            key = f"zhiyong:flood:{pseudonym}:{minute}"
            try:
                pipe = self._redis.pipeline(transaction=False)
                pipe.incr(key)
                pipe.expire(key, 120)  # the window plus slack for clock skew between hosts
                count = int(pipe.execute()[0])
                return Verdict(count > self.per_minute, count, "redis")
            except Exception as exc:  # redis.RedisError and socket errors: never fatal, fall back below
                self._redis_off_until = self._monotonic() + self._backoff
                log.warning("redis unavailable (%s); flood limit falls back to this process", type(exc).__name__)
        return self._bucket(pseudonym, at.timestamp())

    def _bucket(self, pseudonym: str, now: float) -> Verdict:
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.pop(pseudonym, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + max(now - last, 0.0) * rate)
            limited = tokens < 1.0
            if not limited:
                tokens -= 1.0
            self._buckets[pseudonym] = (tokens, now)
            while len(self._buckets) > self._max_tracked:
                self._buckets.popitem(last=False)  # least recently seen: a full bucket again when it returns
        return Verdict(limited, tokens, "local")

    @property
    def tracked(self) -> int:
        return len(self._buckets)


def limiter(rt: Runtime) -> FloodLimiter | None:
    """This process's limiter, created on first use (after gunicorn forks), or None when REDIS_URL is unset."""
    url = rt.settings.env.redis_url
    if not url:
        return None
    found = rt.services.get(_SERVICE)
    if found is None:
        with _CREATE_LOCK:
            found = rt.services.get(_SERVICE)
            if found is None:
                found = rt.services[_SERVICE] = FloodLimiter(url)
    return found  # type: ignore[no-any-return]


def flooded(rt: Runtime, msg: InboundMessage, now: datetime) -> bool:
    """True when this push is over its sender's limit and must not be processed (asked before any work of the
    turn; the push is claimed in the ledger either way)."""
    if msg.msg_type == "event" and (msg.event or "") in EXEMPT_EVENTS:
        return False
    lim = limiter(rt)
    if lim is None:
        return False
    verdict = lim.check(msg.pseudonym, now)
    if verdict.limited:
        log.info("push flood-limited key=%s backend=%s count=%d", msg.key, verdict.backend, int(verdict.count))
    return verdict.limited


def reply_text(rt: Runtime) -> str:
    """The polite answer to a limited push: `texts.flood` in config.yaml, or a default."""
    configured = getattr(rt.settings.city.texts, "flood", None)
    return configured if isinstance(configured, str) and configured.strip() else DEFAULT_TEXT
