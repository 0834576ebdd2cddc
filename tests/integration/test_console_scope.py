"""Scope on every path that serves a case: page, action, reclassify, evidence file, queue search, export, digest.

Out of scope and nonexistent give the same 404, byte for byte (RELIABILITY 65); unit heads and admins never see
a case (67); read-only roles cannot act (68).
"""

from __future__ import annotations

import io
import secrets

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.runtime import runtime
from storage.models import Evidence
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.console_helpers import two_cases


@pytest.fixture
def setup(app, wechat, db_url: str, tmp_path):  # type: ignore[no-untyped-def]
    bdc, gaj = two_cases(wechat)
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    create_staff(app, "wang", "supervisor", "--supervisor-id", "sup_gaj")
    create_staff(app, "head", "unit_head", "--supervisor-id", "head_bdc")
    create_staff(app, "office1", "office")
    # One stored photo on the bdc case, in a folder of the test's own.
    rt = runtime(app)
    rt.services["evidence_dir"] = str(tmp_path / "evidence")
    case_id = rows(db_url, "SELECT id FROM cases WHERE number = :n", n=bdc)[0][0]
    folder = tmp_path / "evidence" / str(case_id)
    folder.mkdir(parents=True)
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "PNG")
    (folder / "photo.png").write_bytes(buf.getvalue())
    with rt.db.transaction() as s:
        ev = Evidence(case_id=case_id, kind="image", status="stored", path=f"{case_id}/photo.png",
                      content_type="image/png", received_at=rt.now())  # fmt: skip
        s.add(ev)
        s.flush()
        evidence_id = ev.id
    return {"bdc": bdc, "gaj": gaj, "bdc_pid": public_id(db_url, bdc), "gaj_pid": public_id(db_url, gaj),
            "evidence_id": evidence_id}  # fmt: skip


def _paths(pid: str, evidence_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", f"/console/cases/{pid}"),
        ("GET", f"/console/cases/{pid}/evidence/{evidence_id}"),
        ("POST", f"/console/cases/{pid}/actions/sign"),
        ("POST", f"/console/cases/{pid}/actions/reply"),
        ("POST", f"/console/cases/{pid}/actions/reclassify"),
    ]


def test_out_of_scope_and_nonexistent_are_the_same_404_on_every_path(app, setup, db_url: str) -> None:  # type: ignore[no-untyped-def]
    wang = login(app, "wang")  # oversees gaj and cgs, not bdc
    missing = secrets.token_hex(12)
    for (method, path), (_, ghost) in zip(_paths(setup["bdc_pid"], setup["evidence_id"]),
                                          _paths(missing, setup["evidence_id"]), strict=True):  # fmt: skip
        send = wang.get if method == "GET" else wang.post
        hidden, absent = send(path), send(ghost)
        assert hidden.status_code == absent.status_code == 404, path
        assert hidden.get_data() == absent.get_data(), path
        assert setup["bdc"] not in hidden.get_data(as_text=True)
    assert rows(db_url, "SELECT state, category FROM cases WHERE number = :n", n=setup["bdc"]) == [
        ("assigned", "attitude")
    ]
    assert rows(db_url, "SELECT count(*) FROM staff_events WHERE action = 'not_found'")[0][0] >= 5


def test_a_supervisor_sees_and_serves_their_own_units_case(app, setup) -> None:  # type: ignore[no-untyped-def]
    li = login(app, "li")
    page = li.get(f"/console/cases/{setup['bdc_pid']}")
    assert page.status_code == 200 and setup["bdc"] in page.get_data(as_text=True)
    photo = li.get(f"/console/cases/{setup['bdc_pid']}/evidence/{setup['evidence_id']}")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in photo.headers["Content-Security-Policy"]
    photo.close()
    download = li.get(f"/console/cases/{setup['bdc_pid']}/evidence/{setup['evidence_id']}?download=1")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.mimetype == "application/octet-stream"
    download.close()
    # The evidence id of one case through another case's URL is not found either.
    office = login(app, "office1")
    assert office.get(f"/console/cases/{setup['gaj_pid']}/evidence/{setup['evidence_id']}").status_code == 404
    assert li.get(f"/console/cases/{setup['gaj_pid']}").status_code == 404


