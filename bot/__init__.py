"""The Flask application factory: everything that touches the outside world starts here.

Production: `gunicorn 'bot:create_app()'`; development: `flask --app bot run`. Configuration is validated once,
here; a mistake stops the start with a message that names the variable or key.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import logs
from bot.runtime import Runtime
from bot.runtime import build_runtime
from bot.settings import ConfigError
from bot.settings import Settings
from bot.settings import load_settings


def create_app(
    settings: Settings | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    simulator: bool | None = None,
) -> Flask:
    """The app. `simulator`: register the WeChat simulator at /simulator (default: only when ZHIYONG_ENV is
    development; tests pass True). It is refused in production whatever is passed."""
    if settings is None:
        logs.configure()
        try:
            settings = load_settings()
        except ConfigError as exc:
            print(f"zhiyong: cannot start: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
    app = Flask(__name__, instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.env.secret_key,
        # Werkzeug stops reading here, also for chunked bodies; bot.web refuses anything over the cap itself.
        MAX_CONTENT_LENGTH=settings.city.wechat.max_body_bytes + 1,
        TESTING=settings.env.environment == "test",
        JSON_AS_ASCII=False,
    )
    if settings.env.trusted_proxies:
        # Behind nginx the client address and scheme come from X-Forwarded-*; login throttling needs the real one.
        n = settings.env.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.session_interface = _CookieFirst()
    rt: Runtime = build_runtime(settings)
    if clock is not None:
        rt.clock = clock
    if settings.env.environment == "production":
        from bot.safety import demo_data_in_production

        problem = demo_data_in_production(rt)
        if problem is not None:
            print(f"zhiyong: refusing to start in production: {problem}. Use a fresh database "
                  "(demo data is for ZHIYONG_ENV=development).", file=sys.stderr)  # fmt: skip
            raise SystemExit(2)
    app.extensions["zhiyong"] = rt
    # The official holiday schedule imported into the database (`calendar import`): read now, then re-read at most
    # once a minute ahead of a request, so every worker follows an import made by another process.
    rt.refresh_calendar(force=True)
    rt.db.engine.dispose()  # gunicorn may fork workers from this process: no pooled connection may cross the fork
    app.before_request(_calendar_follows_imports)

    from bot import cli
    from bot import console
    from bot import web

    app.register_blueprint(web.bp)
    if settings.development if simulator is None else simulator:
        from bot.dev import simulator as simulator_mod

        simulator_mod.init_app(app)
    console.init_app(app)
    cli.init_app(app)
    return app


class _CookieFirst(SecureCookieSessionInterface):
    """Flask's signed-cookie session, minus the signer Flask builds on every request: a request without the cookie
    (every WeChat push) gets the empty session it would have got anyway."""

    def open_session(self, app, request):  # type: ignore[no-untyped-def]
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def _calendar_follows_imports() -> None:
    from flask import current_app
    from flask import request

    if request.path != "/healthz":  # a health probe never waits on this
        current_app.extensions["zhiyong"].refresh_calendar()
