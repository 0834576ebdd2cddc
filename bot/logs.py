"""Logging set-up, done before the app exists: one format, and no query strings or signed links in request logs.

WeChat puts `signature`, `msg_signature`, `openid` and `echostr` in the query string, so request lines are
logged with the path only; a survey link (`/survey/<token>`) is a citizen's signed invitation, so its token is
cut from request lines too (werkzeug's, and gunicorn's access log through `RedactAccess`).
"""

from __future__ import annotations

import logging
import re
import sys
from logging.config import dictConfig

_QUERY = re.compile(r"(\"?[A-Z]+ [^ ?\"]+)\?[^ \"]*")
_SIGNED = re.compile(r"(/survey/)[^/ ?\"]+")
SIGNED_MARK = "/survey/"


def redact_links(text: str) -> str:
    """A request path or line with the token of a signed link replaced by `…`."""
    return _SIGNED.sub(r"\1…", text) if SIGNED_MARK in text else text


class StripQuery(logging.Filter):
    """Remove the query string from request lines (werkzeug's development server logs them whole)."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        args = record.args if isinstance(record.args, tuple) else ()
        if (
            "?" not in msg
            and SIGNED_MARK not in msg
            and not any(isinstance(a, str) and ("?" in a or SIGNED_MARK in a) for a in args)
        ):
            return True  # nothing to strip: the common case, kept cheap (a line per WeChat push)
        if args:
            record.args = tuple(redact_links(_QUERY.sub(r"\1", a)) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = redact_links(_QUERY.sub(r"\1", record.msg))
        return True


class RedactAccess(logging.Filter):
    """For gunicorn's access log, whose record args are a dict of atoms: the path (`U`) and request line (`r`)
    lose a signed link's token (the format already leaves the query string out)."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if isinstance(atoms, dict):
            for key in ("U", "r"):
                value = atoms.get(key)
                if isinstance(value, str) and SIGNED_MARK in value:
                    atoms[key] = redact_links(_QUERY.sub(r"\1", value) if key == "r" else value)
        return True


class QuietPolls(logging.Filter):
    """Drop request lines of what polls every second in development (the simulator's message poll, the fake
    API's message feed): they would bury everything worth reading in `make run`'s console."""

    POLLED = ("/simulator/api/messages", "/_fake/messages")

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage() if record.args else str(record.msg)
        return not any(path in text for path in self.POLLED)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler bound to whatever `sys.stderr` is when a record is written, not when it was made.

    A handler that kept the stream of its creation time would write into a closed file once a CLI runner (or
    anything else that swaps stderr for a while) has put the real one back.
    """

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:  # type: ignore[no-untyped-def]
        pass


def configure(level: str = "INFO") -> None:
    dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"strip_query": {"()": StripQuery}, "quiet_polls": {"()": QuietPolls}},
            "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
            "handlers": {
                "stderr": {"class": "bot.logs.StderrHandler", "formatter": "plain", "filters": ["strip_query"]},
                # Request lines: the development server's, where the polls are.
                "requests": {
                    "class": "bot.logs.StderrHandler",
                    "formatter": "plain",
                    "filters": ["strip_query", "quiet_polls"],
                },
            },
            "loggers": {
                "zhiyong": {"level": level, "handlers": ["stderr"], "propagate": False},
                "werkzeug": {"level": "INFO", "handlers": ["requests"], "propagate": False},
                "jieba": {"level": "WARNING"},
            },
        }
    )
