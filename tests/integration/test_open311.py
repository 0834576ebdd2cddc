"""Open311 GeoReport v2: services, create and read with API keys, per-key scope, 12345 states, no identities."""

from __future__ import annotations

import json

from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows

DESCRIPTION = "不动产登记中心3号窗口工作人员态度恶劣，我的电话13612345678"


def _key(app, name: str = "hotline") -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["open311", "key", "create", name])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[0]


def _create(client, key: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {"api_key": key, "service_code": "attitude", "description": DESCRIPTION, "attribute[unit]": "bdc",
            "account_id": "caller-8841", **fields}  # fmt: skip
    return client.post("/open311/v2/requests.json", data=data)


def test_services_list_the_categories(client) -> None:  # type: ignore[no-untyped-def]
    services = client.get("/open311/v2/services.json").get_json()
    codes = {s["service_code"] for s in services}
    assert {"access", "attitude", "obstruction", "corruption", "other"} <= codes
    assert all(s["type"] == "realtime" and s["metadata"] is False for s in services)


def test_requests_need_a_valid_key(app, client, db_url: str) -> None:  # type: ignore[no-untyped-def]
    assert _create(client, "").status_code == 403
    assert _create(client, "x" * 43).status_code == 403
    assert client.get("/open311/v2/requests.json").status_code == 403
    assert client.get("/open311/v2/requests/ZY2611270001.json").status_code == 403
    key = _key(app)
    assert app.test_cli_runner().invoke(args=["open311", "key", "revoke", "hotline"]).exit_code == 0
    assert _create(client, key).status_code == 403
    assert rows(db_url, "SELECT count(*) FROM cases") == [(0,)]
    [(stored,)] = rows(db_url, "SELECT key_hash FROM api_keys")
    assert key not in stored and len(stored) == 64


def test_create_and_follow_a_request_without_identities(app, client, db_url: str) -> None:  # type: ignore[no-untyped-def]
    key = _key(app)
    created = _create(client, key, phone="13612345678", last_name="李", first_name="四", lat="29.84", long="114.32",
                      address_string="咸安区政务中心")  # fmt: skip
    assert created.status_code == 201, created.get_data(as_text=True)
    [body] = created.get_json()
    number = body["service_request_id"]
    assert body["account_id"] == "caller-8841"
    [(channel, pseudonym, state)] = rows(db_url, "SELECT channel, pseudonym, state FROM cases WHERE number = :n",
                                         n=number)  # fmt: skip
    assert channel == "open311" and state == "assigned" and pseudonym.startswith("p")
    # No WeChat account behind an Open311 reporter: nothing is queued for a citizen.
    assert rows(db_url, "SELECT count(*) FROM outbox WHERE recipient_kind = 'citizen'") == [(0,)]
    assert rows(db_url, "SELECT count(*) FROM citizens") == [(0,)]
    # The same caller through the same key is the same reporter; another caller is another.
    again = _create(client, key).get_json()[0]["service_request_id"]
    other = _create(client, key, account_id="caller-0002").get_json()[0]["service_request_id"]
    pseudonyms = dict(rows(db_url, "SELECT number, pseudonym FROM cases"))
    assert pseudonyms[again] == pseudonym and pseudonyms[other] != pseudonym

    one = client.get(f"/open311/v2/requests/{number}.json", headers={"X-Api-Key": key})
    assert one.status_code == 200
    [req] = one.get_json()
    assert req["status"] == "open" and req["status_notes"].startswith("已派单")
    assert req["service_code"] == "attitude" and req["lat"] == 29.84 and req["address"] == "咸安区政务中心"
    assert "136****5678" in req["description"]
    assert [u["status_notes"] for u in req["updates"]] == ["已受理", "已派单"]
    raw = one.get_data(as_text=True)
    for secret in ("13612345678", "李四", pseudonym, "sup_bdc", "李督办"):
        assert secret not in raw, secret

    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    login(app, "li").post(f"/console/cases/{public_id(db_url, number)}/actions/sign")
    [req] = client.get(f"/open311/v2/requests/{number}.json?api_key={key}").get_json()
    assert req["status_notes"].startswith("已签收") and req["updates"][-1]["status_notes"] == "已签收"
    assert "dialog" not in json.dumps(req)


def test_a_key_reads_only_its_own_requests(app, client) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = _key(app, "hotline"), _key(app, "other-channel")
    number = _create(client, mine).get_json()[0]["service_request_id"]
    hidden = client.get(f"/open311/v2/requests/{number}.json?api_key={theirs}")
    absent = client.get(f"/open311/v2/requests/ZY2611279999.json?api_key={theirs}")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.get_data() == absent.get_data()
    assert client.get(f"/open311/v2/requests.json?api_key={theirs}").get_json() == []
    listed = client.get(f"/open311/v2/requests.json?api_key={mine}").get_json()
    assert [r["service_request_id"] for r in listed] == [number]


def test_list_filters(app, client) -> None:  # type: ignore[no-untyped-def]
    key = _key(app)
    a = _create(client, key).get_json()[0]["service_request_id"]
    access = _create(client, key, service_code="access", description="不动产登记中心电话一直没人接，窗口也没人")
    b = access.get_json()[0]["service_request_id"]

    def get(query: str) -> list[str]:
        found = client.get(f"/open311/v2/requests.json?api_key={key}&{query}").get_json()
        return [r["service_request_id"] for r in found]

    assert sorted(get("")) == sorted([a, b])
    assert get("service_code=access") == [b]
    assert get(f"service_request_id={a}") == [a]
    assert sorted(get("status=open")) == sorted([a, b])
    assert get("status=closed") == []
    assert get("start_date=2030-01-01T00:00:00Z") == []
    assert client.get(f"/open311/v2/requests.json?api_key={key}&start_date=soon").status_code == 400


def test_bad_requests_are_refused_with_open311_errors(app, client, db_url: str) -> None:  # type: ignore[no-untyped-def]
    key = _key(app)
    for fields, word in (({"service_code": "nope"}, "service_code"), ({"description": "短"}, "description"),
                         ({"attribute[unit]": "nope"}, "unit"), ({"lat": "north", "long": "1"}, "lat"),
                         ({"phone": "12345"}, "phone")):  # fmt: skip
        resp = _create(client, key, **fields)
        assert resp.status_code == 400
        [err] = resp.get_json()
        assert err["code"] == 400 and word in err["description"]
    assert rows(db_url, "SELECT count(*) FROM cases") == [(0,)]
    assert client.get("/open311/v2/services.json").headers["X-Content-Type-Options"] == "nosniff"
