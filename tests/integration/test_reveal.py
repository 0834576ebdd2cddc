"""查看身份 by two people: one office account asks with a reason (10 characters or more), a different one approves
or declines, the requester sees the reporter for 30 minutes after approval; every step audited, never the identity
in a note; the weekly digest to the office lists the week's reveals."""

from __future__ import annotations

import pytest

from bot.console.auth import hash_password
from bot.runtime import runtime
from storage import staff as staff_repo
from tests.integration.console_helpers import PASSWORD
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows

PHONE, NAME = "13712345678", "张三"
REASON = "需电话回访核实办理结果"


@pytest.fixture
def case(app, db_url: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A real-name report about bdc (through Open311, which takes a name and phone), and two office accounts."""
    create_staff(app, "office1", "office")
    create_staff(app, "office2", "office")
    key = app.test_cli_runner().invoke(args=["open311", "key", "create", "hotline"]).output.strip().splitlines()[0]
    created = app.test_client().post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "attitude", "description": "不动产登记中心窗口工作人员态度恶劣",
        "attribute[unit]": "bdc", "phone": PHONE, "last_name": "张", "first_name": "三"})  # fmt: skip
    number = created.get_json()[0]["service_request_id"]
    return {"number": number, "pid": public_id(db_url, number)}


def _ask(console, pid: str, reason: str = REASON):  # type: ignore[no-untyped-def]
    return console.post(f"/console/cases/{pid}/reveal", {"reason": reason}, follow_redirects=True)


def _request_id(db_url: str) -> int:
    [(rid,)] = rows(db_url, "SELECT id FROM reveal_requests ORDER BY id DESC LIMIT 1")
    return int(rid)


def _view(console, pid: str, rid: int):  # type: ignore[no-untyped-def]
    return console.post(f"/console/cases/{pid}/reveal/{rid}/view", follow_redirects=True)


def _shows_identity(resp) -> bool:  # type: ignore[no-untyped-def]
    html = resp.get_data(as_text=True)
    return PHONE in html or NAME in html


def _status(db_url: str) -> list[str]:
    return [r[0] for r in rows(db_url, "SELECT status FROM reveal_requests ORDER BY id")]


def _no_identity_in_notes(db_url: str) -> None:
    for (note,) in rows(db_url, "SELECT note FROM case_events WHERE note IS NOT NULL"):
        assert PHONE not in note and NAME not in note, note


def test_a_reason_needs_ten_characters_and_a_chinese_character_counts_as_one(app, case, db_url: str) -> None:  # type: ignore[no-untyped-def]
    office = login(app, "office1")
    for short in ("看", "电话回访核实办理结", "   电话  回访  核实  办理结   "):  # 1, 9, 9 after spaces collapse
        resp = _ask(office, case["pid"], short)
        assert "至少 10 个字" in resp.get_data(as_text=True) and not _shows_identity(resp)
    assert _status(db_url) == []
    assert rows(db_url, "SELECT count(*) FROM case_events WHERE action LIKE 'reveal%'") == [(0,)]
    asked = _ask(office, case["pid"], "电话回访核实办理结果")  # exactly ten
    assert "已提交查看申请" in asked.get_data(as_text=True) and not _shows_identity(asked)
    assert _status(db_url) == ["pending"]
    # A phone number typed into the reason is masked before it is stored or audited.
    office2 = login(app, "office2")
    _ask(office2, case["pid"], f"市民来电{PHONE}要求回访，需核实身份")
    assert rows(db_url, "SELECT reason FROM reveal_requests ORDER BY id DESC LIMIT 1") == [
        ("市民来电137****5678要求回访，需核实身份",)
    ]
    _no_identity_in_notes(db_url)


def test_only_another_office_account_can_approve_and_then_the_requester_sees_it(app, case, db_url: str) -> None:  # type: ignore[no-untyped-def]
    office1, office2 = login(app, "office1"), login(app, "office2")
    pid = case["pid"]
    _ask(office1, pid)
    rid = _request_id(db_url)
    # Asking is not seeing: not on the case page, not by posting the view URL directly.
    page = office1.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert "等待另一位治庸办人员审批" in page and PHONE not in page
    assert not _shows_identity(_view(office1, pid, rid))
    # The requester's own approval is refused; the list offers them no button for it.
    own = office1.post(f"/console/reveals/{rid}/approve", follow_redirects=True)
    assert "不能审批自己的申请" in own.get_data(as_text=True) and _status(db_url) == ["pending"]
    assert f"/console/reveals/{rid}/approve" not in office1.get("/console/reveals").get_data(as_text=True)
    listing = office2.get("/console/reveals").get_data(as_text=True)
    assert case["number"] in listing and REASON in listing and f"/console/reveals/{rid}/approve" in listing
    assert PHONE not in listing and NAME not in listing
    office2.post(f"/console/reveals/{rid}/approve")
    assert _status(db_url) == ["approved"]
    assert not _shows_identity(_view(office2, pid, rid))  # the approver does not see it either
    shown = _view(office1, pid, rid)
    assert shown.status_code == 200 and PHONE in shown.get_data(as_text=True) and NAME in shown.get_data(as_text=True)
    assert shown.headers["Cache-Control"] == "no-store"
    assert rows(db_url, "SELECT action, actor FROM case_events WHERE action LIKE 'reveal%' ORDER BY seq") == [
        ("reveal_request", "staff:office1"),
        ("reveal_approve", "staff:office2"),
        ("reveal_view", "staff:office1"),
    ]
    assert rows(db_url, "SELECT action FROM staff_events WHERE action LIKE 'reveal%' ORDER BY id") == [
        ("reveal_request",), ("reveal_approve",), ("reveal_view",)]  # fmt: skip
    _no_identity_in_notes(db_url)
    # The case page never shows the identity itself; the timeline shows who asked, who approved and why.
    again = office1.get(f"/console/cases/{pid}").get_data(as_text=True)
    assert PHONE not in again and REASON in again and "批准查看身份" in again
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_a_declined_request_shows_nothing(app, case, db_url: str) -> None:  # type: ignore[no-untyped-def]
    office1, office2 = login(app, "office1"), login(app, "office2")
    _ask(office1, case["pid"])
    rid = _request_id(db_url)
    office2.post(f"/console/reveals/{rid}/decline", {"note": "理由不充分"})
    assert _status(db_url) == ["declined"]
    assert not _shows_identity(_view(office1, case["pid"], rid))
    late = office2.post(f"/console/reveals/{rid}/approve", follow_redirects=True)  # decided once
    assert "该申请已处理" in late.get_data(as_text=True) and _status(db_url) == ["declined"]
    assert rows(db_url, "SELECT count(*) FROM case_events WHERE action = 'reveal_view'") == [(0,)]
    assert rows(db_url, "SELECT note FROM case_events WHERE action = 'reveal_decline'")[0][0].endswith("理由不充分")


def test_an_approval_expires_after_thirty_minutes(app, case, clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    office1, office2 = login(app, "office1"), login(app, "office2")
    _ask(office1, case["pid"])
    rid = _request_id(db_url)
    office2.post(f"/console/reveals/{rid}/approve")
    clock.advance(minutes=29)
    assert _shows_identity(_view(office1, case["pid"], rid))
    clock.advance(minutes=2)
    expired = _view(office1, case["pid"], rid)
    assert not _shows_identity(expired) and "已过期" in expired.get_data(as_text=True)
    # The case page offers a new request again.
    assert "申请查看身份" in office1.get(f"/console/cases/{case['pid']}").get_data(as_text=True)
    assert rows(db_url, "SELECT count(*) FROM case_events WHERE action = 'reveal_view'") == [(1,)]


def test_supervisors_cannot_ask_list_or_decide(app, case, db_url: str) -> None:  # type: ignore[no-untyped-def]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    office1, li = login(app, "office1"), login(app, "li")
    _ask(office1, case["pid"])
    rid = _request_id(db_url)
    assert li.get("/console/reveals").status_code == 403
    assert li.post(f"/console/reveals/{rid}/approve").status_code == 403
    assert li.post(f"/console/cases/{case['pid']}/reveal", {"reason": REASON}).status_code == 403
    assert li.post(f"/console/cases/{case['pid']}/reveal/{rid}/view").status_code == 403
    assert _status(db_url) == ["pending"]


def test_the_cli_lists_approves_and_declines_but_never_for_the_requester(app, case, db_url: str) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    _ask(login(app, "office1"), case["pid"])
    rid = _request_id(db_url)
    listed = runner.invoke(args=["reveal", "list"])
    assert listed.exit_code == 0 and case["number"] in listed.output and REASON in listed.output
    assert PHONE not in listed.output and NAME not in listed.output
    own = runner.invoke(args=["reveal", "approve", str(rid), "--as", "office1"])
    assert own.exit_code != 0 and "不能审批自己的申请" in own.output and _status(db_url) == ["pending"]
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    for who in ("li", "nobody"):
        refused = runner.invoke(args=["reveal", "approve", str(rid), "--as", who])
        assert refused.exit_code != 0 and "不是可用的治庸办账号" in refused.output
    ok = runner.invoke(args=["reveal", "approve", str(rid), "--as", "office2"])
    assert ok.exit_code == 0, ok.output
    assert _status(db_url) == ["approved"]
    assert _shows_identity(_view(login(app, "office1"), case["pid"], rid))
    _ask(login(app, "office2"), case["pid"])
    second = _request_id(db_url)
    assert runner.invoke(args=["reveal", "decline", str(second), "--as", "office1", "--note", "不必要"]).exit_code == 0
    assert _status(db_url) == ["approved", "declined"]
    assert runner.invoke(args=["reveal", "decline", str(second), "--as", "office1"]).exit_code != 0
    assert rows(db_url, "SELECT action, actor FROM case_events WHERE action IN ('reveal_approve', 'reveal_decline') "
                        "ORDER BY seq") == [("reveal_approve", "staff:office2"), ("reveal_decline", "staff:office1")]  # fmt: skip


def test_an_office_account_of_the_accused_unit_can_neither_see_nor_approve_a_request(app, case, db_url: str) -> None:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    with rt.db.transaction() as s:
        staff_repo.add(session=s, username="insider", display_name="内鬼", password_hash=hash_password(PASSWORD),
                       role="office", units=["zyb"], member_of="bdc", supervisor_id=None, now=rt.now())  # fmt: skip
    _ask(login(app, "office1"), case["pid"])
    rid = _request_id(db_url)
    insider = login(app, "insider")
    assert case["number"] not in insider.get("/console/reveals").get_data(as_text=True)
    refused = insider.post(f"/console/reveals/{rid}/approve", follow_redirects=True)
    assert "没有这条查看申请" in refused.get_data(as_text=True)
    cli = app.test_cli_runner().invoke(args=["reveal", "approve", str(rid), "--as", "insider"])
    assert cli.exit_code != 0 and _status(db_url) == ["pending"]
    # Approved by someone else, the reveal is in the office's digest, but not in the insider's copy of it.
    assert app.test_cli_runner().invoke(args=["reveal", "approve", str(rid), "--as", "office2"]).exit_code == 0
    assert "查看反映人身份 1 次" in login(app, "office2").get("/console/digest/2026-W48").get_data(as_text=True)
    week = insider.get("/console/digest/2026-W48").get_data(as_text=True)
    assert "查看反映人身份 0 次" in week and case["number"] not in week and "市不动产登记中心" not in week


def test_the_weekly_digest_lists_the_weeks_reveals_for_the_office_only(app, case, db_url: str) -> None:  # type: ignore[no-untyped-def]
    office1, office2 = login(app, "office1"), login(app, "office2")
    _ask(office1, case["pid"])
    office2.post(f"/console/reveals/{_request_id(db_url)}/approve")
    _ask(office2, case["pid"], "另一位同事也想核实一下情况")
    office1.post(f"/console/reveals/{_request_id(db_url)}/decline")
    runner = app.test_cli_runner()
    paper = runner.invoke(args=["digest", "--week", "2026-W48", "--dry-run"])
    assert paper.exit_code == 0, paper.output
    assert "查看反映人身份 1 次" in paper.output
    assert f"{case['number']}：申请人 office1（office1），批准人 office2（office2），理由：{REASON}" in paper.output
    assert "另一位同事也想核实一下情况" not in paper.output  # declined: nothing was revealed
    assert PHONE not in paper.output and NAME not in paper.output
    assert "查看反映人身份" not in runner.invoke(args=["digest", "--week", "2026-W48", "--dry-run",
                                                       "--for", "sup_bdc"]).output  # fmt: skip
    page = office2.get("/console/digest/2026-W48").get_data(as_text=True)
    assert "查看反映人身份 1 次" in page and REASON in page and PHONE not in page
    quiet = runner.invoke(args=["digest", "--week", "2026-W47", "--dry-run"])
    assert "查看反映人身份 0 次（双人审批）：无" in quiet.output
