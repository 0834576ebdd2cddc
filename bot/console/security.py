"""Web security for the console, the ledger and Open311: headers, CSRF tokens and the Origin check.

CSRF is a per-session random token (synchroniser pattern) plus an Origin/Referer check on every state-changing
request, so neither a forged form nor a cross-site fetch can change anything. RELIABILITY 5.9, items 69 and 74.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import UTC
from datetime import datetime
from urllib.parse import urlsplit

from flask import Response
from flask import abort
from flask import request
from flask import session
from werkzeug.exceptions import BadRequest

from bot.runtime import runtime

security_log = logging.getLogger("zhiyong.security")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# For files and JSON: nothing in them may run or load anything, even if a browser is tricked into rendering it.
INERT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


# Input no database should be handed: PostgreSQL refuses a NUL in text (a driver error, once a 500), and
# instants near the ends of Python's range overflow when shifted to UTC or by a reporting window.
NUL = "\x00"
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


class InvalidInput(BadRequest):
    """A 400 whose description says what was wrong; console pages show it as it is."""


def nul_in_request() -> str | None:
    """Where the request carries a NUL character (path, query, form, API key), or None."""
    if NUL in request.path:
        return "path"
    for where, values in (("query", request.args), ("form", request.form)):
        if any(NUL in key or NUL in value for key, value in values.items(multi=True)):
            return where
    if NUL in request.headers.get("X-Api-Key", ""):
        return "header"
    return None


# Endpoints that take photo uploads, with the largest request they accept; every other request keeps the app's
# MAX_CONTENT_LENGTH (a few tens of KB). Set before anything reads the form (`refuse_nul` is the first hook).
UPLOAD_LIMITS: dict[str, int] = {}


def refuse_nul() -> None:
    """Console before-request hook: a NUL anywhere in the request is a 400 before anything reaches the database."""
    limit = UPLOAD_LIMITS.get(request.endpoint or "")
    if limit:
        request.max_content_length = limit
    where = nul_in_request()
    if where is not None:
        security_log.warning("console refused a NUL character in the %s", where)
        raise InvalidInput("请求无效：内容中含有不允许的空字符（\\0），请检查后重新输入。")


def in_range(at: datetime) -> bool:
    """True for instants every database and Python's arithmetic handle (years 1900 to 9000)."""
    return EARLIEST <= at <= LATEST


def csrf_token() -> str:
    """The session's CSRF token (created on first use; the login form gets one before anyone signs in)."""
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins() -> set[str]:
    own = {f"{request.scheme}://{request.host}".lower()}
    public = _origin(runtime().settings.env.public_base_url)
    if public:
        own.add(public)
    return own


def check_same_origin() -> None:
    """403 unless the request comes from our own pages (Origin, else Referer; browsers send one of them)."""
    origin = request.headers.get("Origin")
    if origin is not None:
        if origin == "null" or _origin(origin) not in allowed_origins():
            security_log.warning("console refused a cross-origin %s", request.method)
            abort(403)
        return
    referer = request.headers.get("Referer")
    if referer is not None and _origin(referer) not in allowed_origins():
        security_log.warning("console refused a cross-site referer on %s", request.method)
        abort(403)


def check_csrf() -> None:
    """The whole guard for a state-changing console request: same origin and the session's token."""
    if request.method in SAFE_METHODS:
        return
    check_same_origin()
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf")
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        security_log.warning("console refused a %s without a valid CSRF token", request.method)
        abort(403)


def apply_headers(resp: Response) -> Response:
    """Security headers on every console, ledger and Open311 response; nothing sensitive is ever cached."""
    html = (resp.mimetype or "").startswith("text/html")
    resp.headers.setdefault("Content-Security-Policy", PAGE_CSP if html else INERT_CSP)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    resp.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["Pragma"] = "no-cache"
    if runtime().settings.env.environment == "production":
        resp.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return resp


def clean_for_log(value: str, limit: int = 64) -> str:
    """A user-supplied value made safe for one log line (no CR/LF or control characters: no forged entries)."""
    return "".join(ch if ch.isprintable() else "?" for ch in value)[:limit]
