"""Build pushes the way WeChat's servers do: the XML, then encrypted and signed for the server URL.

Used by the terminal chat, the simulator, the benchmarks and the tests, so all of them exercise the real
`/wechat` path exactly as WeChat would.
"""

from __future__ import annotations

import base64
import itertools
import os
import random
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.wechat.protocol import cdata
from bot.wechat.protocol import decrypt_payload
from bot.wechat.protocol import encrypt_payload
from bot.wechat.protocol import sha1_signature

_msg_ids = itertools.count(random.SystemRandom().randrange(10**17, 10**18))


def next_msg_id() -> str:
    return str(next(_msg_ids))


def message_xml(
    msg_type: str,
    *,
    sender: str,
    account: str = "gh_zhiyong_demo",
    create_time: int | None = None,
    msg_id: str | None = None,
    **fields: str | float | None,
) -> str:
    """A push's plaintext XML. `fields` are WeChat's tag names (Content, Event, EventKey, MediaId, ...)."""
    create_time = int(time.time()) if create_time is None else create_time
    parts = [
        f"<ToUserName>{cdata(account)}</ToUserName>",
        f"<FromUserName>{cdata(sender)}</FromUserName>",
        f"<CreateTime>{create_time}</CreateTime>",
        f"<MsgType>{cdata(msg_type)}</MsgType>",
    ]
    for tag, value in fields.items():
        if value is None:
            continue
        if isinstance(value, float | int):
            parts.append(f"<{tag}>{value}</{tag}>")
        else:
            parts.append(f"<{tag}>{cdata(value)}</{tag}>")
    if msg_type != "event":
        parts.append(f"<MsgId>{msg_id or next_msg_id()}</MsgId>")
    return "<xml>" + "".join(parts) + "</xml>"


@dataclass(frozen=True)
class SignedPush:
    query: dict[str, str]
    body: bytes

    @property
    def query_string(self) -> str:
        return urlencode(self.query)


@dataclass(frozen=True)
class PushSigner:
    """WeChat's side of the protocol for one account: token, EncodingAESKey, appid and mode."""

    token: str
    aes_key: str | None
    app_id: str
    mode: str = "safe"

    @property
    def key(self) -> bytes:
        assert self.aes_key is not None
        return base64.b64decode(self.aes_key + "=")

    def sign(
        self, xml: str, *, timestamp: int | None = None, nonce: str | None = None, openid: str | None = None
    ) -> SignedPush:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = nonce or str(random.SystemRandom().randrange(10**8, 10**10))
        query = {"timestamp": ts, "nonce": nonce, "signature": sha1_signature(self.token, ts, nonce)}
        if openid:
            query["openid"] = openid
        if self.mode == "plain":
            return SignedPush(query, xml.encode("utf-8"))
        encrypt = encrypt_payload(self.key, xml, self.app_id, os.urandom(16))
        query.update(encrypt_type="aes", msg_signature=sha1_signature(self.token, ts, nonce, encrypt))
        if self.mode == "compat":
            body = xml.replace("</xml>", f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>")
        else:
            body = f"<xml><ToUserName>{cdata('gh_zhiyong_demo')}</ToUserName><Encrypt>{cdata(encrypt)}</Encrypt></xml>"
        return SignedPush(query, body.encode("utf-8"))

    def open_reply(self, body: str) -> str:
        """Verify and decrypt a passive reply as WeChat would; returns the reply's plaintext XML."""
        import xml.etree.ElementTree as ET

        if self.mode == "plain" or body.strip() in ("", "success"):
            return body
        root = ET.fromstring(body)
        encrypt = root.findtext("Encrypt") or ""
        expected = sha1_signature(self.token, root.findtext("TimeStamp") or "", root.findtext("Nonce") or "", encrypt)
        if expected != root.findtext("MsgSignature"):
            raise ValueError("reply signature does not verify")
        text, app_id = decrypt_payload(self.key, encrypt)
        if app_id != self.app_id:
            raise ValueError("reply is for another appid")
        return text


def reply_content(xml: str) -> str | None:
    """The text of a passive text reply, or None for `success` / empty."""
    import xml.etree.ElementTree as ET

    if xml.strip() in ("", "success"):
        return None
    return ET.fromstring(xml).findtext("Content")
