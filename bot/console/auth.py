"""Sign-in, sign-out, the viewer of each request, role checks and throttled failed sign-ins.

Sessions are kept server-side: the signed cookie carries only a random session id (and the CSRF token), the
database keeps its SHA-256 in `staff_sessions`, and every request checks that row: not revoked, the account
active, younger than SESSION_LIFETIME. Sign-out revokes the row, so a copied cookie dies with it; a password
change or a disabled account revokes every row of the account (`storage.staff`).

Passwords are hashed with werkzeug's scrypt. A wrong username and a wrong password get the same answer, in the
same time (a dummy hash is checked when the account does not exist), and failures are counted per username +
address (5 in 15 minutes) and per address (50), so guessing is slow and nothing tells which accounts exist.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from typing import TypeVar

from flask import Response
from flask import abort
from flask import g
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from sqlalchemy import orm
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from bot.console.base import Viewer
from bot.console.base import bp
from bot.console.base import current_viewer
from bot.console.base import root_bp
from bot.console.security import check_csrf
from bot.console.security import clean_for_log
from bot.runtime import runtime
from storage import staff as staff_repo
from storage.models import StaffAccount

log = logging.getLogger("zhiyong.console")

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5  # per username + address
MAX_FAILURES_PER_ADDRESS = 50  # one address spraying many usernames (behind a proxy: see ProxyFix)
SESSION_LIFETIME = timedelta(hours=10)  # a working day from sign-in; then sign in again, however active
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most this often
MIN_PASSWORD_CHARS = 10
BAD_LOGIN = "用户名或密码错误。"
THROTTLED = "登录失败次数过多，请 15 分钟后再试。"

F = TypeVar("F", bound=Callable[..., Any])


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"密码至少 {MIN_PASSWORD_CHARS} 位"
    if password.isdigit() or password.isalpha():
        return "密码需同时包含字母和数字（或符号）"
    return None


@functools.cache
def _dummy_hash() -> str:
    # Checked when the username is unknown, so both failures cost the same scrypt work.
    return hash_password(secrets.token_urlsafe(16))


def _throttle_keys(username: str) -> tuple[str, str]:
    secret = runtime().settings.env.secret_key.encode("utf-8")
    address = request.remote_addr or "-"
    key = hmac.new(secret, f"login:{username.casefold()}|{address}".encode(), hashlib.sha256).hexdigest()
    address_key = hmac.new(secret, f"addr:{address}".encode(), hashlib.sha256).hexdigest()
    return key, address_key


def to_viewer(account: StaffAccount) -> Viewer:
    return Viewer(
        staff_id=account.id,
        username=account.username,
        display_name=account.display_name,
        role=account.role,
        units=tuple(account.units or ()),
        member_of=account.member_of,
        supervisor_id=account.supervisor_id,
    )


def log_access(session_: orm.Session, action: str, target: str | None = None, detail: str | None = None) -> None:
    """One line of the console access log (view, export, reveal, refusal …), in the caller's transaction."""
    v = current_viewer()
    staff_repo.log_event(session=session_, at=runtime().now(), staff_id=v.staff_id if v else None, action=action,
                         target=target, detail=detail[:300] if detail else None)  # fmt: skip


def token_hash(token: str) -> str:
    """What the database keeps of a session id: its SHA-256 (a stolen table holds no usable cookie)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user_agent_hash() -> str | None:
    agent = request.headers.get("User-Agent")
    return hashlib.sha256(agent.encode("utf-8")).hexdigest() if agent else None


def _guard_and_load_viewer() -> None:
    check_csrf()
    g.viewer = viewer_from_session()


def viewer_from_session() -> Viewer | None:
    """The staff member this request's server-side session belongs to, or None; a dead session is ended here."""
    token = session.get("sid")
    if not isinstance(token, str) or not token:
        return None
    rt = runtime()
    now = rt.now()
    with rt.db.transaction() as s:
        found = staff_repo.live_session(session=s, token_hash=token_hash(token), started_after=now - SESSION_LIFETIME)
        if found is None:
            # Signed out, revoked (password changed, account disabled) or simply too old: the session ends here.
            session.pop("sid", None)
            return None
        row, account = found
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        return to_viewer(account)


