"""回避 for every role: an office or admin account never belongs to a unit, and an office account that does anyway
(a row written past the rules) sees and touches nothing about that unit: page, search, actions, reveal, triage."""

from __future__ import annotations

from bot.console.auth import hash_password
from bot.runtime import runtime
from storage import staff as staff_repo
from tests.integration.console_helpers import PASSWORD
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.console_helpers import two_cases


def _insider(app, username: str = "insider") -> None:  # type: ignore[no-untyped-def]
    """An office account of bdc's own staff, inserted as a bad migration or a hand-edited row would."""
    rt = runtime(app)
    with rt.db.transaction() as s:
        staff_repo.add(session=s, username=username, display_name="内鬼", password_hash=hash_password(PASSWORD),
                       role="office", units=["zyb"], member_of="bdc", supervisor_id=None, now=rt.now())  # fmt: skip


def test_staff_create_refuses_an_office_or_admin_account_of_a_unit(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    for role in ("office", "admin"):
        result = runner.invoke(args=["staff", "create", "--username", f"x_{role}", "--role", role, "--member-of", "bdc",
                                     "--password", PASSWORD])  # fmt: skip
        assert result.exit_code != 0, result.output
        assert "回避" in result.output and "bdc" in result.output and "市不动产登记中心" in result.output
    assert rows(db_url, "SELECT count(*) FROM staff_accounts") == [(0,)]
    # The handling bodies are what office accounts belong to.
    create_staff(app, "office_jw", "office", "--member-of", "jw")
    create_staff(app, "office_zyb", "office", "--member-of", "zyb")
    assert rows(db_url, "SELECT username, member_of FROM staff_accounts ORDER BY username") == [
        ("office_jw", "jw"),
        ("office_zyb", "zyb"),
    ]


def test_the_admin_page_refuses_an_office_account_of_a_unit(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "root", "admin")
    admin = login(app, "root")
    resp = admin.post("/console/admin/staff", {"username": "mole", "role": "office", "member_of": "bdc",
                                               "password": "good-password-9"}, follow_redirects=True)  # fmt: skip
    html = resp.get_data(as_text=True)
    assert "回避" in html and "市不动产登记中心" in html
    assert rows(db_url, "SELECT count(*) FROM staff_accounts WHERE username = 'mole'") == [(0,)]


def test_an_office_account_of_the_accused_unit_cannot_open_search_act_or_reveal(app, wechat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    bdc, gaj = two_cases(wechat)
    _insider(app)
    insider = login(app, "insider")
    pid, other = public_id(db_url, bdc), public_id(db_url, gaj)
    assert insider.get(f"/console/cases/{other}").status_code == 200  # an office account still, for other units
    assert insider.get(f"/console/cases/{pid}").status_code == 404
    for query in ("?state=all", f"?state=all&q={bdc}", "?state=all&unit=bdc"):
        assert f">{bdc}</a>" not in insider.get("/console/cases" + query).get_data(as_text=True), query
    assert f">{gaj}</a>" in insider.get("/console/cases?state=all").get_data(as_text=True)
    for path, form in ((f"/console/cases/{pid}/actions/escalate", {"note": "请尽快办理"}),
                       (f"/console/cases/{pid}/actions/reject", {"note": "不属实"}),
                       (f"/console/cases/{pid}/actions/reclassify", {"category": "access"}),
                       (f"/console/cases/{pid}/reveal", {"reason": "需要电话回访核实具体办理情况"})):  # fmt: skip
        assert insider.post(path, form).status_code == 404, path
    assert rows(db_url, "SELECT state, category FROM cases WHERE number = :n", n=bdc) == [("assigned", "attitude")]
    assert rows(db_url, "SELECT count(*) FROM case_events WHERE action LIKE 'reveal%'") == [(0,)]
    # Nor does the unit show up in the figures the account reads.
    assert "市不动产登记中心" not in insider.get("/console/dashboard").get_data(as_text=True)


def test_an_office_account_of_a_unit_cannot_route_a_triage_case_to_it(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    _insider(app)
    insider = login(app, "insider")
    key = app.test_cli_runner().invoke(args=["open311", "key", "create", "hotline"]).output.strip().splitlines()[0]
    created = app.test_client().post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "attitude", "description": "有个工作人员说话很难听，希望管一管"})  # fmt: skip
    number = created.get_json()[0]["service_request_id"]
    pid = public_id(db_url, number)
    desk = insider.get("/console/triage").get_data(as_text=True)
    assert number in desk and 'value="bdc"' not in desk
    refused = insider.post(f"/console/triage/{pid}/route", {"unit": "bdc"}, follow_redirects=True)
    assert "回避" in refused.get_data(as_text=True)
    assert rows(db_url, "SELECT state, respondent_unit FROM cases WHERE number = :n", n=number) == [("triage", None)]
    insider.post(f"/console/triage/{pid}/route", {"unit": "zwfw"})
    assert rows(db_url, "SELECT state, respondent_unit FROM cases WHERE number = :n", n=number) == [
        ("assigned", "zwfw")
    ]
