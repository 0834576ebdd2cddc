"""The fake WeChat API's views: `/cgi-bin/…` as WeChat answers it, and the `/_fake/…` control endpoints.

The state they read and change is the `FakeWechat` of the app that serves them (`create_fake_app`), so one
process can run several fakes. Development and tests only.
"""

from __future__ import annotations

import hashlib
import socket
import struct
import time
from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import jsonify
from flask import request

from bot.dev.fake_wechat import ENDPOINTS
from bot.dev.fake_wechat import SAMPLE_VOICE
from bot.dev.fake_wechat import TEMPLATE_LIMITS
from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import sample_jpeg

bp = Blueprint("fake_wechat", __name__)


def _state() -> FakeWechat:
    return current_app.extensions["fake_wechat"]  # type: ignore[no-any-return]


def _err(errcode: int, errmsg: str = "") -> Response:
    return jsonify({"errcode": errcode, "errmsg": errmsg or f"fake error {errcode}"})


def _reset_connection() -> None:
    """Close the client's socket with a TCP RST (SO_LINGER 0): the caller sees 'connection reset by peer'."""
    sock = request.environ.get("werkzeug.socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # shutdown, not close: werkzeug still holds file objects on the socket and closes it itself afterwards.
        sock.shutdown(socket.SHUT_RDWR)


def _template_error(data: Any) -> str | None:
    if not isinstance(data, dict):
        return "data must be an object"
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str):
            return f"{key}: value must be a string"
        if "\n" in value:
            return f"{key}: newline"
        kind = key.rstrip("0123456789")
        limit = TEMPLATE_LIMITS.get(kind)
        if limit is not None and len(value) > limit:
            return f"{key}: longer than {limit}"
    return None


def token_error() -> Response | None:
    token = request.args.get("access_token", "")
    with _state().lock:
        if token in _state().valid_tokens:
            return None
        if token in _state().expired_tokens:
            return _err(42001, "access_token expired")
    return _err(40001, "invalid credential, access_token is invalid or not latest")


def body() -> dict[str, Any]:
    data = request.get_json(force=True, silent=True)
    return data if isinstance(data, dict) else {}


@bp.route("/cgi-bin/<path:endpoint>", methods=["GET", "POST"])
def api(endpoint: str) -> Any:
    if endpoint not in ENDPOINTS:
        return _err(40066, "invalid url")
    fault = _state().take_fault(endpoint)
    if fault is not None:
        if fault.delay:
            time.sleep(fault.delay)
            if not fault.deliver:
                _state().record_call(endpoint, -1)
                return _err(-1, "system error")
        if fault.reset:
            _state().record_call(endpoint, None)
            _reset_connection()
            return Response(status=500)
        if fault.http_status:
            _state().record_call(endpoint, None)
            return Response("fake upstream failure", status=fault.http_status, mimetype="text/html")
        if fault.errcode:
            if endpoint in ("stable_token", "token"):
                with _state().lock:
                    _state().token_calls.append({"endpoint": endpoint, "force": None, "errcode": fault.errcode})
            _state().record_call(endpoint, fault.errcode)
            return _err(fault.errcode)
    response = handle(endpoint)
    errcode = None
    if response.is_json:
        errcode = (response.get_json(silent=True) or {}).get("errcode")
    _state().record_call(endpoint, errcode)
    return response


def handle(endpoint: str) -> Response:
    if endpoint == "stable_token":
        return stable_token()
    if endpoint == "token":
        return legacy_token()
    failed = token_error()
    if failed is not None:
        return failed
    if endpoint == "message/custom/send":
        return custom_send()
    if endpoint == "message/template/send":
        return template_send()
    if endpoint == "media/get":
        return media_get()
    if endpoint == "qrcode/create":
        return qrcode_create()
    with _state().lock:
        return jsonify({"ip_list": list(_state().callback_ip_list)})


def stable_token() -> Response:
    data = body()
    force = bool(data.get("force_refresh"))
    with _state().lock:
        _state().token_calls.append({"endpoint": "stable_token", "force": force})
        if data.get("appid") != _state().app_id:
            return _err(40013, "invalid appid")
        if data.get("secret") != _state().secret:
            return _err(40125, "invalid appsecret")
        # Normal mode hands out the current token again; force_refresh makes a new one (the old stays valid).
        token = _state().current_token if (_state().current_token and not force) else _state()._new_token()
    return jsonify({"access_token": token, "expires_in": 7200})


def legacy_token() -> Response:
    with _state().lock:
        _state().token_calls.append({"endpoint": "token", "force": None})
        if request.args.get("appid") != _state().app_id:
            return _err(40013, "invalid appid")
        if request.args.get("secret") != _state().secret:
            return _err(40001, "invalid credential")
        # /cgi-bin/token invalidates the previous token: the trap stable_token avoids.
        _state().valid_tokens.clear()
        token = _state()._new_token()
    return jsonify({"access_token": token, "expires_in": 7200})


def _openid_error(openid: Any) -> Response | None:
    if not isinstance(openid, str) or not openid or len(openid) > 128:
        return _err(40003, "invalid openid")
    if openid in _state().unsubscribed:
        return _err(43004, "require subscribe")
    return None


