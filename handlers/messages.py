"""Plain data crossing the boundary between `bot/` and the decision logic: what came in, what goes out.

`InboundMessage` is built by `bot.wechat.protocol` from the decrypted XML; no wechatpy type ever reaches `handlers/`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One push from WeChat, already authenticated and decrypted.

    `sender` is the citizen's openid and must never be logged or shown to staff; handlers work with
    `pseudonym` (an HMAC of the openid) wherever they can.
    """

    key: str  # the dedupe key: MsgId, or sender|CreateTime|Event|EventKey for events
    msg_type: str  # text, image, voice, video, shortvideo, location, link, event, or the raw unknown type
    sender: str
    account: str
    created_at: datetime  # CreateTime, timezone-aware UTC
    pseudonym: str = ""
    msg_id: str | None = None
    content: str | None = None  # text Content, or voice Recognition
    event: str | None = None  # lower-cased Event for events (subscribe, unsubscribe, scan, click, view, ...)
    event_key: str | None = None
    media_id: str | None = None
    pic_url: str | None = None
    media_format: str | None = None
    recognition: str | None = None
    location: tuple[float, float] | None = None  # (latitude, longitude)
    label: str | None = None  # location label or link title
    url: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str | None:
        """What the citizen said, typed or spoken (voice `Recognition`), or None."""
        if self.msg_type == "text":
            return self.content
        if self.msg_type == "voice":
            return self.recognition or None
        return None