bp.before_request(_guard_and_load_viewer)
root_bp.before_request(_guard_and_load_viewer)


def login_required(*roles: str) -> Callable[[F], F]:
    """Signed in (else to the login page), and with one of `roles` when given (else 403)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            v = current_viewer()
            if v is None:
                if request.method == "GET":
                    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))
                abort(401)
            if roles and v.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _safe_next(target: str | None) -> str | None:
    # Only our own pages: an absolute or scheme-relative URL here would make the login an open redirect.
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def home_for(v: Viewer) -> str:
    if v.role == "unit_head":
        return url_for("console.dashboard")
    if v.role == "admin":
        return url_for("console.staff_list")
    if v.role == "organisation":
        return url_for("console.officials")
    if v.role == "inspector":
        return url_for("console.inspections_page")
    return url_for("console.queue")


@bp.get("/")
def home() -> Response:
    v = current_viewer()
    return redirect(home_for(v) if v else url_for("console.login"))  # type: ignore[return-value]


@bp.get("/login")
def login() -> str | Response:
    v = current_viewer()
    if v is not None:
        return redirect(home_for(v))  # type: ignore[return-value]
    return render_template("console/login.html", error=None, username="", next=_safe_next(request.args.get("next")))


@bp.post("/login")
def login_submit() -> tuple[str, int] | Response:
    rt = runtime()
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    next_url = _safe_next(request.form.get("next"))
    key, address_key = _throttle_keys(username)
    now = rt.now()
    with rt.db.transaction() as s:
        since = now - THROTTLE_WINDOW
        if (staff_repo.failures_since(session=s, since=since, key=key) >= MAX_FAILURES_PER_ACCOUNT
                or staff_repo.failures_since(session=s, since=since, address_key=address_key)
                >= MAX_FAILURES_PER_ADDRESS):  # fmt: skip
            staff_repo.log_event(session=s, at=now, staff_id=None, action="login_throttled",
                                 detail=clean_for_log(username))  # fmt: skip
            error, status = THROTTLED, 429
        else:
            account = staff_repo.by_username(session=s, username=username) if username else None
            ok = check_password_hash(account.password_hash if account else _dummy_hash(), password)
            if account is not None and account.active and ok:
                staff_repo.clear_failures(session=s, key=key)
                account.last_login_at = now
                staff_repo.log_event(session=s, at=now, staff_id=account.id, action="login")
                # A fresh session (and CSRF token) at every sign-in: nothing set before it survives, and a session
                # this browser still held is revoked rather than left alive for whoever copied its cookie.
                previous = session.get("sid")
                if isinstance(previous, str) and previous:
                    staff_repo.revoke_session(session=s, token_hash=token_hash(previous), now=now)
                token = secrets.token_urlsafe(32)
                staff_repo.open_session(session=s, staff_id=account.id, token_hash=token_hash(token), now=now,
                                        user_agent_hash=_user_agent_hash())  # fmt: skip
                session.clear()
                session.permanent = True
                session.update(sid=token, csrf=secrets.token_urlsafe(32))
                log.info("console login staff=%s", account.id)
                return redirect(next_url or home_for(to_viewer(account)))  # type: ignore[return-value]
            staff_repo.record_failure(session=s, key=key, address_key=address_key, at=now)
            staff_repo.log_event(session=s, at=now, staff_id=None, action="login_failed",
                                 detail=clean_for_log(username))  # fmt: skip
            error, status = BAD_LOGIN, 401
    return render_template("console/login.html", error=error, username=username, next=next_url), status


@bp.post("/logout")
def logout() -> Response:
    v = current_viewer()
    token = session.get("sid")
    if v is not None and isinstance(token, str):
        rt = runtime()
        with rt.db.transaction() as s:
            # The row, not the browser, decides: once revoked, a copy of this cookie signs nobody in.
            staff_repo.revoke_session(session=s, token_hash=token_hash(token), now=rt.now())
            log_access(s, "logout")
    session.clear()
    return redirect(url_for("console.login"))  # type: ignore[return-value]
