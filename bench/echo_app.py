"""Baseline for bench/webhook.py: the bare Flask + wechatpy safe-mode echo that most WeChat bots start from.

No dedupe, no database, no timestamp window: decrypt, parse, echo the text back encrypted.
"""

from __future__ import annotations

import os

from flask import Flask
from flask import request
from wechatpy import create_reply
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto


def create_app() -> Flask:
    app = Flask(__name__)
    crypto = WeChatCrypto(os.environ["WECHAT_TOKEN"], os.environ["WECHAT_AES_KEY"], os.environ["WECHAT_APP_ID"])

    @app.post("/wechat")
    def wechat() -> str:
        a = request.args
        xml = crypto.decrypt_message(request.data, a["msg_signature"], a["timestamp"], a["nonce"])
        msg = parse_message(xml)
        reply = create_reply(getattr(msg, "content", "success"), msg)
        return crypto.encrypt_message(reply.render(), a["nonce"], a["timestamp"])

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    return app
