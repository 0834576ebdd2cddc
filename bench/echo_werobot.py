"""WeRoBot baselines for bench/webhook.py: a safe-mode text echo with WeRoBot's default session storage, and without.

WeRoBot's default (`SESSION_STORAGE` unset) is `SQLiteStorage('werobot_session.sqlite3')` in the working
directory, read and written on every message; the benchmark uses the same class with the file in a temp directory
(`WEROBOT_SESSION_DIR`) so the repository stays clean. "Without" sets `SESSION_STORAGE = False`, WeRoBot's way of
turning sessions off. Both are served through `robot.wsgi` (WeRoBot's own Bottle app), as WeRoBot deploys.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

StartResponse = Callable[..., Any]


def _robot(with_session: bool) -> Any:
    from werobot import WeRoBot
    from werobot.session.sqlitestorage import SQLiteStorage

    robot = WeRoBot(
        token=os.environ["WECHAT_TOKEN"],
        encoding_aes_key=os.environ["WECHAT_AES_KEY"],
        app_id=os.environ["WECHAT_APP_ID"],
    )
    if with_session:
        folder = os.environ.get("WEROBOT_SESSION_DIR") or tempfile.mkdtemp(prefix="werobot-")
        robot.config["SESSION_STORAGE"] = SQLiteStorage(os.path.join(folder, "werobot_session.sqlite3"))

        @robot.text
        def echo_with_session(message: Any, session: Any) -> str:
            session["count"] = session.get("count", 0) + 1  # what a session-using bot does on every message
            return str(message.content)

    else:
        robot.config["SESSION_STORAGE"] = False

        @robot.text
        def echo(message: Any) -> str:
            return str(message.content)

    return robot


def _with_healthz(wsgi: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> Any:
    """The benchmark waits on GET /healthz; WeRoBot's app routes every path to the robot, so answer it here."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return wsgi(environ, start_response)

    return app


def session_app() -> Any:
    return _with_healthz(_robot(True).wsgi)


def plain_app() -> Any:
    return _with_healthz(_robot(False).wsgi)
