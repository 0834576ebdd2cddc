"""WeChat's official signature and encryption vectors through our own protocol wrapper (bot.wechat.protocol)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from bot.wechat import protocol as wechat
from bot.wechat.protocol import Malformed
from bot.wechat.protocol import Rejected
from bot.wechat.protocol import WechatProtocol
from bot.wechat.protocol import decrypt_payload
from bot.wechat.protocol import encrypt_payload
from bot.wechat.protocol import sha1_signature

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "fixtures/wechat_vectors.json").read_text("utf-8"))


def key_of(v: dict) -> bytes:
    return base64.b64decode(v["encoding_aes_key"] + "=")


@pytest.mark.parametrize("name", ["plain_url_verify_official_doc", "plain_url_verify_wechatpy_tests"])
def test_url_verification_vectors(name: str) -> None:
    v = VECTORS[name]
    proto = WechatProtocol(token=v["token"], aes_key=None, app_id="wx_any", mode="plain")
    args = {"signature": v["signature"], "timestamp": v["timestamp"], "nonce": v["nonce"], "echostr": "e1234"}
    assert proto.verify_url(args) == "e1234"
    with pytest.raises(Rejected):
        proto.verify_url({**args, "signature": v["signature"].upper()})
    with pytest.raises(Rejected):
        proto.verify_url({**args, "nonce": v["nonce"] + "1"})


def test_vector_a_encrypts_byte_identically() -> None:
    v = VECTORS["A_encrypt_fixed_random"]
    for case in v["cases"]:
        got = encrypt_payload(key_of(v), case["plaintext"], v["appid"], v["random16"].encode())
        assert got == case["ciphertext_b64"]
        assert decrypt_payload(key_of(v), got) == (case["plaintext"], v["appid"])


def test_vector_b_decrypts_echostr() -> None:
    v = VECTORS["B_encrypted_echostr_wecom_style"]
    assert sha1_signature(v["token"], v["timestamp"], v["nonce"], v["echostr"]) == v["msg_signature"]
    assert decrypt_payload(key_of(v), v["echostr"]) == (v["expected_plain"], v["receive_id"])


def test_vector_c_compat_mode_keeps_newlines_and_ignores_plaintext_fields() -> None:
    v = VECTORS["C_decrypt_compat_mode_python_sample"]
    proto = WechatProtocol(token=v["token"], aes_key=v["encoding_aes_key"], app_id=v["appid"], mode="compat")
    args = {"timestamp": v["timestamp"], "nonce": v["nonce"], "msg_signature": v["msg_signature"]}
    opened = proto.open(args, v["body"].encode(), now=int(v["timestamp"]))
    assert opened.plaintext == v["expected_plain"]
    # Tampering the plaintext fields beside <Encrypt> still verifies (the signature covers only Encrypt)...
    tampered = v["body"].replace("abcdteT", "ATTACKER").replace("oyORnuP8q7ou2gfYjqLzSIWZf0rs", "o_attacker")
    opened = proto.open(args, tampered.encode(), now=int(v["timestamp"]))
    # ...but we only ever parse the decrypted XML.
    msg = proto.parse(opened.plaintext, lambda oid: "p" + oid, now=int(v["timestamp"]))
    assert (msg.content, msg.sender) == ("abcdteT", "oyORnuP8q7ou2gfYjqLzSIWZf0rs")
    assert msg.msg_id == "6054768590064713728"


def test_vector_d_decrypts_with_its_signature() -> None:
    v = VECTORS["D_decrypt_cpp_sample"]
    proto = WechatProtocol(token=v["token"], aes_key=v["encoding_aes_key"], app_id=v["appid"], mode="safe")
    body = f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{v['encrypt']}]]></Encrypt></xml>"
    args = {"timestamp": v["timestamp"], "nonce": v["nonce"], "msg_signature": v["msg_signature"]}
    opened = proto.open(args, body.encode(), now=int(v["timestamp"]))
    msg = proto.parse(opened.plaintext, lambda oid: "p", now=int(v["timestamp"]))
    assert msg.msg_id == v["expected_msgid"]
    assert msg.key == f"m:{v['expected_msgid']}"


def test_vector_e_safe_mode_push_and_reply() -> None:
    v = VECTORS["E_official_doc_safe_mode"]
    proto = WechatProtocol(token=v["token"], aes_key=v["encoding_aes_key"], app_id=v["appid"], mode="safe")
    args = {"timestamp": v["timestamp"], "nonce": v["nonce"], "msg_signature": v["msg_signature"]}
    opened = proto.open(args, v["body"].encode(), now=int(v["timestamp"]))
    assert len(opened.plaintext.encode()) == v["expected_plain_len"]
    msg = proto.parse(opened.plaintext, lambda oid: "p", now=int(v["timestamp"]))
    assert msg.event == v["expected_event"]
    r = v["reply"]
    sealed = proto.seal(r["plaintext"], timestamp=r["timestamp"], nonce=r["nonce"], random16=r["random16"].encode())
    assert re.search(r"<Encrypt><!\[CDATA\[(.+?)\]\]>", sealed).group(1) == r["ciphertext_b64"]
    assert r["msg_signature"] in sealed


def test_signatures_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = wechat.hmac.compare_digest

    def spy(a, b):  # type: ignore[no-untyped-def]
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(wechat.hmac, "compare_digest", spy)
    v = VECTORS["plain_url_verify_official_doc"]
    proto = WechatProtocol(token=v["token"], aes_key=None, app_id="wx_any", mode="plain")
    proto.verify_url({"signature": v["signature"], "timestamp": v["timestamp"], "nonce": v["nonce"], "echostr": "x"})
    assert calls and calls[0][1] == v["signature"].encode()


def test_no_plain_equality_against_signatures_in_source() -> None:
    source = (Path(wechat.__file__)).read_text("utf-8")
    offenders = [
        line
        for line in source.splitlines()
        if re.search(r"signature\w*\s*[!=]=|[!=]=\s*\w*signature", line) and "def " not in line
    ]
    assert offenders == []


def test_cdata_escaping_cannot_be_broken_out_of() -> None:
    import xml.etree.ElementTree as ET

    nasty = "a]]><MsgType>news</MsgType><![CDATA[ & < 😀 𠀀 \u200f"
    xml = wechat.render_text_reply(to_user="o_x", from_user="gh_x", content=nasty, create_time=1)
    root = ET.fromstring(xml)
    assert root.findtext("Content") == nasty
    assert len(root.findall("MsgType")) == 1 and root.findtext("MsgType") == "text"


def test_reply_is_cut_to_wechat_byte_limit_on_a_character_boundary() -> None:
    text = "投诉" * 2000
    fitted = wechat.fit_reply(text)
    assert len(fitted.encode("utf-8")) <= 2048
    assert fitted.endswith("……") and fitted.startswith("投诉投诉")
    assert wechat.fit_reply("a\x00b") == "ab"


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>abc</CreateTime>"
         "<MsgType>text</MsgType></xml>", "CreateTime"),
        ("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>" + "9" * 20 +
         "</CreateTime><MsgType>text</MsgType></xml>", "CreateTime"),
        ("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>-5</CreateTime>"
         "<MsgType>text</MsgType></xml>", "CreateTime"),
        ("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>0</CreateTime>"
         "<MsgType>text</MsgType></xml>", "CreateTime"),
        ("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime>"
         "<MsgType>text</MsgType><MsgType>image</MsgType></xml>", "twice"),
        ("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime>"
         "<MsgType>text</MsgType><Content x=\"1\">hi</Content></xml>", "plain value"),
        ("<xml><ToUserName>gh</ToUserName><FromUserName><a/></FromUserName><CreateTime>1700000000</CreateTime>"
         "<MsgType>text</MsgType></xml>", "plain value"),
        ("<xml><ToUserName>gh</ToUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType></xml>",
         "FromUserName"),
        ("{\"ToUserName\": \"gh\"}", "well-formed"),
        ("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime>"
         "<MsgType>text</MsgType><MsgId>12ab</MsgId></xml>", "MsgId"),
    ],
)  # fmt: skip
def test_malformed_inner_xml_is_refused_explicitly(xml: str, reason: str) -> None:
    proto = WechatProtocol(token="tok", aes_key=None, app_id="wx1", mode="plain")
    with pytest.raises(Malformed, match=reason):
        proto.parse(xml, lambda oid: "p", now=1_800_000_000)


def test_event_keys_separate_distinct_events_in_the_same_second() -> None:
    proto = WechatProtocol(token="tok", aes_key=None, app_id="wx1", mode="plain")
    base = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime>"
    sub = proto.parse(base + "<MsgType>event</MsgType><Event>subscribe</Event></xml>", lambda o: "p1", 1.8e9)
    click = proto.parse(
        base + "<MsgType>event</MsgType><Event>CLICK</Event><EventKey>HELP</EventKey></xml>", lambda o: "p1", 1.8e9
    )
    assert sub.key != click.key
    assert "o1" not in sub.key  # keys are logged: they carry the pseudonym, never the openid


def test_an_encoding_declaration_does_not_change_how_the_utf8_plaintext_is_read() -> None:
    # Policy: the decrypted payload is UTF-8 by protocol; a declared encoding is ignored, never a crash.
    proto = WechatProtocol(token="tok", aes_key=None, app_id="wx1", mode="plain")
    xml = (
        '<?xml version="1.0" encoding="gbk"?><xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>'
        "<CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>窗口态度差</Content><MsgId>1</MsgId></xml>"
    )
    assert proto.parse(xml, lambda o: "p", now=1.8e9).content == "窗口态度差"
