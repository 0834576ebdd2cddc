"""Input a database cannot take — a NUL character, a date Python cannot shift — is a clear 400, never a 500.

On PostgreSQL a NUL in a bound text parameter is an error of the driver, and a date at the edge of Python's
range overflows when it is converted to UTC; both used to surface as 500s whose log line carried every bound
parameter, complaint text included. Now the console answers with a Chinese error page, Open311 with its JSON
error list (for every error status), and no log line ever carries bound parameters. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from bot.runtime import runtime
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import file_complaint

SECRET = "举报人电话13987654321窗口态度恶劣"


@pytest.fixture
def db_url(any_db_url: str) -> str:  # the conftest's app, client and wechat run on both databases here
    return any_db_url


def _open311_key(app) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["open311", "key", "create", "hotline"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[0]


def _is_console_400(resp) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    html = resp.get_data(as_text=True)
    assert "text/html" in resp.content_type and "请求无效" in html


def _is_open311_error(resp, code: int) -> str:  # type: ignore[no-untyped-def]
    assert resp.status_code == code, resp.get_data(as_text=True)[:300]
    [err] = resp.get_json()
    assert err["code"] == code and isinstance(err["description"], str) and err["description"]
    return str(err["description"])


def test_the_console_refuses_a_nul_in_search_paths_and_forms(app, wechat, db_url) -> None:  # type: ignore[no-untyped-def]
    number = file_complaint(wechat)
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    pid = public_id(db_url, number)
    _is_console_400(office.get("/console/cases", query_string={"q": "态度\x00差"}))
    _is_console_400(office.get("/console/cases", query_string={"unit": "bdc\x00"}))
    _is_console_400(office.get(f"/console/cases/{pid}%00"))
    _is_console_400(office.get("/console/cases/%00"))
    _is_console_400(office.post(f"/console/cases/{pid}/actions/ask", {"note": "请问\x00哪一天"}))
    _is_console_400(office.post(f"/console/cases/{pid}/reveal", {"reason": "核实\x00情况"}))
    # The case is still there and the search still works.
    assert number in office.get("/console/cases", query_string={"q": "态度"}).get_data(as_text=True)


def test_the_login_form_refuses_a_nul(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "office1", "office")
    client = app.test_client()
    page = client.get("/console/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    for form in ({"username": "office1\x00", "password": "x"}, {"username": "office1", "password": "pw\x00"}):
        _is_console_400(client.post("/console/login", data={**form, "csrf_token": token}))
    login(app, "office1")  # the account is not locked out by them


@pytest.mark.parametrize(
    "query",
    [
        "from=9999-12-30",
        "from=9999-12-30&to=9999-12-31",
        "from=0001-01-01&to=0001-01-02",
        "from=2026-11-01&to=9999-12-31",
        "from=%00",
    ],
)
def test_the_ledger_refuses_dates_out_of_range(app, query: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    for path in ("/ledger.xlsx", "/console/ledger.xlsx"):
        _is_console_400(office.get(f"{path}?{query}"))


def test_a_digest_week_out_of_range_is_not_found(app) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    for week in ("0001-W01", "9999-W52", "1-W1"):
        assert office.get(f"/console/digest/{week}").status_code == 404


def test_open311_refuses_a_nul_in_bodies_and_paths_as_json(app, client, db_url) -> None:  # type: ignore[no-untyped-def]
    key = _open311_key(app)
    base = {
        "api_key": key,
        "service_code": "attitude",
        "description": "不动产登记中心窗口态度恶劣",
        "attribute[unit]": "bdc",
    }
    for field, value in (("description", "窗口态度\x00恶劣很差"), ("attribute[window]", "3\x00"),
                         ("address_string", "政务\x00中心"), ("account_id", "caller\x00"), ("first_name", "四\x00"),
                         ("service_code", "attitude\x00")):  # fmt: skip
        resp = client.post("/open311/v2/requests.json", data={**base, field: value})
        assert "NUL" in _is_open311_error(resp, 400), field
    number = client.post("/open311/v2/requests.json", data=base).get_json()[0]["service_request_id"]
    _is_open311_error(client.get(f"/open311/v2/requests/{number}%00.json?api_key={key}"), 400)
    _is_open311_error(client.get(f"/open311/v2/requests.json?api_key={key}&service_request_id={number}%00"), 400)
    _is_open311_error(client.get(f"/open311/v2/requests.json?api_key={key}&service_code=%00"), 400)
    assert rows(db_url, "SELECT count(*) FROM cases") == [(1,)]


@pytest.mark.parametrize(
    "query",
    [
        "start_date=9999-12-31T23:59:59-12:00",
        "start_date=0001-01-01T00:00:00%2B08:00",
        "end_date=0001-01-01T00:00:00Z",
        "end_date=9999-12-31T23:59:59Z",
        "start_date=1-01-01",
    ],
)
def test_open311_refuses_times_out_of_range(app, client, query: str) -> None:  # type: ignore[no-untyped-def]
    key = _open311_key(app)
    _is_open311_error(client.get(f"/open311/v2/requests.json?api_key={key}&{query}"), 400)


def test_every_open311_error_is_a_json_list(app, client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _is_open311_error(client.get("/open311/v2/nothing-here.json"), 404)
    _is_open311_error(client.get("/open311/v2/requests/ZY2611270001/extra.json"), 404)
    _is_open311_error(client.delete("/open311/v2/requests.json"), 405)
    assert "GET" in client.put("/open311/v2/services.json").headers["Allow"]
    _is_open311_error(client.put("/open311/v2/services.json"), 405)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom(**_kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.console.open311.apikeys.by_key", boom)
    crashed = client.get("/open311/v2/requests.json", headers={"X-Api-Key": "k" * 40})
    assert "internal error" in _is_open311_error(crashed, 500)
    assert crashed.headers["X-Content-Type-Options"] == "nosniff"
    # Elsewhere the errors look as they always did.
    assert "text/html" in client.get("/nothing-here").content_type
    assert "text/html" in client.get("/open311v2").content_type


def test_the_webhook_answers_a_nul_without_a_500(app, client, wechat) -> None:  # type: ignore[no-untyped-def]
    resp = client.get("/wechat", query_string={"signature": "\x00", "timestamp": "1", "nonce": "\x00",
                                               "echostr": "\x00"})  # fmt: skip
    assert resp.status_code in (400, 403)
    reply = wechat.text("不动产登记中心窗口态度\x00很差")
    assert reply is None or isinstance(reply, str)


def test_a_database_error_is_logged_without_its_parameters(app, client, caplog) -> None:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    with pytest.raises(sa.exc.DBAPIError) as raised:
        with rt.db.transaction() as s:
            s.execute(sa.text("SELECT * FROM no_such_table WHERE text = :t"), {"t": SECRET})
    assert SECRET not in str(raised.value) and "13987654321" not in str(raised.value)

    def broken() -> str:
        with runtime().db.transaction() as s:
            s.execute(sa.text("INSERT INTO no_such_table (text) VALUES (:t)"), {"t": SECRET})
        return "unreachable"

    app.add_url_rule("/_broken", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.DEBUG):
        assert client.get("/_broken").status_code == 500
    logged = "\n".join(
        r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "") for r in caplog.records
    )
    assert "no_such_table" in logged  # the error itself is logged …
    assert SECRET not in logged and "13987654321" not in logged  # … without what was bound to it
