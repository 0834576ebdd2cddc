"""WeChat API errors: every errcode sorted into what the caller should do about it (`ErrorKind`).

https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html
"""

from __future__ import annotations

import re
from enum import StrEnum


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
