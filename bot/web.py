"""The `/wechat` webhook and `/healthz`: a thin adapter between HTTP and `bot.wechat.protocol` / `bot.service.intake`."""

from __future__ import annotations

import logging
import time

from flask import Blueprint
from flask import Response
from flask import request
from flask import session
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import RequestEntityTooLarge

from bot.console.auth import viewer_from_session
from bot.runtime import Runtime
from bot.runtime import runtime
from bot.service import intake
from bot.wechat.protocol import Malformed
from bot.wechat.protocol import Rejected
from bot.wechat.protocol import render_text_reply
from handlers.schedule import AHEAD_DAYS
from handlers.schedule import estimate_notice
from handlers.schedule import estimated_years

bp = Blueprint("web", __name__)
log = logging.getLogger("zhiyong.webhook")
security_log = logging.getLogger("zhiyong.security")

VERSION = "0.1.0"


def _plain(body: str, status: int = 200) -> Response:
    resp = Response(body, status=status, content_type="text/plain; charset=utf-8")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/wechat")
def verify() -> Response:
    rt = runtime()
    try:
        return _plain(rt.protocol.verify_url(request.args))
    except Rejected as rej:
        security_log.warning("verify rejected status=%s reason=%s", rej.status, rej.reason)
        return _plain("forbidden", rej.status)


@bp.post("/wechat")
def receive() -> Response:
    rt = runtime()
    started = time.perf_counter()
    cap = rt.settings.city.wechat.max_body_bytes
    try:
        # MAX_CONTENT_LENGTH is cap + 1: a body without Content-Length is cut there rather than refused, so
        # reading one byte more than the cap is how an oversized chunked body shows itself.
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        body = None
    if body is None or len(body) > cap:
        security_log.warning("push rejected status=413 reason=body over the size cap")
        return _plain("request too large", 413)
    now = rt.now()
    try:
        opened = rt.protocol.open(request.args, body, now.timestamp())
        msg = rt.protocol.parse(opened.plaintext, rt.pseudonymize, now.timestamp())
    except Rejected as rej:
        security_log.warning("push rejected status=%s reason=%s", rej.status, rej.reason)
        return _plain("forbidden" if rej.status == 403 else "bad request", rej.status)
    except Malformed as bad:
        _flag_unlisted_sender(rt)
        # Authenticated but unusable: WeChat would retry it forever, so keep the reason and say success.
        log.warning("push dead-lettered reason=%s", bad)
        intake.record_malformed(rt, str(bad))
        return _plain("success")
    _flag_unlisted_sender(rt, msg.key)
    try:
        result = intake.process(rt, msg, opened.plaintext)
    except sa_exc.OperationalError:
        return _plain("service unavailable", 503)
    if not result.reply:
        return _plain("success")
    xml = render_text_reply(
        to_user=msg.sender,
        from_user=msg.account,
        content=result.reply,
        create_time=int(result.reply_at.timestamp()),
    )
    if opened.encrypted:
        xml = rt.protocol.seal(xml, timestamp=opened.timestamp, nonce=opened.nonce, random16=rt.reply_random(msg.key))
    log.debug("push answered key=%s ms=%.1f", msg.key, (time.perf_counter() - started) * 1000)
    return Response(xml, content_type="application/xml; charset=utf-8")


def _flag_unlisted_sender(rt: Runtime, key: str = "-") -> None:
    """An authenticated push from an address WeChat does not list: processed, but flagged (RELIABILITY 27)."""
    ips = rt.callback_ips
    if ips is not None and ips.check(request.remote_addr) is False:
        security_log.warning("push from an address not in getcallbackip addr=%s key=%s", request.remote_addr, key)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, object], int]:
    """503 when the database is down or the host clock is off by more than 60 s (the webhook's freshness check
    would refuse real pushes, RELIABILITY 43); the clock verdict is cached per process, see bot.host_clock.

    Anyone gets the status; the details (database, dialect, clock, version) only a signed-in admin or office
    account: they tell an attacker which database and version to aim at."""
    rt = runtime()
    db_ok = rt.db.ping()
    clock = rt.clock_monitor.current(database_up=db_ok)
    healthy = db_ok and clock.status != "skewed"
    body: dict[str, object] = {"status": "ok" if healthy else "degraded"}
    if db_ok and _sees_details():
        body.update(database="ok", dialect=rt.db.dialect, clock=clock.as_health(), version=VERSION,
                    calendar=_calendar_health(rt))  # fmt: skip
    return body, 200 if healthy else 503


def _calendar_health(rt: Runtime) -> dict[str, object]:
    """Whether the next 90 days' deadlines rest on an estimated holiday calendar (no official 调休 known)."""
    today = rt.now().astimezone(rt.tz).date()
    years = estimated_years(rt.calendar, today, AHEAD_DAYS)
    out: dict[str, object] = {"status": "estimate" if years else "ok", "days_ahead": AHEAD_DAYS,
                              "estimated_years": years, "official_years": sorted(rt.official_schedule.years)}  # fmt: skip
    if years:
        out["message"] = estimate_notice(rt.calendar, today, AHEAD_DAYS)
    return out


HEALTH_DETAIL_ROLES = frozenset({"admin", "office"})


def _sees_details() -> bool:
    # Only when a console session came with the request: a probe without one costs no query. The session is
    # checked like every console request (live, account active, not too old), so it needs the database.
    if "sid" not in session:
        return False
    try:
        viewer = viewer_from_session()
    except sa_exc.SQLAlchemyError:
        return False
    return viewer is not None and viewer.role in HEALTH_DETAIL_ROLES
