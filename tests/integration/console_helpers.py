"""Helpers for the console tests: staff accounts through the real CLI, a signed-in browser-like client, cases."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from storage.db import make_engine
from tests.integration.test_cases_flow import file_complaint

PASSWORD = "correct-horse-42"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# Two complaints about two units overseen by different supervisors.
BDC_TEXT = (
    "昨天上午我去不动产登记中心办房产证，3号窗口的工作人员态度特别差，对我大吼大叫，还让我跑了三趟，我电话13912345678"
)
GAJ_TEXT = (
    "今天上午在派出所户籍室办身份证，民警一直在玩手机打游戏，让我们等了一个多小时，我的身份证号420102199001011234"
)


def create_staff(app, username: str, role: str, *extra: str) -> None:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(
        args=["staff", "create", "--username", username, "--role", role, "--password", PASSWORD, *extra]
    )
    assert result.exit_code == 0, result.output


@dataclass
class Console:
    """A test client signed in as one staff member; `post` carries the session's CSRF token like a form would."""

    client: object

    def get(self, path: str, **kw):  # type: ignore[no-untyped-def]
        return self.client.get(path, **kw)  # type: ignore[attr-defined]

    def csrf(self) -> str:
        page = self.client.get("/console/login").get_data(as_text=True)  # type: ignore[attr-defined]
        found = CSRF.search(page)
        if found:
            return found.group(1)
        with self.client.session_transaction() as sess:  # type: ignore[attr-defined]
            return str(sess["csrf"])

    def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True, **kw):  # type: ignore[no-untyped-def]
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.session_csrf())
        return self.client.post(path, data=form, **kw)  # type: ignore[attr-defined]

    def session_csrf(self) -> str:
        with self.client.session_transaction() as sess:  # type: ignore[attr-defined]
            token = sess.get("csrf")
        return str(token) if token else self.csrf()


def login(app, username: str, password: str = PASSWORD) -> Console:  # type: ignore[no-untyped-def]
    console = Console(app.test_client())
    token = console.csrf()
    resp = console.client.post(  # type: ignore[attr-defined]
        "/console/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return console


def rows(url: str, sql: str, **params: object) -> list[tuple]:  # type: ignore[type-arg]
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def public_id(url: str, number: str) -> str:
    return rows(url, "SELECT public_id FROM cases WHERE number = :n", n=number)[0][0]


def two_cases(wechat) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A bdc case (sup_bdc) and a gaj case (sup_gaj), from two different citizens."""
    bdc = file_complaint(wechat, BDC_TEXT, openid="o_console_citizen_1")
    gaj = file_complaint(wechat, GAJ_TEXT, openid="o_console_citizen_2")
    return bdc, gaj
