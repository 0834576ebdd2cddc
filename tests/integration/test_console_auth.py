"""Console sign-in and web security: CSRF, Origin, throttling, session flags, headers, killed sessions, roles."""

from __future__ import annotations

import re

from tests.integration.console_helpers import CSRF as CSRF_FIELD
from tests.integration.console_helpers import PASSWORD
from tests.integration.console_helpers import Console
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.console_helpers import two_cases


def _attempt(app, console: Console, username: str, password: str):  # type: ignore[no-untyped-def]
    return console.client.post(  # type: ignore[attr-defined]
        "/console/login", data={"username": username, "password": password, "csrf_token": console.csrf()}
    )


def test_login_sets_a_hardened_session_cookie_and_pages_need_it(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    anonymous = app.test_client()
    resp = anonymous.get("/console/cases")
    assert resp.status_code == 302 and "/console/login" in resp.headers["Location"]
    console = Console(app.test_client())
    resp = _attempt(app, console, "li", PASSWORD)
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert console.get("/console/cases").status_code == 200


def test_passwords_are_stored_as_scrypt_hashes(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    [(stored,)] = rows(db_url, "SELECT password_hash FROM staff_accounts")
    assert stored.startswith("scrypt:") and PASSWORD not in stored


def test_wrong_username_and_wrong_password_look_the_same(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    console = Console(app.test_client())
    unknown = _attempt(app, console, "nobody", "whatever-123")
    wrong = _attempt(app, console, "li", "whatever-123")
    assert unknown.status_code == wrong.status_code == 401
    strip = re.compile(r'name="username" value="[^"]*"')
    assert strip.sub("", unknown.get_data(as_text=True)) == strip.sub("", wrong.get_data(as_text=True))
    assert "用户名或密码错误" in wrong.get_data(as_text=True)


def test_failed_logins_are_throttled_per_username_and_address(app, clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    console = Console(app.test_client())
    for _ in range(5):
        assert _attempt(app, console, "li", "wrong-password-1").status_code == 401
    # Even the right password is refused while throttled, and the answer does not depend on the account existing.
    blocked = _attempt(app, console, "li", PASSWORD)
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.get_data(as_text=True)
    assert _attempt(app, console, "ghost", "x").status_code == 401  # another username is not blocked by li's
    clock.advance(minutes=16)
    assert _attempt(app, console, "li", PASSWORD).status_code == 302
    assert rows(db_url, "SELECT count(*) FROM staff_events WHERE action = 'login_failed'")[0][0] == 6
    assert rows(db_url, "SELECT count(*) FROM staff_events WHERE action = 'login_throttled'")[0][0] == 1


def test_posts_without_or_with_a_wrong_csrf_token_change_nothing(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, _ = two_cases(wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    path = f"/console/cases/{public_id(db_url, bdc)}/actions/sign"
    assert li.post(path, csrf=False).status_code == 403
    assert li.post(path, {"csrf_token": "forged-token-value-0123456789abcdef"}).status_code == 403
    assert rows(db_url, "SELECT state FROM cases WHERE number = :n", n=bdc) == [("assigned",)]
    # A login form without the token is refused too (login CSRF).
    assert app.test_client().post("/console/login", data={"username": "li", "password": PASSWORD}).status_code == 403


def test_a_foreign_origin_or_referer_is_refused_even_with_the_token(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, _ = two_cases(wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    path = f"/console/cases/{public_id(db_url, bdc)}/actions/sign"
    assert li.post(path, headers={"Origin": "https://evil.example"}).status_code == 403
    assert li.post(path, headers={"Origin": "null"}).status_code == 403
    assert li.post(path, headers={"Referer": "https://evil.example/page"}).status_code == 403
    assert rows(db_url, "SELECT state FROM cases WHERE number = :n", n=bdc) == [("assigned",)]
    ok = li.post(path, headers={"Origin": "http://localhost"})
    assert ok.status_code == 303
    assert rows(db_url, "SELECT state FROM cases WHERE number = :n", n=bdc) == [("signed",)]


def test_get_never_changes_state(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, _ = two_cases(wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    assert li.get(f"/console/cases/{public_id(db_url, bdc)}/actions/sign").status_code == 405
    assert li.get("/console/logout").status_code == 405
    assert rows(db_url, "SELECT state FROM cases WHERE number = :n", n=bdc) == [("assigned",)]


def test_security_headers_on_every_console_response(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, _ = two_cases(wechat)
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    for path in ("/console/login", "/console/cases", f"/console/cases/{public_id(db_url, bdc)}", "/console/triage",
                 "/console/dashboard", "/console/ledger.xlsx", "/ledger.xlsx", "/console/cases/nope"):  # fmt: skip
        resp = office.get(path)
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"], path
        assert resp.headers["Cache-Control"] == "no-store", path
        assert resp.headers["Referrer-Policy"] == "same-origin", path
        if resp.mimetype == "text/html":
            assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
            assert "<script" not in resp.get_data(as_text=True)  # no inline script anywhere


def test_a_disabled_account_is_signed_out_at_once(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    assert li.get("/console/cases").status_code == 200
    result = app.test_cli_runner().invoke(args=["staff", "disable", "li"])
    assert result.exit_code == 0, result.output
    assert li.get("/console/cases").status_code == 302
    again = Console(app.test_client())
    assert _attempt(app, again, "li", PASSWORD).status_code == 401


def test_a_password_change_ends_existing_sessions(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    result = app.test_cli_runner().invoke(args=["staff", "password", "li", "--password", "another-pass-77"])
    assert result.exit_code == 0, result.output
    assert li.get("/console/cases").status_code == 302
    login(app, "li", "another-pass-77")


def test_staff_create_refuses_bad_requests(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    cases = [
        (["--role", "supervisor", "--units", "nope"], "未知单位"),
        (["--role", "supervisor", "--supervisor-id", "sup_nobody"], "没有督办员"),
        (["--role", "supervisor", "--supervisor-id", "head_bdc"], "unit_head"),
        (["--role", "supervisor", "--units", "bdc", "--member-of", "bdc"], "回避"),
        (["--role", "supervisor", "--units", "bdc", "--password", "short"], "至少"),
    ]
    for extra, message in cases:
        args = ["staff", "create", "--username", "x1", *extra]
        if "--password" not in extra:
            args += ["--password", PASSWORD]
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (extra, result.output)


def test_the_login_never_redirects_off_site(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    console = Console(app.test_client())
    for target in ("https://evil.example/", "//evil.example/", "/console/cases"):
        resp = console.client.post("/console/login", data={"username": "li", "password": PASSWORD,  # type: ignore[attr-defined]
                                   "csrf_token": console.csrf(), "next": target})  # fmt: skip
        assert resp.status_code == 302
        assert resp.headers["Location"] in ("/console/cases", "http://localhost/console/cases"), target
        console.client.post("/console/logout", data={"csrf_token": console.session_csrf()})  # type: ignore[attr-defined]


def test_the_admin_manages_staff_on_the_web(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "root", "admin")
    admin = login(app, "root")
    assert admin.get("/console/cases").status_code == 403  # an admin manages accounts, not cases
    resp = admin.post("/console/admin/staff", {"username": "wang", "role": "supervisor", "supervisor_id": "sup_gaj",
                                               "password": "good-password-9"})  # fmt: skip
    assert resp.status_code == 303
    assert rows(db_url, "SELECT role, supervisor_id, member_of FROM staff_accounts WHERE username = 'wang'") == [
        ("supervisor", "sup_gaj", "zyb")
    ]
    login(app, "wang", "good-password-9")
    [(wang_id,)] = rows(db_url, "SELECT id FROM staff_accounts WHERE username = 'wang'")
    admin.post(f"/console/admin/staff/{wang_id}/active", {"active": "0"})
    assert rows(db_url, "SELECT active FROM staff_accounts WHERE username = 'wang'") == [(False,)] or rows(
        db_url, "SELECT active FROM staff_accounts WHERE username = 'wang'"
    ) == [(0,)]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    assert login(app, "li").get("/console/admin/staff").status_code == 403


def test_production_uses_a_host_prefixed_cookie_hsts_and_no_debugger(sqlite_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    from bot import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(sqlite_url, ZHIYONG_ENV="production"), clock=clock)
    try:
        assert not app.debug and not app.testing
        create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
        client, base = app.test_client(), "https://zy.example"
        token = CSRF_FIELD.search(client.get("/console/login", base_url=base).get_data(as_text=True)).group(1)
        resp = client.post("/console/login", base_url=base, headers={"Origin": base},
                           data={"username": "li", "password": PASSWORD, "csrf_token": token})  # fmt: skip
        assert resp.status_code == 302
        cookie = resp.headers["Set-Cookie"]
        assert cookie.startswith("__Host-") and "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
        missing = client.get("/console/cases/0123456789abcdef01234567", base_url=base)
        assert missing.status_code == 404 and "Traceback" not in missing.get_data(as_text=True)
    finally:
        app.extensions["zhiyong"].db.dispose()
