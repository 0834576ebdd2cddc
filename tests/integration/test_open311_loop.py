"""Open311 closes the loop: the platform reads the answer as the answer (never replaced by the WeChat-only rating
request), and sends the citizen's rating back, recorded like a WeChat rating (satisfied → 办结, unsatisfied → 重办).
"""

from __future__ import annotations

from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_open311 import _create
from tests.integration.test_open311 import _key

ANSWER = "经核实，已约谈3号窗口负责人，当事工作人员已作检查并向您致歉。"


def _get(client, number: str, key: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    [req] = client.get(f"/open311/v2/requests/{number}.json", headers={"X-Api-Key": key}).get_json()
    return req  # type: ignore[no-any-return]


def _rate(client, number: str, key: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(f"/open311/v2/requests/{number}/rating.json", data={"api_key": key, **fields})


def test_the_answer_reaches_the_platform_and_its_rating_comes_back(app, client, db_url: str) -> None:  # type: ignore[no-untyped-def]
    key = _key(app)
    number = _create(client, key).get_json()[0]["service_request_id"]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    pid = public_id(db_url, number)
    li.post(f"/console/cases/{pid}/actions/sign")
    li.post(f"/console/cases/{pid}/actions/reply", {"note": ANSWER})

    req = _get(client, number, key)
    assert req["status"] == "open" and req["awaiting_rating"] is True
    assert req["answer"]["text"] == ANSWER and req["answer"]["answered_datetime"]
    assert req["status_notes"].startswith("待您评价：") and ANSWER in req["status_notes"]
    for wechat_only in ("请您对工单", "1A", "回复"):
        assert wechat_only not in req["status_notes"], wechat_only
    assert req["rating"] is None

    # The citizen tells the platform they are very unhappy: 重办, as in WeChat.
    unhappy = _rate(client, number, key, satisfaction="非常不满意")
    assert unhappy.status_code == 200, unhappy.get_data(as_text=True)
    [req] = unhappy.get_json()
    assert req["status_notes"].startswith("重新办理") and req["awaiting_rating"] is False and req["answer"] is None
    assert req["rating"]["outcome"] == "3" and req["rating"]["conduct"] == "C" and req["rating"]["label"]
    assert rows(db_url, "SELECT state, rating_outcome, rating_conduct FROM cases") == [("reopened", "3", "C")]
    assert {r for (r,) in rows(db_url, "SELECT recipient FROM outbox WHERE purpose = 'case_reopened'")} == {
        "sup_bdc", "sup_triage"}  # fmt: skip
    [(actor, note)] = rows(db_url, "SELECT actor, note FROM case_events WHERE action = 'rate_unsatisfied'")
    assert actor == "citizen" and note == "未解决，不满意（经 hotline 转达）"
    # Nothing to rate now.
    assert _rate(client, number, key, outcome="1", conduct="A").status_code == 409

    li.post(f"/console/cases/{pid}/actions/sign")
    li.post(f"/console/cases/{pid}/actions/reply", {"note": "重新核查后，已调整该工作人员岗位。"})
    happy = _rate(client, number, key, outcome="1", conduct="a")
    [req] = happy.get_json()
    assert happy.status_code == 200 and req["status"] == "closed"
    assert req["answer"]["text"] == "重新核查后，已调整该工作人员岗位。"
    assert req["rating"]["outcome"] == "1" and req["rating"]["conduct"] == "A"
    assert rows(db_url, "SELECT state FROM cases") == [("closed",)]
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_a_rating_needs_the_key_that_filed_it_and_a_known_value(app, client, db_url: str) -> None:  # type: ignore[no-untyped-def]
    key, other = _key(app), _key(app, "another-platform")
    number = _create(client, key).get_json()[0]["service_request_id"]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    li = login(app, "li")
    pid = public_id(db_url, number)
    li.post(f"/console/cases/{pid}/actions/sign")
    li.post(f"/console/cases/{pid}/actions/reply", {"note": ANSWER})

    assert client.post(f"/open311/v2/requests/{number}/rating.json", data={"outcome": "1"}).status_code == 403
    assert _rate(client, number, other, outcome="1", conduct="A").status_code == 404
    assert _rate(client, "ZY2611279999", key, outcome="1", conduct="A").status_code == 404
    for bad in ({"outcome": "4", "conduct": "A"}, {"outcome": "1"}, {"satisfaction": "还行"}, {}):
        resp = _rate(client, number, key, **bad)
        assert resp.status_code == 400 and "satisfaction" in resp.get_json()[0]["description"], bad
    assert rows(db_url, "SELECT state FROM cases") == [("rating",)]
    assert _rate(client, number, key, satisfaction="基本满意").status_code == 200
    assert rows(db_url, "SELECT state, rating_outcome, rating_conduct FROM cases") == [("closed", "2", "B")]
