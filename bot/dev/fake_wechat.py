"""A loopback fake of WeChat's API, for tests, the development simulator and `flask --app bot fake-wechat`.

It implements what the sender and the evidence fetcher call (`stable_token`, `token`, customer-service and
template sends, `media/get`, `qrcode/create`, `getcallbackip`), checks the access token like WeChat does, records
every message it receives, and injects faults per endpoint: errcode sequences, HTTP 500, delays (client timeouts)
and connection resets. Never part of production: it binds 127.0.0.1 and has no authentication.

Control endpoints (JSON), for the simulator and for tests in other processes:
  GET    /_fake/messages?openid=…&since=ID    messages received after ID (customer-service and template)
  POST   /_fake/faults  {"endpoint": "message/template/send", "faults": [-1, 0, {"http": 500}], "forever": false}
  DELETE /_fake/faults
  POST   /_fake/media?kind=image|voice|video  (raw body, Content-Type) → {"media_id": …}
  GET    /_fake/pic/MEDIA_ID                  the photo as a push's PicUrl serves it (still there after 40007)
  POST   /_fake/expire-tokens                 every issued token now answers 42001
  GET    /_fake/state                         counters (token calls, messages, requests per endpoint)
Fault specs: an int is an errcode (0 = no fault, proceed normally); {"http": 500}; {"delay": 2.0} (sleep, then
answer -1 without delivering: a request that timed out at the client is lost); {"delay": 2.0, "deliver": true}
(sleep, then deliver: the duplicate-after-timeout case); {"reset": true} (TCP reset, nothing delivered).
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

ENDPOINTS = (
    "stable_token",
    "token",
    "message/custom/send",
    "message/template/send",
    "media/get",
    "qrcode/create",
    "getcallbackip",
)
# WeChat's per-type limits for template values (characters); longer values or newlines → 47003.
TEMPLATE_LIMITS = {"thing": 20, "phrase": 5, "character_string": 32, "number": 32, "letter": 32, "name": 10}


@dataclass(frozen=True)
class Fault:
    errcode: int | None = None
    http_status: int | None = None
    delay: float = 0.0
    deliver: bool = False
    reset: bool = False


def parse_fault(spec: Any) -> Fault:
    """`-1` → errcode; `{"http": 500}`; `{"delay": 2}`; `{"delay": 2, "deliver": true}`; `{"reset": true}`."""
    if isinstance(spec, Fault):
        return spec
    if isinstance(spec, int):
        return Fault(errcode=spec)
    if isinstance(spec, dict):
        return Fault(
            errcode=spec.get("errcode"),
            http_status=spec.get("http"),
            delay=float(spec.get("delay", 0.0)),
            deliver=bool(spec.get("deliver", False)),
            reset=bool(spec.get("reset", False)),
        )
    raise ValueError(f"not a fault spec: {spec!r}")


def sample_jpeg(*, gps: bool = True, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small JPEG carrying EXIF maker, model, body serial number and GPS coordinates (what must be stripped)."""
    from PIL import ExifTags
    from PIL import Image

    img = Image.new("RGB", size, (200, 60, 40))
    exif = Image.Exif()
    exif[0x010F] = "FakeMaker"
    exif[0x0110] = "FakeCam 1"
    exif.get_ifd(ExifTags.IFD.Exif)[0xA431] = "SN-0042"  # BodySerialNumber
    if gps:
        info = exif.get_ifd(ExifTags.IFD.GPSInfo)
        info[1], info[2] = "N", (29.0, 50.0, 27.6)  # Xianning
        info[3], info[4] = "E", (114.0, 19.0, 19.2)
    buf = BytesIO()
    img.save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()


SAMPLE_VOICE = b"#!AMR\n" + bytes([0x3C]) + bytes(31) + bytes([0x3C]) + bytes(31)


