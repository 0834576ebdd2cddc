"""Server-side console sessions: the cookie carries only a random id, the row decides. Sign-out, a password change
and a disabled account end sessions for good, including copies of the cookie in another browser."""

from __future__ import annotations

import hashlib

from tests.integration.console_helpers import Console
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import rows

COOKIE = "zhiyong_console"  # the name outside production


def _cookie(console: Console) -> str:
    cookie = console.client.get_cookie(COOKIE)  # type: ignore[attr-defined]
    assert cookie is not None
    return str(cookie.value)


def _browser(app, value: str) -> Console:  # type: ignore[no-untyped-def]
    """Another browser holding a copy of someone's cookie."""
    other = Console(app.test_client())
    other.client.set_cookie(COOKIE, value)  # type: ignore[attr-defined]
    return other


def _signed_out(console: Console) -> bool:
    resp = console.get("/console/cases")
    return resp.status_code == 302 and "/console/login" in resp.headers["Location"]


def _revoked(db_url: str, username: str) -> list[bool]:
    return [r[0] is not None for r in rows(db_url, "SELECT s.revoked_at FROM staff_sessions s JOIN staff_accounts a "
                                                   "ON a.id = s.staff_id WHERE a.username = :u ORDER BY s.id", u=username)]  # fmt: skip


def test_the_cookie_carries_only_a_session_id_whose_hash_is_stored(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    data = app.session_interface.get_signing_serializer(app).loads(_cookie(li))
    assert set(data) - {"_permanent"} == {"sid", "csrf"} and len(data["sid"]) >= 32
    [(token_hash, created, seen, revoked)] = rows(
        db_url, "SELECT token_hash, created_at, last_seen_at, revoked_at FROM staff_sessions"
    )
    assert token_hash == hashlib.sha256(data["sid"].encode()).hexdigest() and revoked is None
    assert created is not None and seen is not None
    assert rows(db_url, "SELECT count(*) FROM staff_sessions WHERE token_hash = :t", t=data["sid"]) == [(0,)]


def test_after_logout_a_replayed_cookie_gets_the_login_page(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    copied = _cookie(li)
    thief = _browser(app, copied)
    assert thief.get("/console/cases").status_code == 200  # a live session works from any browser that holds it
    assert li.post("/console/logout").status_code == 302
    assert _signed_out(thief)
    assert _signed_out(_browser(app, copied))
    assert _revoked(db_url, "li") == [True]


def test_logout_ends_only_that_session(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    desk, phone = login(app, "li"), login(app, "li")
    phone.post("/console/logout")
    assert _signed_out(phone)
    assert desk.get("/console/cases").status_code == 200


def test_signing_in_again_revokes_the_session_the_browser_held(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    before = _cookie(li)
    li.client.post("/console/login", data={"username": "li", "password": "correct-horse-42",  # type: ignore[attr-defined]
                                           "csrf_token": li.session_csrf()})  # fmt: skip
    assert li.get("/console/cases").status_code == 200
    assert _signed_out(_browser(app, before))
    assert _revoked(db_url, "li") == [True, False]


def test_a_password_change_kills_every_other_browser(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "root", "admin")
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    create_staff(app, "wang", "supervisor", "--supervisor-id", "sup_gaj")
    admin, desk, phone, wang = login(app, "root"), login(app, "li"), login(app, "li"), login(app, "wang")
    [(li_id,)] = rows(db_url, "SELECT id FROM staff_accounts WHERE username = 'li'")
    assert admin.post(f"/console/admin/staff/{li_id}/password", {"password": "another-pass-77"}).status_code == 303
    assert _signed_out(desk) and _signed_out(phone)
    assert _revoked(db_url, "li") == [True, True]
    # Nobody else is touched, and the new password opens a new session.
    assert wang.get("/console/cases").status_code == 200 and admin.get("/console/admin/staff").status_code == 200
    fresh = login(app, "li", "another-pass-77")
    assert fresh.get("/console/cases").status_code == 200
    # The operator's `staff password` does the same.
    result = app.test_cli_runner().invoke(args=["staff", "password", "li", "--password", "third-pass-99"])
    assert result.exit_code == 0, result.output
    assert _signed_out(fresh) and _revoked(db_url, "li") == [True, True, True]


def test_disabling_an_account_kills_its_sessions_in_every_browser(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "root", "admin")
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    admin, li = login(app, "root"), login(app, "li")
    copied = _browser(app, _cookie(li))
    [(li_id,)] = rows(db_url, "SELECT id FROM staff_accounts WHERE username = 'li'")
    admin.post(f"/console/admin/staff/{li_id}/active", {"active": "0"})
    assert _signed_out(li) and _signed_out(copied) and _revoked(db_url, "li") == [True]
    # Enabling the account again does not bring a revoked session back.
    admin.post(f"/console/admin/staff/{li_id}/active", {"active": "1"})
    assert _signed_out(copied)
    again = login(app, "li")
    result = app.test_cli_runner().invoke(args=["staff", "disable", "li"])
    assert result.exit_code == 0, result.output
    assert _signed_out(again) and _revoked(db_url, "li") == [True, True]


def test_a_live_session_is_seen_and_ends_at_its_absolute_lifetime(app, clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    [(first_seen,)] = rows(db_url, "SELECT last_seen_at FROM staff_sessions")
    clock.advance(hours=9, minutes=59)
    assert li.get("/console/cases").status_code == 200  # busy all day: still signed in
    [(later,)] = rows(db_url, "SELECT last_seen_at FROM staff_sessions")
    assert later != first_seen
    clock.advance(minutes=2)
    assert _signed_out(li)  # ten hours after sign-in, however active