def test_queue_search_and_exports_stay_in_scope(app, setup) -> None:  # type: ignore[no-untyped-def]
    li = login(app, "li")
    for query in ("", f"?state=all&q={setup['gaj']}", "?state=all&unit=gaj", "?state=all&overdue=1"):
        assert f">{setup['gaj']}</a>" not in li.get("/console/cases" + query).get_data(as_text=True), query
    assert f">{setup['bdc']}</a>" in li.get("/console/cases").get_data(as_text=True)
    for path in ("/console/ledger.xlsx", "/ledger.xlsx"):
        resp = li.get(path)
        assert resp.status_code == 200
        wb = load_workbook(io.BytesIO(resp.get_data()))
        numbers = [c.value for c in wb["工单台帐"]["B"]]  # column A is 序号
        assert setup["bdc"] in numbers and setup["gaj"] not in numbers
        units = [c.value for c in wb["单位汇总"]["B"]][3:]
        assert units == ["市不动产登记中心", "市自然资源和规划局"]


def test_the_accused_units_head_sees_figures_only(app, setup, db_url: str) -> None:  # type: ignore[no-untyped-def]
    head = login(app, "head")
    for method, path in _paths(setup["bdc_pid"], setup["evidence_id"]) + [("GET", "/console/cases"),
                                                                          ("GET", "/console/triage")]:  # fmt: skip
        resp = head.get(path) if method == "GET" else head.post(path, {"note": "x"})
        assert resp.status_code == 403, path
        assert setup["bdc"] not in resp.get_data(as_text=True)
    dash = head.get("/console/dashboard").get_data(as_text=True)
    assert "市不动产登记中心" in dash and "市公安局" not in dash and setup["bdc"] not in dash
    wb = load_workbook(io.BytesIO(head.get("/ledger.xlsx").get_data()))
    assert wb.sheetnames == ["单位汇总"]
    assert [c.value for c in wb["单位汇总"]["B"]][3:] == ["市不动产登记中心"]
    week = head.get("/console/digest/2026-W47")
    assert week.status_code == 200 and setup["bdc"] not in week.get_data(as_text=True)
    assert rows(db_url, "SELECT state FROM cases WHERE number = :n", n=setup["bdc"]) == [("assigned",)]


def test_supervisors_cannot_take_office_steps(app, setup, db_url: str) -> None:  # type: ignore[no-untyped-def]
    li = login(app, "li")
    pid = setup["bdc_pid"]
    assert li.post(f"/console/cases/{pid}/actions/approve_extension", {"days": "5"}).status_code == 403
    assert li.post(f"/console/cases/{pid}/actions/merge", {"target": setup["gaj"]}).status_code == 403
    assert li.post(f"/console/cases/{pid}/actions/reject", {"note": "x"}).status_code == 403
    assert li.post(f"/console/cases/{pid}/reveal", {"reason": "核实身份需要"}).status_code == 403
    assert li.post(f"/console/triage/{pid}/route", {"unit": "gaj"}).status_code == 403
    assert li.post(f"/console/cases/{pid}/actions/not_an_action").status_code == 404
    assert rows(db_url, "SELECT state, respondent_unit FROM cases WHERE number = :n", n=setup["bdc"]) == [
        ("assigned", "bdc")
    ]
    assert rows(db_url, "SELECT count(*) FROM case_events WHERE action = 'reveal'") == [(0,)]
    assert rows(db_url, "SELECT count(*) FROM staff_events WHERE action = 'forbidden'")[0][0] == 5


def test_a_supervisor_who_belongs_to_the_accused_unit_never_sees_it(app, setup) -> None:  # type: ignore[no-untyped-def]
    # An account that (wrongly) lists bdc while belonging to bdc's parent chain is refused at creation ...
    result = app.test_cli_runner().invoke(args=["staff", "create", "--username", "insider", "--role", "supervisor",
                                                "--units", "bdc", "--member-of", "bdc", "--password", "pw-insider-1"])  # fmt: skip
    assert result.exit_code != 0 and "回避" in result.output
    # ... and an account of bdc's discipline liaison sees only what it is assigned, not bdc's cases.
    create_staff(app, "jw", "supervisor", "--supervisor-id", "sup_jw")
    jw = login(app, "jw")
    assert jw.get(f"/console/cases/{setup['bdc_pid']}").status_code == 404
