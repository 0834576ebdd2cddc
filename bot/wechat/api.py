"""The WeChat API client: sending, media download, QR codes and callback IPs, every call with a timeout.

Built on wechatpy 1.8.18's `WeChatClient`, with its sharp edges filed off (RELIABILITY.md finding 9): no
`auto_retry` (it recurses on 40001 without a cap), always `timeout=`, and the token never fetched by wechatpy:
tokens come from `bot.wechat.token.TokenOwner`, errors are sorted by `bot.wechat.errors`.

Only `bot/` imports this. Logs carry endpoints and errcodes, never tokens, openids or message text.
Docs: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Service_Center_messages.html
      https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Template_Message_Interface.html
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from bot.wechat.errors import ErrorKind
from bot.wechat.errors import WechatApiError
from bot.wechat.errors import classify
from bot.wechat.errors import describe
from bot.wechat.token import TokenOwner
from storage.db import Database

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger("zhiyong.wechat_api")
alert_log = logging.getLogger("zhiyong.alert")

CONNECT_TIMEOUT = 3.0
MAX_MEDIA_BYTES = 10 * 1024 * 1024  # WeChat's own cap for images and video


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