def _record(kind: str, openid: str, **fields: Any) -> dict[str, Any]:
    with _state().lock:
        msg = {
            "id": next(_state()._ids),
            "kind": kind,
            "openid": openid,
            "at": datetime.now(UTC).isoformat(),
            **fields,
        }
        _state().messages.append(msg)
    return msg


def custom_send() -> Response:
    data = body()
    openid = data.get("touser")
    failed = _openid_error(openid)
    if failed is not None:
        return failed
    if openid in _state().window_closed:
        return _err(45015, "response out of time limit or subscription is canceled")
    msgtype = data.get("msgtype")
    if msgtype != "text" or not isinstance(data.get("text"), dict):
        return _err(47001, "data format error")
    _record("customer", openid, msgtype="text", text=str(data["text"].get("content", "")))
    return _err(0, "ok")


def template_send() -> Response:
    data = body()
    openid = data.get("touser")
    failed = _openid_error(openid)
    if failed is not None:
        return failed
    template_id = data.get("template_id")
    if not template_id or (_state().templates is not None and template_id not in _state().templates):
        return _err(40037, "invalid template_id")
    problem = _template_error(data.get("data"))
    if problem:
        return _err(47003, f"argument invalid! {problem}")
    msgid = next(_state()._msgids)
    _record("template", openid, template_id=template_id, url=data.get("url"), data=data.get("data"), msgid=str(msgid))
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})


def media_get() -> Response:
    media_id = request.args.get("media_id", "")
    with _state().lock:
        found = _state().media.get(media_id)
        expired = media_id in _state().expired_media
    if found is None or expired:
        return _err(40007, "invalid media_id")
    content_type, content = found
    if content_type.startswith("video/"):
        return jsonify({"video_url": f"{_state().base_url}/_fake/video/{media_id}"})
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "audio/amr": "amr"}.get(content_type, "bin")
    resp = Response(content, mimetype=content_type)
    resp.headers["Content-Disposition"] = f'attachment; filename="{media_id}.{ext}"'
    return resp


def qrcode_create() -> Response:
    data = body()
    scene = ((data.get("action_info") or {}).get("scene") or {}).get("scene_str")
    if data.get("action_name") != "QR_LIMIT_STR_SCENE" or not isinstance(scene, str) or not 1 <= len(scene) <= 64:
        return _err(47001, "data format error")
    ticket = "gQ" + hashlib.sha256(scene.encode()).hexdigest()[:40]
    with _state().lock:
        _state().qrcodes.append({"scene": scene, "ticket": ticket})
    return jsonify({"ticket": ticket, "url": f"http://weixin.qq.com/q/{ticket[:22]}"})


# -- control endpoints ----------------------------------------------------------------------------------


@bp.get("/_fake/messages")
def fake_messages() -> Any:
    since = request.args.get("since", "0")
    msgs = _state().messages_for(request.args.get("openid") or None, int(since) if since.isdigit() else 0)
    return jsonify({"messages": msgs, "last_id": msgs[-1]["id"] if msgs else int(since or 0)})


@bp.route("/_fake/faults", methods=["POST", "DELETE"])
def fake_faults() -> Any:
    if request.method == "DELETE":
        _state().clear_faults()
        return jsonify({"ok": True})
    data = body()
    try:
        _state().inject(str(data.get("endpoint")), *list(data.get("faults") or []), forever=bool(data.get("forever")))
    except ValueError as exc:
        return jsonify({"ok": False, "error": str(exc)}), 400
    return jsonify({"ok": True})


@bp.post("/_fake/media")
def fake_media() -> Any:
    content = request.get_data()
    content_type = request.content_type or "application/octet-stream"
    kind = request.args.get("kind")
    if not content and kind == "voice":
        content, content_type = SAMPLE_VOICE, "audio/amr"
    elif not content:
        content, content_type = sample_jpeg(), "image/jpeg"
    return jsonify({"media_id": _state().add_media(content, content_type)})


@bp.get("/_fake/pic/<media_id>")
def fake_pic(media_id: str) -> Any:
    with _state().lock:
        _state().pic_requests.append(
            {
                "media_id": media_id,
                "query": sorted(request.args),
                "authorization": "Authorization" in request.headers,
                "cookie": "Cookie" in request.headers,
            }
        )
        found = _state().media.get(media_id)
        location = _state().pic_redirects.get(media_id)
    if location:
        return Response(status=302, headers={"Location": location})
    if found is None:
        return Response("not found", status=404, mimetype="text/plain")
    return Response(found[1], mimetype=found[0])


@bp.get("/_fake/video/<media_id>")
def fake_video(media_id: str) -> Any:
    with _state().lock:
        found = _state().media.get(media_id)
    if found is None:
        return Response(status=404)
    return Response(found[1], mimetype=found[0])


@bp.post("/_fake/expire-tokens")
def fake_expire() -> Any:
    _state().expire_tokens()
    return jsonify({"ok": True})


@bp.get("/_fake/state")
def fake_state() -> Any:
    return jsonify(_state().summary())
