"""WeChat's push protocol: verify, decrypt, parse into `InboundMessage`, render and encrypt passive replies.

Why not wechatpy's `WeChatCrypto.decrypt_message` / `parse_message` directly: they compare signatures with `!=`,
never check the timestamp, parse the body before verifying it, and let plaintext fields of a compat-mode body
override the encrypted ones. This module keeps wechatpy's AES cipher and PKCS#7 codec but does the checks itself,
in the order RELIABILITY.md asks for, and raises only `Rejected` (answer 4xx, nothing recorded) or `Malformed`
(authenticated but unusable: record a dead letter and answer `success`).
Docs: https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import socket
import struct
import xml.etree.ElementTree as ET
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from wechatpy.crypto.base import WeChatCipher
from wechatpy.crypto.pkcs7 import PKCS7Encoder

from handlers.messages import InboundMessage

_HEX40 = re.compile(r"[0-9a-f]{40}")
_DIGITS = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[A-Za-z0-9]{1,64}")
_ECHOSTR = re.compile(r"[A-Za-z0-9_\-+/=.]{1,256}")
_OPENID = re.compile(r"[A-Za-z0-9_\-]{1,128}")
_MSGTYPE = re.compile(r"[a-z_]{1,32}")
_DOCTYPE = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)
# Characters XML 1.0 cannot carry; they are dropped from replies so the reply always parses.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

REPLY_MAX_BYTES = 2048
_SCALAR_FIELDS = frozenset(
    {
        "ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "MsgID", "PicUrl", "MediaId",
        "Format", "Recognition", "ThumbMediaId", "Location_X", "Location_Y", "Scale", "Label", "Title",
        "Description", "Url", "Event", "EventKey", "Ticket", "Latitude", "Longitude", "Precision", "Status",
        "MsgDataId", "Idx", "Encrypt",
    }
)  # fmt: skip
_EARLIEST_CREATE_TIME = 1_000_000_000  # 2001-09-09; WeChat did not exist before, 1970 means a broken sender


class Rejected(Exception):
    """Not from WeChat, or not for us: answer `status`, record nothing."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Malformed(Exception):
    """Authenticated, but the message cannot be understood: dead-letter it and answer `success`."""


@dataclass(frozen=True, slots=True)
class Opened:
    plaintext: str
    timestamp: str
    nonce: str
    encrypted: bool


def sha1_signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def signatures_match(expected: str, given: str) -> bool:
    # Constant time, so the signature cannot be guessed byte by byte from response timings.
    return hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))


