"""The supervisor console (`/console/…`), the ledger (`/ledger.xlsx`), the Open311 API (`/open311/v2/…`) and the
public pages (`/public/`: approved 通报 and their Atom feed).

`init_app(app)` sets the session cookie's flags, registers the blueprints, their security headers and generic
error pages (the `staff`, `reveal`, `ledger`, `open311`, `corrections` commands are added by `bot.cli`). Scope: `scope.py`.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask import Response
from flask import g
from flask import get_flashed_messages
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from bot.console.base import bp
from bot.console.base import current_viewer
from bot.console.base import root_bp
from bot.console.present import helpers
from bot.console.security import InvalidInput
from bot.console.security import apply_headers
from bot.console.security import csrf_token
from bot.console.security import refuse_nul
from bot.runtime import runtime
from storage import staff as staff_repo

ERROR_TEXTS = {
    400: "请求无效。",
    401: "请先登录。",
    403: "请求被拒绝：没有权限，或页面已过期（请刷新后重试）。",
    404: "未找到该页面或工单。",
    405: "不支持该操作。",
    429: "操作过于频繁，请稍后再试。",
    500: "系统出错，请稍后再试。",
}


def _error_page(exc: HTTPException) -> tuple[str, int]:
    # One generic page per status: a 404 for a case outside the scope is byte-for-byte the 404 of no case at all.
    code = exc.code or 500
    message = exc.description if isinstance(exc, InvalidInput) else ERROR_TEXTS.get(code, "出错了。")
    return render_template("console/error.html", code=code, message=message), code


def _log_refusals(resp: Response) -> Response:
    # Failed authorisations are worth an audit line (RELIABILITY 88); written here, after the view's own
    # transaction has ended, so the refusal is kept even though that transaction was rolled back.
    denied = g.pop("console_denied", None)
    viewer = current_viewer()
    if viewer is not None and (denied is not None or resp.status_code == 403):
        action, target = ("not_found", denied) if denied is not None else ("forbidden", request.path[:64])
        rt = runtime()
        with rt.db.transaction() as s:
            staff_repo.log_event(session=s, at=rt.now(), staff_id=viewer.staff_id, action=action, target=target)
    return apply_headers(resp)


def _context() -> dict[str, object]:
    return {"csrf_token": csrf_token, "viewer": current_viewer(), "flashes": get_flashed_messages, **helpers()}


# Blueprint hooks are set once, at import: Flask refuses setup calls on a blueprint that an app has registered.
for _blueprint in (bp, root_bp):
    _blueprint.before_request(refuse_nul)  # first, ahead of the viewer's session lookup (auth.py)
    _blueprint.after_request(_log_refusals)
    _blueprint.context_processor(_context)
    for _code in ERROR_TEXTS:
        _blueprint.register_error_handler(_code, _error_page)


def init_app(app: Flask) -> None:
    from bot.console import appeals  # noqa: F401  (routes are attached at import)
    from bot.console import auth  # noqa: F401
    from bot.console import bulletins  # noqa: F401
    from bot.console import dashboard  # noqa: F401
    from bot.console import inspections  # noqa: F401
    from bot.console import ledger  # noqa: F401
    from bot.console import officials  # noqa: F401
    from bot.console import open311
    from bot.console import outcome  # noqa: F401
    from bot.console import public
    from bot.console import ranking  # noqa: F401
    from bot.console import reveals  # noqa: F401
    from bot.console import staff_admin  # noqa: F401
    from bot.console import survey_page
    from bot.console import surveys  # noqa: F401
    from bot.console import triage  # noqa: F401
    from bot.console import units  # noqa: F401
    from bot.console import views_case  # noqa: F401
    from bot.console import views_queue  # noqa: F401

    rt = runtime(app)
    production = rt.settings.env.environment == "production"
    secure = rt.settings.env.environment != "development"
    app.config.update(
        SESSION_COOKIE_NAME="__Host-zhiyong" if production else "zhiyong_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
    )
    app.register_blueprint(bp)
    app.register_blueprint(root_bp)
    app.register_blueprint(open311.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(survey_page.bp)
    # Open311 clients read JSON errors on every path under the API, unmatched ones (404/405) included.
    app.register_error_handler(HTTPException, open311.json_error_or_default)
