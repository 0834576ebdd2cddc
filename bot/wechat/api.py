"""The WeChat API client: one access-token owner, every call with a timeout, errors sorted into `ErrorKind`.

Built on wechatpy 1.8.18's `WeChatClient`, with its sharp edges filed off (RELIABILITY.md finding 9): no
`auto_retry` (it recurses on 40001 without a cap), always `timeout=`, and the token never fetched by wechatpy.
Tokens come from `TokenOwner`: `POST /cgi-bin/stable_token` (normal mode; `force_refresh` only after a call was
rejected with 40001/42001, once per call and at most once per 30 s across all processes), cached centrally in
Redis when `REDIS_URL` is set (a short lock makes N workers cause one fetch) and always in the `access_tokens`
table (a lease column does the same without Redis, and is the fallback when Redis is down).

Only `bot/` imports this. Logs carry endpoints and errcodes, never tokens, openids or message text.
Docs: https://developers.weixin.qq.com/doc/service/api/base/api_getstableaccesstoken.html
      https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
      https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from enum import StrEnum
from typing import TYPE_CHECKING
from typing import Any

import requests
import sqlalchemy as sa
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from storage._upsert import insert_ignore
from storage.db import Database
from storage.models import AccessToken

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("zhiyong.wechat_api")
alert_log = logging.getLogger("zhiyong.alert")

CONNECT_TIMEOUT = 3.0
MAX_MEDIA_BYTES = 10 * 1024 * 1024  # WeChat's own cap for images and video


class ErrorKind(StrEnum):
    """What the caller should do about a failed call."""

    RETRYABLE = "retryable"  # network, timeout, 5xx, -1 busy: try again later with back-off
    TOKEN = "token"  # 40001/40014/42001: retried once after one token refresh; still failing → give up this call
    PERMANENT = "permanent"  # the recipient or the request is wrong: never retry
    FALLBACK = "fallback"  # 45015/45047: the customer-service window is closed → use a template message
    QUOTA = "quota"  # 45009: daily quota used up → park until tomorrow 00:00 Asia/Shanghai
    FATAL_CONFIG = "fatal_config"  # IP whitelist, appid, secret: stop sending and alert a human


# https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
_KNOWN: dict[int, tuple[ErrorKind, str]] = {
    -1: (ErrorKind.RETRYABLE, "system busy"),
    40001: (ErrorKind.TOKEN, "access token invalid"),
    40014: (ErrorKind.TOKEN, "access token invalid"),
    42001: (ErrorKind.TOKEN, "access token expired"),
    43004: (ErrorKind.PERMANENT, "recipient does not follow the account"),
    40003: (ErrorKind.PERMANENT, "invalid openid"),
    43101: (ErrorKind.PERMANENT, "user refused subscription messages"),
    40037: (ErrorKind.PERMANENT, "invalid template id"),
    47003: (ErrorKind.PERMANENT, "template arguments invalid"),
    47001: (ErrorKind.PERMANENT, "malformed request body"),
    44002: (ErrorKind.PERMANENT, "empty post data"),
    40007: (ErrorKind.PERMANENT, "invalid media id"),
    45015: (ErrorKind.FALLBACK, "outside the 48-hour customer-service window"),
    45047: (ErrorKind.FALLBACK, "too many customer-service messages without a reply"),
    45009: (ErrorKind.QUOTA, "daily api quota reached"),
    45011: (ErrorKind.RETRYABLE, "api frequency limit"),
    40164: (ErrorKind.FATAL_CONFIG, "server ip not on the account's whitelist"),
    40013: (ErrorKind.FATAL_CONFIG, "invalid appid"),
    40125: (ErrorKind.FATAL_CONFIG, "invalid appsecret"),
    41002: (ErrorKind.FATAL_CONFIG, "appid missing"),
    41004: (ErrorKind.FATAL_CONFIG, "appsecret missing"),
    48001: (ErrorKind.FATAL_CONFIG, "api not authorised for this account"),
    89503: (ErrorKind.FATAL_CONFIG, "ip needs administrator confirmation"),
}
# On the token endpoints a credential error means our appid/secret are wrong, not that a token is stale.
_TOKEN_ENDPOINT_FATAL = frozenset({40001, 40002, 40013, 40125, 40164, 41002, 41004, 89503})


def classify(errcode: int | None, *, http_status: int | None = None, endpoint: str = "") -> ErrorKind:
    """Sort a WeChat errcode (or an HTTP status when there is no errcode) into what to do about it."""
    if errcode is None:
        if http_status is None or http_status >= 500 or http_status == 429:
            return ErrorKind.RETRYABLE
        return ErrorKind.FATAL_CONFIG  # a 4xx from the API host: wrong base URL or an interfering proxy
    if endpoint in ("stable_token", "token") and errcode in _TOKEN_ENDPOINT_FATAL:
        return ErrorKind.FATAL_CONFIG
    known = _KNOWN.get(errcode)
    # Unknown codes are retried: the attempt cap bounds the cost, and nothing is dropped on a guess.
    return known[0] if known else ErrorKind.RETRYABLE


_UNSAFE = re.compile(r"[A-Za-z0-9_\-]{20,}")  # openids, tokens and request ids never reach a log or a row


def describe(errcode: int | None, errmsg: str | None = None) -> str:
    """A short, log-safe description: our own words for known codes, a scrubbed errmsg otherwise."""
    known = _KNOWN.get(errcode) if errcode is not None else None
    if known:
        return known[1]
    text = _UNSAFE.sub("…", str(errmsg or ""))
    text = text.split(" rid:")[0].split(" hint:")[0]
    return text[:80] or "wechat error"


class WechatApiError(Exception):
    """A failed WeChat call; `str()` is safe to log and to store as an outbox row's `last_error`."""

    def __init__(
        self,
        kind: ErrorKind,
        errcode: int | None,
        detail: str,
        endpoint: str,
        *,
        http_status: int | None = None,
        refreshed: bool = False,
    ) -> None:
        self.kind = kind
        self.errcode = errcode
        self.detail = detail
        self.endpoint = endpoint
        self.http_status = http_status
        self.refreshed = refreshed  # TOKEN: a refreshed token was rejected too
        super().__init__(str(self))

    def __str__(self) -> str:
        code = (
            f"{self.errcode}" if self.errcode is not None else (f"HTTP {self.http_status}" if self.http_status else "")
        )
        head = f"{self.endpoint}: {code} " if code else f"{self.endpoint}: "
        return f"{head}{self.detail} [{self.kind}]"


