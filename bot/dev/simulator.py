"""The WeChat simulator at `/simulator` (development only): a phone-sized chat that plays WeChat's servers.

Every action in the page is a JSON (or, for a photo, multipart) POST here; this module builds the push exactly
as WeChat would (`bot.wechat.push_builder.message_xml` + `PushSigner`: signed, AES-encrypted), POSTs it over HTTP to this
very server's real `/wechat`, opens and verifies the encrypted passive reply, and returns its text. Messages the
system sends later (customer-service and template messages, drained from the outbox by the scheduler) go to
the loopback fake of WeChat's API (`bot.dev.fake_wechat`), and the page polls them through `/simulator/api/messages`.

Registered by `create_app` only when ZHIYONG_ENV=development, or when a test passes `simulator=True`; never in
production (create_app refuses). Because it POSTs to itself, the server must handle two requests at once
(`flask run` is threaded; so is the tests' werkzeug server). The address it posts to is the one the server is
bound to (WSGI SERVER_NAME/SERVER_PORT), not the browser's Host header; `SIMULATOR_WEBHOOK_URL` overrides it.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Blueprint
from flask import Flask
from flask import Response
from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request

from bot.runtime import Runtime
from bot.runtime import runtime
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from handlers import binding
from handlers.lifecycle import STATES
from storage import cases as cases_repo
from storage import supervisors as sup_repo

bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="templates", static_folder="static")
log = logging.getLogger("zhiyong.simulator")

ACCOUNT = "gh_zhiyong_demo"
OPENID = re.compile(r"^o_[A-Za-z0-9_\-]{2,60}$")
MENU = (("REPORT", "我要反映"), ("QUERY", "进度查询"), ("MY_CASES", "我的反映"), ("HELP", "使用帮助"))
LOCATIONS = (
    {"label": "湖北省咸宁市咸安区 市民之家", "lat": 29.8416, "lon": 114.3224},
    {"label": "湖北省咸宁市咸安区 不动产登记中心", "lat": 29.8537, "lon": 114.3068},
    {"label": "湖北省咸宁市咸安区 车管所", "lat": 29.8182, "lon": 114.3561},
)
MAX_IMAGE_BYTES = 8 * 1024 * 1024
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif"}
HTTP_TIMEOUT = 10.0  # WeChat itself gives up after 5 s; a little more so a slow first classifier load still answers
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class SimulatorError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def init_app(app: Flask) -> None:
    """Register the blueprint; refuses a production app whatever the caller asked."""
    rt = runtime(app)
    if rt.settings.env.environment == "production":
        raise RuntimeError("the simulator is for development and tests; it is never registered in production")
    app.register_blueprint(bp)


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.errorhandler(SimulatorError)
def _error(exc: SimulatorError) -> tuple[Response, int]:
    return jsonify({"ok": False, "error": exc.message}), exc.status


# -- helpers --------------------------------------------------------------------------------------------------


def _signer(rt: Runtime) -> PushSigner:
    env = rt.settings.env
    return PushSigner(token=env.wechat_token, aes_key=env.wechat_aes_key, app_id=env.wechat_app_id,
                      mode=rt.settings.wechat_mode)  # fmt: skip


def webhook_url() -> str:
    """This server's own `/wechat`, at the address it is bound to."""
    configured = current_app.config.get("SIMULATOR_WEBHOOK_URL")
    if configured:
        return str(configured)
    env = request.environ
    host = str(env.get("SERVER_NAME") or "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{request.scheme}://{host}:{env.get('SERVER_PORT') or '80'}/wechat"


def _create_time(rt: Runtime, openid: str) -> int:
    """Now, but strictly after this openid's previous push: WeChat dedupes events on (sender, CreateTime, event)."""
    last: dict[str, int] = rt.services.setdefault("simulator_last_create_time", {})
    now = int(rt.now().timestamp())
    stamp = max(now, last.get(openid, 0) + 1)
    last[openid] = stamp
    return stamp


def push(rt: Runtime, openid: str, msg_type: str, **fields: str | float | None) -> dict[str, Any]:
    """Build, sign and encrypt a push, POST it to the real /wechat, verify and decrypt the reply."""
    signer = _signer(rt)
    create_time = _create_time(rt, openid)
    xml = message_xml(msg_type, sender=openid, account=ACCOUNT, create_time=create_time, **fields)
    signed = signer.sign(xml, timestamp=int(rt.now().timestamp()), openid=openid)
    try:
        resp = requests.post(webhook_url(), params=signed.query, data=signed.body, timeout=HTTP_TIMEOUT,
                             headers={"Content-Type": "text/xml"})  # fmt: skip
    except requests.RequestException as exc:
        raise SimulatorError(f"无法连接 /wechat：{type(exc).__name__}", 502) from None
    if resp.status_code != 200:
        return {"ok": False, "status": resp.status_code, "reply": None, "error": resp.text[:200]}
    try:
        reply = reply_content(signer.open_reply(resp.text))
    except ValueError as exc:
        raise SimulatorError(f"回复未通过验签：{exc}", 502) from None
    return {"ok": True, "status": 200, "reply": reply}


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise SimulatorError("请求体必须是 JSON 对象")
    return data


def _openid(value: Any) -> str:
    if not isinstance(value, str) or not OPENID.match(value):
        raise SimulatorError("openid 须以 o_ 开头，只含字母、数字、下划线和连字符")
    return value


def _text(value: Any, what: str, limit: int = 2000) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SimulatorError(f"请填写{what}")
    return value[:limit]


def _fake_base(rt: Runtime) -> str | None:
    """WECHAT_API_BASE_URL when it is the loopback fake; None when it points anywhere else."""
    base = rt.settings.env.wechat_api_base_url
    host = urlsplit(base).hostname or ""
    return base if host in ("127.0.0.1", "localhost", "::1") else None


# -- the page -------------------------------------------------------------------------------------------------


@bp.get("/")
def page() -> str:
    rt = runtime()
    return render_template("simulator/index.html", account_name=rt.settings.city.city.account_name)


@bp.get("/api/config")
def config() -> Response:
    """Who can be played, the menu, the units and windows for the scan, the preset locations."""
    from bot.dev import demo_accounts

    rt = runtime()
    city = rt.settings.city
    with rt.db.transaction() as session:
        bindings = sup_repo.bindings(session=session)
        citizens = []
        for openid in demo_accounts.DEMO_CITIZENS:
            mine = cases_repo.for_citizen(session=session, pseudonym=rt.pseudonymize(openid), limit=10)
            hint = "、".join(f"{c.number} {STATES.get(c.state, c.state)}" for c in mine[:3]) or "暂无工单"
            citizens.append({"openid": openid, "label": f"市民 {openid[-1]}", "hint": hint})
    supervisors = []
    for sup in city.supervisors:
        row = bindings.get(sup.id)
        supervisors.append({
            "id": sup.id,
            "name": sup.name,
            "units": [city.unit_name(u) for u in sup.units],
            "role": sup.role,
            "openid": row.openid if row is not None and row.openid else None,
            "demo_openid": demo_accounts.supervisor_openid(sup.id),
        })  # fmt: skip
    return jsonify({
        "account_name": city.city.account_name,
        "citizens": citizens,
        "supervisors": supervisors,
        "menu": [{"key": k, "label": label} for k, label in MENU],
        "units": [{"code": u.code, "name": u.name} for u in city.units],
        "locations": list(LOCATIONS),
        "outbound": _fake_base(rt) is not None,
    })  # fmt: skip


# -- actions: each one real push --------------------------------------------------------------------------------


@bp.post("/api/text")
def send_text() -> Response:
    data = _json()
    return jsonify(push(runtime(), _openid(data.get("openid")), "text", Content=_text(data.get("content"), "内容")))


@bp.post("/api/voice")
def send_voice() -> Response:
    """A voice message as WeChat delivers it with speech recognition on: a media id plus `Recognition` text."""
    data = _json()
    openid = _openid(data.get("openid"))
    recognition = _text(data.get("recognition"), "语音内容", 600)
    rt = runtime()
    media_id = _register_media(rt, b"", "audio/amr", "voice") or f"sim_voice_{secrets.token_hex(8)}"
    return jsonify(push(rt, openid, "voice", MediaId=media_id, Format="amr", Recognition=recognition))


@bp.post("/api/location")
def send_location() -> Response:
    data = _json()
    openid = _openid(data.get("openid"))
    try:
        place = LOCATIONS[int(data.get("preset", 0))]
    except (ValueError, TypeError, IndexError):
        raise SimulatorError("没有这个预设位置") from None
    return jsonify(push(runtime(), openid, "location", Location_X=place["lat"], Location_Y=place["lon"], Scale=15,
                        Label=place["label"]))  # fmt: skip


@bp.post("/api/click")
def send_click() -> Response:
    data = _json()
    key = data.get("key")
    if key not in {k for k, _ in MENU}:
        raise SimulatorError("未知的菜单按钮")
    return jsonify(push(runtime(), _openid(data.get("openid")), "event", Event="CLICK", EventKey=key))


@bp.post("/api/scan")
def send_scan() -> Response:
    """A window QR code — its report code, or with `rate` its rating code (好差评) — scanned by a follower (SCAN), or
    by a new user, who follows first (subscribe + qrscene_)."""
    data = _json()
    openid = _openid(data.get("openid"))
    rt = runtime()
    scene = data.get("scene")
    if isinstance(scene, str) and scene.strip():
        scene = scene.strip()[:64]
    else:
        unit = data.get("unit")
        if not isinstance(unit, str) or rt.settings.city.unit(unit) is None:
            raise SimulatorError("请选择单位")
        window = data.get("window")
        try:
            number = int(window) if window not in (None, "") else None
        except (TypeError, ValueError):
            raise SimulatorError("窗口号须为 1–99") from None
        if number is not None and not 1 <= number <= 99:
            raise SimulatorError("窗口号须为 1–99")
        key = "rate" if data.get("rate") else "unit"  # a window's rating code (好差评) or its report code
        scene = f"{key}={unit}" + (f";window={number}" if number is not None else "")
    if data.get("subscribe"):
        return jsonify(push(rt, openid, "event", Event="subscribe", EventKey=f"qrscene_{scene}",
                            Ticket=f"sim_{secrets.token_hex(8)}"))  # fmt: skip
    return jsonify(push(rt, openid, "event", Event="SCAN", EventKey=scene, Ticket=f"sim_{secrets.token_hex(8)}"))


@bp.post("/api/subscribe")
def send_subscribe() -> Response:
    return jsonify(push(runtime(), _openid(_json().get("openid")), "event", Event="subscribe"))


@bp.post("/api/unsubscribe")
def send_unsubscribe() -> Response:
    return jsonify(push(runtime(), _openid(_json().get("openid")), "event", Event="unsubscribe"))


def _register_media(rt: Runtime, content: bytes, content_type: str, kind: str) -> str | None:
    """Hand the file to the fake (as WeChat's media store) so the evidence job can download it by media id."""
    base = _fake_base(rt)
    if base is None:
        return None
    try:
        resp = requests.post(f"{base}/_fake/media", params={"kind": kind}, data=content,
                             headers={"Content-Type": content_type}, timeout=5)  # fmt: skip
        resp.raise_for_status()
        return str(resp.json()["media_id"])
    except (requests.RequestException, ValueError, KeyError):
        return None


@bp.post("/api/image")
def send_image() -> Response:
    """A photo: multipart `file` (optional: without one the fake makes a sample JPEG with EXIF) and `openid`."""
    request.max_content_length = MAX_IMAGE_BYTES  # the app's cap is the webhook's 64 KB; photos are larger
    openid = _openid(request.form.get("openid"))
    upload = request.files.get("file")
    content, content_type = b"", "image/jpeg"
    if upload is not None and upload.filename:
        content_type = (upload.mimetype or "").lower()
        if content_type not in IMAGE_TYPES:
            raise SimulatorError("只能发送 JPEG、PNG 或 GIF 图片")
        content = upload.read(MAX_IMAGE_BYTES + 1)
        if len(content) > MAX_IMAGE_BYTES:
            raise SimulatorError("图片不能超过 8 MB", 413)
    rt = runtime()
    media_id = _register_media(rt, content, content_type, "image")
    if media_id is None:
        raise SimulatorError("微信接口模拟（fake-wechat）未运行，无法登记图片", 503)
    pic_url = f"http://mmbiz.qpic.cn/mmbiz_jpg/{media_id}/0"  # where WeChat hosts it; fetched only after a 40007
    result = push(rt, openid, "image", PicUrl=pic_url, MediaId=media_id)
    result["media_id"] = media_id
    return jsonify(result)


@bp.post("/api/bind")
def bind_supervisor() -> Response:
    """Play a supervisor binding: issue a one-time code (as `supervisor bind-code` does) and send `绑定 <code>`."""
    from bot.dev import demo_accounts

    rt = runtime()
    supervisor_id = _json().get("supervisor_id")
    sup = next((s for s in rt.settings.city.supervisors if s.id == supervisor_id), None)
    if sup is None:
        raise SimulatorError("没有这个督办员")
    code = binding.new_code()
    with rt.db.transaction() as session:
        sup_repo.issue_code(session=session, supervisor_id=sup.id, code=code, expires_at=rt.now() + timedelta(hours=1))
    openid = demo_accounts.supervisor_openid(sup.id)
    result = push(rt, openid, "text", Content=f"绑定 {binding.display(code)}")
    result["openid"] = openid
    return jsonify(result)


# -- what arrived later ---------------------------------------------------------------------------------------


# The field names config.yaml documents for each template kind, as WeChat would show them on the card.
TEMPLATE_LABELS: dict[str, dict[str, str]] = {
    "case_update": {"character_string1": "工单编号", "phrase2": "办理状态", "thing3": "办理说明", "time4": "更新时间"},
    "supervisor_notice": {"number1": "待处理", "number2": "已超期", "thing3": "提示", "time4": "通知时间"},
    "survey_invite": {"thing1": "调查名称", "thing2": "评议对象", "time3": "截止日期"},
}
TEMPLATE_TITLES = {"case_update": "工单进度通知", "supervisor_notice": "督办提醒", "survey_invite": "问卷调查邀请"}


def _render(message: dict[str, Any], templates: dict[str, str]) -> dict[str, Any]:
    """A fake-recorded message as the chat shows it: customer-service text, or a template card's lines."""
    out = {"id": message.get("id"), "kind": message.get("kind"), "at": message.get("at")}
    if message.get("kind") == "customer":
        out["text"] = str(message.get("text") or "")
        return out
    kind = next((k for k, tid in templates.items() if tid == message.get("template_id")), "")
    labels = TEMPLATE_LABELS.get(kind, {})
    data = message.get("data") or {}
    lines = [f"{labels.get(key, key)}：{item.get('value', '')}" for key, item in data.items() if isinstance(item, dict)]
    out.update(text="\n".join(lines), title=TEMPLATE_TITLES.get(kind, "模板消息"), url=message.get("url"))
    return out


@bp.get("/api/messages")
def messages() -> Response:
    """Messages the fake WeChat API received for `openid` after id `since` (the page polls this)."""
    from bot.dev.fake_wechat import fetch_messages

    rt = runtime()
    openid = _openid(request.args.get("openid"))
    since_raw = request.args.get("since", "0")
    since = int(since_raw) if since_raw.isdigit() else 0
    base = _fake_base(rt)
    if base is None:
        return jsonify({"messages": [], "last_id": since, "error": "WECHAT_API_BASE_URL 不是本地模拟，无法显示"})
    try:
        data = fetch_messages(base, openid=openid, since=since, timeout=2.0)
    except (requests.RequestException, ValueError):
        return jsonify({"messages": [], "last_id": since, "error": "微信接口模拟（fake-wechat）未运行"})
    templates = dict(rt.settings.city.wechat.templates)
    rendered = [_render(m, templates) for m in data.get("messages", [])]
    return jsonify({"messages": rendered, "last_id": data.get("last_id", since)})
