"""The one access-token owner: `POST /cgi-bin/stable_token`, cached centrally for every worker and process.

Normal mode; `force_refresh` only after a call was rejected with 40001/42001, once per call and at most once per
30 s across all processes. Cached in Redis when `REDIS_URL` is set (a short lock makes N workers cause one fetch)
and always in the `access_tokens` table (a lease column does the same without Redis, and is the fallback when
Redis is down). Logs carry endpoints and errcodes, never tokens.
Docs: https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken.html
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import requests
import sqlalchemy as sa

from bot.wechat.errors import ErrorKind
from bot.wechat.errors import WechatApiError
from bot.wechat.errors import classify
from bot.wechat.errors import describe
from storage._upsert import insert_ignore
from storage.db import Database
from storage.models import AccessToken

log = logging.getLogger("zhiyong.wechat_api")
alert_log = logging.getLogger("zhiyong.alert")


@dataclass
class CachedToken:
    token: str
    expires_at: datetime
    forced_at: datetime | None = None


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


_RELEASE_LOCK = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class TokenOwner:
    """The one access token, shared by every worker and process through Redis and/or the database."""

    REFRESH_MARGIN = timedelta(minutes=5)  # stable_token hands out the next token 5 min before expiry
    FORCE_INTERVAL = timedelta(seconds=30)  # WeChat: force_refresh at least 30 s apart, 20 a day
    LEASE = timedelta(seconds=15)
    REDIS_BACKOFF_SECONDS = 30.0
    MEMO_SECONDS = 60.0

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        base_url: str,
        db: Database,
        http: requests.Session,
        timeout: tuple[float, float],
        clock: Callable[[], datetime],
        redis_url: str | None = None,
        wait_seconds: float = 20.0,
        poll_seconds: float = 0.05,
    ) -> None:
        self.app_id = app_id
        self._secret = app_secret
        self._url = base_url.rstrip("/") + "/cgi-bin/stable_token"
        self._db = db
        self._http = http
        self._timeout = timeout
        self._clock = clock
        self._wait = wait_seconds
        self._poll = poll_seconds
        self._redis: Any = None
        self._redis_off_until = 0.0
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._key = f"zhiyong:wechat:token:{app_id}"
        self._lock_key = f"zhiyong:wechat:token-lock:{app_id}"
        self.fetches = 0  # stable_token calls made by this owner (for logs and tests)
        # A process-local copy, re-read from the shared store after MEMO_SECONDS so others' refreshes are seen.
        self._memo: CachedToken | None = None
        self._memo_at = 0.0

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()

    # public ------------------------------------------------------------------------------------------------

    def get(self) -> str:
        """A token valid for at least five more minutes; fetched (by one worker only) when there is none.

        :raises WechatApiError: the token endpoint failed, or another worker's refresh did not finish in time.
        """
        if self._usable(self._memo) and time.monotonic() - self._memo_at < self.MEMO_SECONDS:
            assert self._memo is not None
            return self._memo.token
        cached = self._read()
        if self._usable(cached):
            assert cached is not None
            self._remember(cached)
            return cached.token
        token = self._refresh(rejected=None)
        assert token is not None
        return token

    def replace_rejected(self, rejected: str) -> str | None:
        """After a call was refused with 40001/42001 using `rejected`: a newer token, or None when throttled.

        A newer token some other worker already fetched is used as is; otherwise one `force_refresh`, unless a
        forced refresh happened less than 30 s ago anywhere (WeChat's limit), in which case None.
        """
        self._memo = None
        return self._refresh(rejected=rejected)

    def _remember(self, cached: CachedToken) -> None:
        self._memo, self._memo_at = cached, time.monotonic()

    # refresh under one lock ------------------------------------------------------------------------------------

    def _usable(self, cached: CachedToken | None) -> bool:
        return cached is not None and cached.expires_at - self._clock() > self.REFRESH_MARGIN

    def _refresh(self, *, rejected: str | None) -> str | None:
        deadline = time.monotonic() + self._wait
        while True:
            answer = self._settled(self._read(), rejected)
            if answer is not None:
                return answer
            lock = self._acquire()
            if lock is not None:
                try:
                    cached = self._read()  # someone may have finished between our read and our lock
                    answer = self._settled(cached, rejected)
                    if answer is not None:
                        return answer
                    now = self._clock()
                    forced_at = cached.forced_at if cached else None
                    if rejected is not None:
                        if forced_at is not None and now - forced_at < self.FORCE_INTERVAL:
                            log.warning(
                                "access token rejected but force_refresh ran %ss ago; not forcing again",
                                int((now - forced_at).total_seconds()),
                            )
                            return None
                        fresh = self._fetch(force=True)
                        fresh.forced_at = now
                    else:
                        fresh = self._fetch(force=False)
                        fresh.forced_at = forced_at
                    self._write(fresh)
                    self._remember(fresh)
                    return fresh.token
                finally:
                    self._release(lock)
            if time.monotonic() > deadline:
                raise WechatApiError(
                    ErrorKind.RETRYABLE, None, "token refresh by another worker timed out", "stable_token"
                )
            time.sleep(self._poll)

    def _settled(self, cached: CachedToken | None, rejected: str | None) -> str | None:
        """The cached token if it answers the question: usable, and (after a rejection) not the rejected one."""
        if not self._usable(cached):
            return None
        assert cached is not None
        if rejected is not None and cached.token == rejected:
            return None
        self._remember(cached)
        return cached.token

    def _fetch(self, *, force: bool) -> CachedToken:
        self.fetches += 1
        body = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        if force:
            body["force_refresh"] = True  # type: ignore[assignment]
        log.info("fetching access token (force_refresh=%s)", force)
        try:
            resp = self._http.post(self._url, json=body, timeout=self._timeout)
        except requests.Timeout:
            raise WechatApiError(ErrorKind.RETRYABLE, None, "timeout", "stable_token") from None
        except requests.RequestException as exc:
            raise WechatApiError(
                ErrorKind.RETRYABLE, None, f"network error ({type(exc).__name__})", "stable_token"
            ) from None
        if resp.status_code != 200:
            kind = classify(None, http_status=resp.status_code, endpoint="stable_token")
            raise WechatApiError(kind, None, "unexpected HTTP status", "stable_token", http_status=resp.status_code)
        try:
            data = resp.json()
        except ValueError:
            raise WechatApiError(ErrorKind.RETRYABLE, None, "response is not JSON", "stable_token") from None
        errcode = int(data.get("errcode") or 0) if isinstance(data, dict) else 0
        if not isinstance(data, dict) or errcode != 0 or not data.get("access_token"):
            kind = classify(errcode, endpoint="stable_token") if errcode else ErrorKind.RETRYABLE
            error = WechatApiError(kind, errcode or None, describe(errcode, data.get("errmsg")), "stable_token")
            if kind is ErrorKind.FATAL_CONFIG:
                alert_log.error("ALERT wechat token: %s", error)
            raise error
        expires_in = int(data.get("expires_in") or 7200)
        return CachedToken(token=str(data["access_token"]), expires_at=self._clock() + timedelta(seconds=expires_in))

    # storage: Redis first when it works, the database always -------------------------------------------------

    def _redis_ok(self) -> bool:
        return self._redis is not None and time.monotonic() >= self._redis_off_until

    def _redis_failed(self, exc: Exception) -> None:
        self._redis_off_until = time.monotonic() + self.REDIS_BACKOFF_SECONDS
        log.warning("redis unavailable (%s); using the database copy of the access token", type(exc).__name__)

    def _read(self) -> CachedToken | None:
        from_redis = self._redis_read()
        if self._usable(from_redis):
            return from_redis
        from_db = self._db_read()
        if from_db is not None and self._usable(from_db) and self._redis_ok():
            self._redis_write(from_db)  # Redis restarted or was flushed: put the shared copy back
        candidates = [c for c in (from_redis, from_db) if c is not None]
        if not candidates:
            return None
        best = max(candidates, key=lambda c: c.expires_at)
        forced = [c.forced_at for c in candidates if c.forced_at is not None]
        return CachedToken(best.token, best.expires_at, max(forced) if forced else None)

    def _write(self, token: CachedToken) -> None:
        self._redis_write(token)
        with self._db.transaction() as session:
            self._ensure_row(session)
            session.execute(
                sa.update(AccessToken)
                .where(AccessToken.app_id == self.app_id)
                .values(
                    token=token.token,
                    expires_at=token.expires_at,
                    refreshed_at=self._clock(),
                    forced_at=token.forced_at,
                ),
                execution_options={"synchronize_session": False},
            )

    def _redis_read(self) -> CachedToken | None:
        if not self._redis_ok():
            return None
        try:
            raw = self._redis.get(self._key)
        except Exception as exc:  # redis.RedisError and socket errors: never fatal, the database has a copy
            self._redis_failed(exc)
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
            expires_at = _dt(float(data["expires_at"]))
            assert expires_at is not None
            return CachedToken(str(data["token"]), expires_at, _dt(data.get("forced_at")))
        except (ValueError, KeyError, TypeError, AssertionError):
            return None

    def _redis_write(self, token: CachedToken) -> None:
        if not self._redis_ok():
            return
        ttl = max(int((token.expires_at - self._clock()).total_seconds()), 1)
        value = json.dumps(
            {"token": token.token, "expires_at": _ts(token.expires_at), "forced_at": _ts(token.forced_at)}
        )
        try:
            self._redis.set(self._key, value, ex=ttl)
        except Exception as exc:
            self._redis_failed(exc)

    def _ensure_row(self, session: Any) -> None:
        insert_ignore(session, AccessToken.__table__, {"app_id": self.app_id}, ["app_id"])  # type: ignore[arg-type]

    def _db_read(self) -> CachedToken | None:
        with self._db.transaction() as session:
            row = session.get(AccessToken, self.app_id)
            if row is None or not row.token or row.expires_at is None:
                return None
            return CachedToken(row.token, row.expires_at, row.forced_at)

    def _acquire(self) -> tuple[str, str] | None:
        """One refresher at a time: a Redis SET NX lock, or the database lease when Redis is off or down."""
        if self._redis_ok():
            marker = uuid.uuid4().hex
            try:
                if self._redis.set(self._lock_key, marker, nx=True, px=int(self.LEASE.total_seconds() * 1000)):
                    return ("redis", marker)
                return None
            except Exception as exc:
                self._redis_failed(exc)
        now = self._clock()
        with self._db.transaction() as session:
            self._ensure_row(session)
            got = session.execute(
                sa.update(AccessToken)
                .where(
                    AccessToken.app_id == self.app_id,
                    sa.or_(AccessToken.lease_until.is_(None), AccessToken.lease_until < now),
                )
                .values(lease_until=now + self.LEASE)
                .returning(AccessToken.app_id),
                execution_options={"synchronize_session": False},
            ).first()
        return ("db", "") if got is not None else None

    def _release(self, lock: tuple[str, str]) -> None:
        backend, marker = lock
        if backend == "redis":
            try:
                self._redis.eval(_RELEASE_LOCK, 1, self._lock_key, marker)
            except Exception as exc:
                self._redis_failed(exc)  # the lock expires by itself
            return
        with self._db.transaction() as session:
            session.execute(
                sa.update(AccessToken).where(AccessToken.app_id == self.app_id).values(lease_until=None),
                execution_options={"synchronize_session": False},
            )