class WechatProtocol:
    """One instance per process; holds the token, the AES key and the appid."""

    def __init__(
        self,
        *,
        token: str,
        aes_key: str | None,
        app_id: str,
        mode: str,
        window_seconds: int = 300,
    ) -> None:
        if mode not in ("safe", "compat", "plain"):
            raise ValueError(f"unknown WeChat mode {mode!r}")
        self.token = token
        self.app_id = app_id
        self.mode = mode
        self.window_seconds = window_seconds
        self._key: bytes | None = None
        if aes_key is not None:
            key = base64.b64decode(aes_key + "=", validate=True)
            if len(key) != 32:
                raise ValueError("WECHAT_AES_KEY does not decode to 32 bytes")
            self._key = key
        elif mode != "plain":
            raise ValueError(f"WECHAT_AES_KEY is required in {mode} mode")

    @property
    def encrypts(self) -> bool:
        return self.mode in ("safe", "compat")

    # -- URL verification (GET) -----------------------------------------------------------------------------

    def verify_url(self, args: Mapping[str, str]) -> str:
        """WeChat's server-URL check: plain 3-field signature, echostr returned unchanged."""
        signature, timestamp, nonce, echostr = (args.get(k, "") for k in ("signature", "timestamp", "nonce", "echostr"))
        if not (_HEX40.fullmatch(signature) and _DIGITS.fullmatch(timestamp) and _NONCE.fullmatch(nonce)):
            raise Rejected(403, "verify: missing or malformed query parameters")
        if not _ECHOSTR.fullmatch(echostr):
            raise Rejected(403, "verify: missing or malformed echostr")
        if not signatures_match(sha1_signature(self.token, timestamp, nonce), signature):
            raise Rejected(403, "verify: bad signature")
        return echostr

    # -- pushes (POST) ---------------------------------------------------------------------------------------

    def open(self, args: Mapping[str, str], body: bytes, now: float) -> Opened:
        """Authenticate a push and return its plaintext XML, or raise Rejected."""
        if _DOCTYPE.search(body):
            raise Rejected(400, "body declares a DOCTYPE or ENTITY")
        timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
        if not (_DIGITS.fullmatch(timestamp) and _NONCE.fullmatch(nonce)):
            raise Rejected(403, "missing or malformed timestamp/nonce")
        sig_name = "msg_signature" if self.encrypts else "signature"
        signature = args.get(sig_name, "")
        if not _HEX40.fullmatch(signature):
            raise Rejected(403, f"missing or malformed {sig_name}")
        if abs(now - int(timestamp)) > self.window_seconds:
            raise Rejected(403, "timestamp outside the accepted window")
        if not self.encrypts:
            if not signatures_match(sha1_signature(self.token, timestamp, nonce), signature):
                raise Rejected(403, "bad signature")
            try:
                return Opened(body.decode("utf-8"), timestamp, nonce, encrypted=False)
            except UnicodeDecodeError:
                raise Malformed("body is not UTF-8") from None
        encrypt = self._envelope_encrypt(body)
        if not signatures_match(sha1_signature(self.token, timestamp, nonce, encrypt), signature):
            raise Rejected(403, "bad msg_signature")
        return Opened(self._decrypt(encrypt), timestamp, nonce, encrypted=True)

    def _envelope_encrypt(self, body: bytes) -> str:
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise Rejected(400, "body is not an XML envelope") from None
        nodes = root.findall("Encrypt")
        if root.tag != "xml" or len(nodes) != 1 or len(nodes[0]) or nodes[0].attrib:
            # A plaintext body sent to a safe-mode server is a downgrade attempt, not a message.
            raise Rejected(400, "envelope without exactly one <Encrypt>")
        encrypt = (nodes[0].text or "").strip()
        if not encrypt or len(encrypt) % 4:
            raise Rejected(400, "empty or truncated <Encrypt>")
        return encrypt

    def _decrypt(self, encrypt: str) -> str:
        assert self._key is not None
        try:
            raw = base64.b64decode(encrypt, validate=True)
            plain = WeChatCipher(self._key).decrypt(raw)
        except Exception:  # binascii.Error, ValueError from the cipher on a bad block size
            raise Rejected(403, "ciphertext does not decrypt") from None
        pad = plain[-1] if plain else 0
        if not 1 <= pad <= 32 or len(plain) < 20 + pad:
            raise Rejected(403, "bad padding")
        content = plain[16:-pad]
        (length,) = struct.unpack("!I", content[:4])
        if length > len(content) - 4:
            raise Rejected(403, "bad message length")
        xml_bytes, app_id = content[4 : 4 + length], content[4 + length :]
        if not hmac.compare_digest(app_id, self.app_id.encode("utf-8")):
            raise Rejected(403, "appid mismatch")
        try:
            return xml_bytes.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("decrypted message is not UTF-8") from None

    # -- parsing ---------------------------------------------------------------------------------------------

    def parse(self, plaintext: str, pseudonymize: Callable[[str], str], now: float) -> InboundMessage:
        """Parse the authenticated (decrypted) XML only, with explicit type checks; raise Malformed."""
        if _DOCTYPE.search(plaintext.encode("utf-8", "surrogatepass")):
            raise Malformed("message declares a DOCTYPE or ENTITY")
        try:
            root = ET.fromstring(plaintext)
        except (ET.ParseError, ValueError) as exc:
            raise Malformed(f"not well-formed XML ({type(exc).__name__})") from None
        if root.tag != "xml":
            raise Malformed("root element is not <xml>")
        fields: dict[str, str] = {}
        for child in root:
            if child.tag not in _SCALAR_FIELDS:
                continue  # containers such as ScanCodeInfo are not used
            if child.attrib or len(child):
                raise Malformed(f"<{child.tag}> is not a plain value")
            if child.tag in fields:
                raise Malformed(f"<{child.tag}> appears twice")
            fields[child.tag] = child.text or ""
        for required in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
            if not fields.get(required, "").strip():
                raise Malformed(f"<{required}> is missing")
        sender = fields["FromUserName"].strip()
        if not _OPENID.fullmatch(sender):
            raise Malformed("<FromUserName> is not an openid")
        create_raw = fields["CreateTime"].strip()
        if not create_raw.isdigit() or len(create_raw) > 12:
            raise Malformed("<CreateTime> is not a Unix time")
        create_time = int(create_raw)
        if not _EARLIEST_CREATE_TIME <= create_time <= now + 86400:
            raise Malformed("<CreateTime> is implausible")
        msg_type = fields["MsgType"].strip().lower()
        if not _MSGTYPE.fullmatch(msg_type):
            raise Malformed("<MsgType> is not a type name")
        pseudonym = pseudonymize(sender)
        event = (fields.get("Event", "").strip().lower() or None) if msg_type == "event" else None
        event_key = fields.get("EventKey") if msg_type == "event" else None
        msg_id = (fields.get("MsgId") or "").strip() or None
        if msg_id is not None and (not msg_id.isdigit() or len(msg_id) > 20):
            raise Malformed("<MsgId> is not a 64-bit number")
        if msg_type != "event" and msg_id is not None:
            key = f"m:{msg_id}"
        else:
            ek = event_key or ""
            if len(ek) > 48:
                ek = "h" + hashlib.sha256(ek.encode("utf-8")).hexdigest()[:24]
            key = f"e:{pseudonym}:{create_time}:{event or msg_type}:{ek}"
        location = None
        lat_raw = fields.get("Location_X") or fields.get("Latitude")
        lon_raw = fields.get("Location_Y") or fields.get("Longitude")
        if lat_raw and lon_raw:
            try:
                location = (float(lat_raw), float(lon_raw))
            except ValueError:
                raise Malformed("location is not numeric") from None
        extra = {k: fields[k] for k in ("MsgID", "Status", "Ticket", "Scale", "Precision") if k in fields}
        return InboundMessage(
            key=key,
            msg_type=msg_type,
            sender=sender,
            account=fields["ToUserName"].strip(),
            created_at=datetime.fromtimestamp(create_time, UTC),
            pseudonym=pseudonym,
            msg_id=msg_id,
            content=fields.get("Content"),
            event=event,
            event_key=event_key,
            media_id=fields.get("MediaId"),
            pic_url=fields.get("PicUrl"),
            media_format=fields.get("Format"),
            recognition=fields.get("Recognition"),
            location=location,
            label=fields.get("Label") or fields.get("Title"),
            url=fields.get("Url"),
            extra=extra,
        )

    # -- replies ---------------------------------------------------------------------------------------------

    def seal(self, reply_xml: str, *, timestamp: str, nonce: str, random16: bytes) -> str:
        """Encrypt a passive reply; `random16` is derived from the push so a retry gets the identical bytes."""
        assert self._key is not None
        encrypt = encrypt_payload(self._key, reply_xml, self.app_id, random16)
        signature = sha1_signature(self.token, timestamp, nonce, encrypt)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><MsgSignature><![CDATA[{signature}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )


def encrypt_payload(key: bytes, text: str, app_id: str, random16: bytes) -> str:
    """random(16) ‖ len(4, network order) ‖ text ‖ appid, PKCS#7 to 32 bytes, AES-256-CBC, base64."""
    if len(random16) != 16:
        raise ValueError("random16 must be 16 bytes")
    body = text.encode("utf-8")
    payload = random16 + struct.pack("I", socket.htonl(len(body))) + body + app_id.encode("utf-8")
    return base64.b64encode(WeChatCipher(key).encrypt(PKCS7Encoder.encode(payload))).decode("ascii")


def decrypt_payload(key: bytes, encrypt: str) -> tuple[str, str]:
    """The inverse of `encrypt_payload`, for the terminal chat, the simulator and tests: (text, appid)."""
    plain = WeChatCipher(key).decrypt(base64.b64decode(encrypt))
    content = plain[16 : -plain[-1]]
    (length,) = struct.unpack("!I", content[:4])
    return content[4 : 4 + length].decode("utf-8"), content[4 + length :].decode("utf-8")


def cdata(value: str) -> str:
    """Wrap text in CDATA so that a `]]>` inside cannot close it early."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def fit_reply(text: str, limit: int = REPLY_MAX_BYTES) -> str:
    """Drop characters XML cannot carry and cut to WeChat's byte limit on a character boundary."""
    text = _XML_INVALID.sub("", text)
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    ellipsis = "……"
    cut = data[: limit - len(ellipsis.encode("utf-8"))].decode("utf-8", "ignore")
    return cut + ellipsis


def render_text_reply(*, to_user: str, from_user: str, content: str, create_time: int) -> str:
    return (
        f"<xml><ToUserName>{cdata(to_user)}</ToUserName><FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(fit_reply(content))}</Content></xml>"
    )


_FROM = re.compile(r"<FromUserName>\s*(?:<!\[CDATA\[)?([^<\]]*)(?:\]\]>)?\s*</FromUserName>")
PSEUDONYM_MARK = "pseudonym:"


def without_sender(plaintext: str, pseudonym: str) -> str:
    """The push with its openid replaced by the sender's pseudonym: what a dead letter keeps for a replay."""
    return _FROM.sub(lambda _m: f"<FromUserName><![CDATA[{PSEUDONYM_MARK}{pseudonym}]]></FromUserName>", plaintext, 1)


def kept_pseudonym(payload: str) -> str | None:
    m = _FROM.search(payload)
    value = m.group(1) if m else ""
    return value[len(PSEUDONYM_MARK) :] if value.startswith(PSEUDONYM_MARK) else None


def with_sender(payload: str, openid: str) -> str:
    """A kept push with the openid put back (looked up from the citizens table at replay time)."""
    return _FROM.sub(lambda _m: f"<FromUserName><![CDATA[{openid}]]></FromUserName>", payload, 1)