class FakeWechat:
    """The fake's state: tokens, recorded messages, media, injected faults. Thread-safe; tests read it directly."""

    def __init__(
        self,
        app_id: str = "wx0123456789abcdef",
        secret: str = "test-app-secret-0001",
        *,
        templates: set[str] | None = None,
        base_url: str = "",
    ) -> None:
        self.app_id = app_id
        self.secret = secret
        self.templates = templates  # None: any template id is accepted
        self.base_url = base_url  # set by the server helper; used for video_url
        self.lock = threading.RLock()
        self.valid_tokens: set[str] = set()
        self.expired_tokens: set[str] = set()
        self.current_token: str | None = None
        self.token_calls: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.media: dict[str, tuple[str, bytes]] = {}
        self.expired_media: set[str] = set()
        self.pic_requests: list[dict[str, Any]] = []  # what PicUrl fetches sent: query keys, credential headers
        self.pic_redirects: dict[str, str] = {}  # media id → Location the PicUrl answers 302 with
        self.unsubscribed: set[str] = set()
        self.window_closed: set[str] = set()
        self.qrcodes: list[dict[str, Any]] = []
        self.callback_ip_list: list[str] = ["127.0.0.1", "::1"]  # what getcallbackip answers
        self._faults: dict[str, deque[Fault]] = {}
        self._forever: dict[str, Fault] = {}
        self._ids = itertools.count(1)
        self._msgids = itertools.count(200228332)

    # faults ----------------------------------------------------------------------------------------------

    def inject(self, endpoint: str, *faults: Any, forever: bool = False) -> None:
        """Queue faults for the next calls of `endpoint`; `forever` repeats the last one on every later call."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {ENDPOINTS}")
        parsed = [parse_fault(f) for f in faults]
        with self.lock:
            if forever and parsed:
                self._forever[endpoint] = parsed.pop()
            self._faults.setdefault(endpoint, deque()).extend(parsed)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self._forever.clear()

    def take_fault(self, endpoint: str) -> Fault | None:
        with self.lock:
            queue = self._faults.get(endpoint)
            if queue:
                return queue.popleft()
            return self._forever.get(endpoint)

    # tokens ------------------------------------------------------------------------------------------------

    def _new_token(self) -> str:
        token = "FAKE_" + secrets.token_hex(24)
        self.valid_tokens.add(token)
        self.current_token = token
        return token

    def expire_tokens(self) -> None:
        """Every issued token now answers 42001 (as after its 7200 s)."""
        with self.lock:
            self.expired_tokens |= self.valid_tokens
            self.valid_tokens.clear()
            self.current_token = None

    def stable_token_calls(self) -> int:
        with self.lock:
            return sum(1 for c in self.token_calls if c["endpoint"] == "stable_token")

    # media -------------------------------------------------------------------------------------------------

    def add_media(self, content: bytes, content_type: str = "image/jpeg", media_id: str | None = None) -> str:
        media_id = media_id or "MEDIA_" + secrets.token_hex(12)
        with self.lock:
            self.media[media_id] = (content_type, content)
        return media_id

    def expire_media(self, media_id: str) -> None:
        with self.lock:
            self.expired_media.add(media_id)

    def pic_url(self, media_id: str) -> str:
        """Where this photo's PicUrl points (WeChat's CDN copy outlives the temporary media id)."""
        return f"{self.base_url}/_fake/pic/{media_id}"

    # what arrived ------------------------------------------------------------------------------------------

    def messages_for(self, openid: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        with self.lock:
            return [m for m in self.messages if m["id"] > since and (openid is None or m["openid"] == openid)]

    def record_call(self, endpoint: str, errcode: int | None) -> None:
        with self.lock:
            self.calls.append({"endpoint": endpoint, "errcode": errcode, "at": time.time()})

    def summary(self) -> dict[str, Any]:
        with self.lock:
            per: dict[str, int] = {}
            for c in self.calls:
                per[c["endpoint"]] = per.get(c["endpoint"], 0) + 1
            return {
                "token_calls": len(self.token_calls),
                "stable_token_calls": self.stable_token_calls(),
                "messages": len(self.messages),
                "calls": per,
            }


def create_fake_app(state: FakeWechat) -> Flask:
    """The fake as a WSGI app; `state` is shared with whoever started it."""
    from bot.dev.fake_wechat_views import bp

    app = Flask("fake_wechat")
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["fake_wechat"] = state
    app.register_blueprint(bp)
    return app


class QuietRequestHandler(WSGIRequestHandler):
    """No request lines: the query strings carry access tokens."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass


class RunningFake:
    """The fake served by werkzeug on 127.0.0.1 in a background thread; `url` goes into WECHAT_API_BASE_URL."""

    def __init__(self, state: FakeWechat, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = state
        self.server: BaseWSGIServer = make_server(
            host, port, create_fake_app(state), threaded=True, request_handler=QuietRequestHandler
        )
        self.url = f"http://{host}:{self.server.port}"
        state.base_url = self.url
        # A short poll interval: shutdown() waits for it, and tests start and stop the fake many times.
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-wechat", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RunningFake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_fake_wechat(state: FakeWechat | None = None, *, host: str = "127.0.0.1", port: int = 0) -> RunningFake:
    """Start the fake on a free loopback port (or `port`); call `.stop()` (or use `with`) when done."""
    return RunningFake(state or FakeWechat(), host, port)


def fetch_messages(base_url: str, *, openid: str | None = None, since: int = 0, timeout: float = 2.0) -> Any:
    """What the simulator calls: messages the fake received for `openid` after id `since`."""
    import requests

    params: dict[str, Any] = {"since": since}
    if openid:
        params["openid"] = openid
    resp = requests.get(f"{base_url.rstrip('/')}/_fake/messages", params=params, timeout=timeout)
    resp.raise_for_status()
    return json.loads(resp.text)