# -- the token owner -------------------------------------------------------------------------------------


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


# -- the API client ----------------------------------------------------------------------------------------


class _Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with the token supplied per call by `WechatApi`, never fetched by wechatpy itself."""

    def __init__(self, app_id: str, secret: str, base_url: str, timeout: tuple[float, float]) -> None:
        super().__init__(app_id, secret, timeout=timeout, auto_retry=False)
        self.API_BASE_URL = base_url.rstrip("/") + "/cgi-bin/"
        self.current_token = ""

    @property
    def access_token(self) -> str:  # type: ignore[override]
        return self.current_token

    def fetch_access_token(self) -> dict[str, Any]:
        raise RuntimeError("tokens come from TokenOwner; wechatpy must not fetch them")


@dataclass(frozen=True)
class Media:
    content: bytes
    content_type: str


@dataclass(frozen=True)
class QrCode:
    ticket: str
    url: str  # what the QR code encodes; render it locally, or show via showqrcode?ticket=


class WechatApi:
    """Sending, media download and QR codes; use as a context manager so the HTTP and Redis clients close."""

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        base_url: str,
        db: Database,
        clock: Callable[[], datetime],
        read_timeout: float = 10.0,
        redis_url: str | None = None,
    ) -> None:
        self.timeout = (min(CONNECT_TIMEOUT, read_timeout), read_timeout)
        self._client = _Client(app_id, app_secret, base_url, self.timeout)
        self.tokens = TokenOwner(
            app_id=app_id,
            app_secret=app_secret,
            base_url=base_url,
            db=db,
            http=self._client._http,
            timeout=self.timeout,
            clock=clock,
            redis_url=redis_url,
        )

    @classmethod
    def from_runtime(cls, rt: Runtime) -> WechatApi:
        """The client for this app: base URL, appid/secret, Redis and read timeout from its settings."""
        env = rt.settings.env
        return cls(
            app_id=env.wechat_app_id,
            app_secret=env.wechat_app_secret,
            base_url=env.wechat_api_base_url,
            db=rt.db,
            clock=rt.clock,
            read_timeout=rt.settings.city.wechat.api_timeout_seconds,
            redis_url=env.redis_url,
        )

    def __enter__(self) -> WechatApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client._http.close()
        self.tokens.close()

    # calls -------------------------------------------------------------------------------------------------

    def send_text(self, openid: str, text: str) -> None:
        """A customer-service text message (only inside the 48-hour window; else 45015)."""
        self._call("message/custom/send", lambda c: c.message.send_text(openid, text))

    def send_template(self, openid: str, template_id: str, data: dict[str, Any], url: str | None = None) -> str | None:
        """A template message; returns WeChat's msgid (TEMPLATESENDJOBFINISH reports on it later)."""
        result = self._call("message/template/send", lambda c: c.message.send_template(openid, template_id, data, url))
        msgid = result.get("msgid") if isinstance(result, dict) else None
        return str(msgid) if msgid is not None else None

    def download_media(self, media_id: str) -> Media:
        """A temporary media file (photo, voice; video via its `video_url`). 40007 once WeChat deleted it."""
        result = self._call("media/get", lambda c: c.media.download(media_id), expect_json=False)
        if isinstance(result, dict):
            video_url = result.get("video_url")
            if not video_url:
                raise WechatApiError(ErrorKind.RETRYABLE, None, "media/get returned JSON without a file", "media/get")
            return self._download_url(str(video_url))
        content = result.content
        if len(content) > MAX_MEDIA_BYTES:
            raise WechatApiError(ErrorKind.PERMANENT, None, "media larger than 10 MB", "media/get")
        ctype = result.headers.get("Content-Type", "application/octet-stream").split(";")[0].strip()
        return Media(content=content, content_type=ctype)

    def create_qrcode(self, scene: str) -> QrCode:
        """A permanent QR code (QR_LIMIT_STR_SCENE) whose scan event carries `scene` (1-64 characters)."""
        if not 1 <= len(scene) <= 64:
            raise ValueError("scene_str must be 1 to 64 characters")
        data = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
        result = self._call("qrcode/create", lambda c: c.qrcode.create(data))
        return QrCode(ticket=str(result["ticket"]), url=str(result["url"]))

    def callback_ips(self) -> list[str]:
        """WeChat's push server addresses (refresh daily; a push from elsewhere is only flagged)."""
        result = self._call("getcallbackip", lambda c: c.misc.get_wechat_ips())
        return [str(ip) for ip in result]

    # the one retry rule -------------------------------------------------------------------------------------

    def _call(self, endpoint: str, fn: Callable[[_Client], Any], *, expect_json: bool = True) -> Any:
        token = self.tokens.get()
        try:
            return self._once(endpoint, fn, token, expect_json)
        except WechatApiError as exc:
            if exc.kind is not ErrorKind.TOKEN:
                raise
            first = exc
        # One refresh and one retry, never more: wechatpy's auto_retry recursed here without a cap.
        fresh = self.tokens.replace_rejected(token)
        if fresh is None:
            raise WechatApiError(ErrorKind.TOKEN, first.errcode, "token rejected; refresh throttled", endpoint)
        try:
            return self._once(endpoint, fn, fresh, expect_json)
        except WechatApiError as exc:
            if exc.kind is ErrorKind.TOKEN:
                exc.refreshed = True
                exc.detail = f"{exc.detail} after a token refresh"
            raise

    def _once(self, endpoint: str, fn: Callable[[_Client], Any], token: str, expect_json: bool) -> Any:
        self._client.current_token = token
        try:
            result = fn(self._client)
        except WeChatClientException as exc:
            errcode = exc.errcode
            if errcode is None:
                status = getattr(getattr(exc, "response", None), "status_code", None)
                kind = classify(None, http_status=status, endpoint=endpoint)
                raise WechatApiError(kind, None, "unexpected HTTP status", endpoint, http_status=status) from None
            errcode = int(errcode)
            raise WechatApiError(
                classify(errcode, endpoint=endpoint), errcode, describe(errcode, exc.errmsg), endpoint
            ) from None
        except requests.Timeout:
            raise WechatApiError(ErrorKind.RETRYABLE, None, "timeout", endpoint) from None
        except requests.RequestException as exc:
            raise WechatApiError(ErrorKind.RETRYABLE, None, f"network error ({type(exc).__name__})", endpoint) from None
        finally:
            self._client.current_token = ""
        if expect_json and not isinstance(result, dict | list):
            raise WechatApiError(ErrorKind.RETRYABLE, None, "response is not JSON", endpoint)
        return result

    def _download_url(self, url: str) -> Media:
        try:
            with self._client._http.get(url, timeout=self.timeout, stream=True) as resp:
                if resp.status_code != 200:
                    kind = classify(None, http_status=resp.status_code)
                    raise WechatApiError(kind, None, "video download failed", "media/get", http_status=resp.status_code)
                chunks: list[bytes] = []
                size = 0
                for chunk in resp.iter_content(65536):
                    size += len(chunk)
                    if size > MAX_MEDIA_BYTES:
                        raise WechatApiError(ErrorKind.PERMANENT, None, "media larger than 10 MB", "media/get")
                    chunks.append(chunk)
                ctype = resp.headers.get("Content-Type", "video/mp4").split(";")[0].strip()
        except requests.Timeout:
            raise WechatApiError(ErrorKind.RETRYABLE, None, "timeout", "media/get") from None
        except requests.RequestException as exc:
            raise WechatApiError(
                ErrorKind.RETRYABLE, None, f"network error ({type(exc).__name__})", "media/get"
            ) from None
        return Media(content=b"".join(chunks), content_type=ctype)
