"""公开通报, as a story: the office drafts a 通报 of a typical case — staff names reduced to their post, no reporter
data, numbers masked — nobody sees it in public until a SECOND office account approves it; then it is on
`/public/` (no sign-in) and in the Atom feed; withdrawing it is audited and takes it off."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.conftest import WeChat
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import COMPLAINT
from tests.integration.test_cases_flow import bind

ATOM = "{http://www.w3.org/2005/Atom}"
SUP = "o_bulletin_sup"
REPORTER, REPORTER_PHONE = "王秀英", "13812345678"


def real_name_complaint(wechat: WeChat) -> str:
    replies = [wechat.text(t, "o_bulletin_citizen") for t in (COMPLAINT, "没有", "2", f"{REPORTER} {REPORTER_PHONE}",
                                                                "确认")]  # fmt: skip
    assert "工单号" in (replies[-1] or ""), replies
    return (replies[-1] or "").split("工单号：")[1][:12]


def feed_entries(client) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    resp = client.get("/public/feed.atom")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    root = ET.fromstring(resp.get_data())
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}title").text == "咸宁市治庸问责公开通报"  # type: ignore[union-attr]
    return [{"id": e.find(f"{ATOM}id").text, "title": e.find(f"{ATOM}title").text,  # type: ignore[union-attr]
             "content": e.find(f"{ATOM}content").text} for e in root.findall(f"{ATOM}entry")]  # type: ignore[union-attr]  # fmt: skip


def test_a_bulletin_is_drafted_approved_by_another_account_public_and_withdrawn(app, wechat: WeChat,
                                                                               db_url: str) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    number = real_name_complaint(wechat)
    bind(app, wechat, "sup_bdc", SUP)
    wechat.text(f"签收 {number}", SUP)
    wechat.text(f"回复 {number} 已核实，向您致歉", SUP)
    wechat.text(f"查实 {number} 属实 整改：对分管窗口的陈红梅约谈提醒，窗口人员调岗", SUP)
    wechat.text(f"问责 {number} 诫勉谈话 窗口负责人", SUP)
    create_staff(app, "office1", "office", "--name", "赵文静")
    create_staff(app, "office2", "office")
    office1, office2 = login(app, "office1"), login(app, "office2")
    public = app.test_client()  # nobody signed in
    assert public.get("/public/").status_code == 200 and feed_entries(public) == []

    pid = public_id(db_url, number)
    resp = office1.post(f"/console/cases/{pid}/bulletin", {"tone": "bad"})
    assert resp.status_code == 303
    bulletin = int(re.search(r"/console/bulletins/(\d+)", resp.headers["Location"]).group(1))  # type: ignore[union-attr]
    page = office1.get(f"/console/bulletins/{bulletin}").get_data(as_text=True)
    assert "关于市不动产登记中心" in page and "经核查，反映问题属实" in page
    assert "市不动产登记中心分管副主任约谈提醒" in page and "陈红梅" not in page  # an official's name → the post
    assert "诫勉谈话（窗口负责人）" in page
    # The office edits: whatever it writes is scrubbed again — staff names to posts, the reporter out, numbers masked.
    office1.post(f"/console/bulletins/{bulletin}/edit", {
        "title": "关于市不动产登记中心窗口服务态度问题的通报",
        "body": f"群众{REPORTER}（电话{REPORTER_PHONE}）反映，主任刘建国督促不力，李督办已跟进，赵文静复核。"
                "身份证420102199001011234的市民也曾反映。"})  # fmt: skip
    [(title, body, status)] = rows(db_url, "SELECT title, body, status FROM bulletins")
    assert status == "draft" and title == "关于市不动产登记中心窗口服务态度问题的通报"
    assert REPORTER not in body and REPORTER_PHONE not in body and "刘建国" not in body and "李督办" not in body
    assert "市不动产登记中心主任督促不力" in body and "督办人员已跟进" in body and "治庸办工作人员复核" in body
    assert "420***********1234" in body and "138****5678" not in body
    # Not public while a draft; and its author may not approve it.
    assert title not in public.get("/public/").get_data(as_text=True) and feed_entries(public) == []
    page = office1.post(f"/console/bulletins/{bulletin}/approve", follow_redirects=True).get_data(as_text=True)
    assert "不能审核发布自己起草或修改的通报" in page
    assert rows(db_url, "SELECT status FROM bulletins") == [("draft",)]
    assert login(app, "office1").get("/console/bulletins").status_code == 200
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    assert login(app, "li").get("/console/bulletins").status_code == 403
    assert login(app, "li").post(f"/console/bulletins/{bulletin}/approve").status_code == 403

    office2.post(f"/console/bulletins/{bulletin}/approve")
    [(public_key, status)] = rows(db_url, "SELECT public_id, status FROM bulletins")
    assert status == "approved"
    listing = public.get("/public/").get_data(as_text=True)
    assert title in listing and "反面典型" in listing and "各单位月度排名" in listing
    assert number not in listing and REPORTER not in listing and "o_bulletin" not in listing
    detail = public.get(f"/public/bulletins/{public_key}")
    assert detail.status_code == 200 and "市不动产登记中心主任督促不力" in detail.get_data(as_text=True)
    [entry] = feed_entries(public)
    assert entry["title"] == title and entry["id"].endswith(f"/public/bulletins/{public_key}")
    assert REPORTER_PHONE not in entry["content"] and number not in entry["content"]

    # Withdrawn: audited with its reason, and gone from the page, the feed and its address.
    assert "请写明撤回理由" in office1.post(f"/console/bulletins/{bulletin}/withdraw", {"reason": ""},
                                             follow_redirects=True).get_data(as_text=True)  # fmt: skip
    office1.post(f"/console/bulletins/{bulletin}/withdraw", {"reason": "当事人已申请复核，暂缓公开"})
    assert rows(db_url, "SELECT status, withdraw_reason FROM bulletins") == [
        ("withdrawn", "当事人已申请复核，暂缓公开")
    ]
    assert title not in public.get("/public/").get_data(as_text=True) and feed_entries(public) == []
    assert public.get(f"/public/bulletins/{public_key}").status_code == 404
    timeline = app.test_cli_runner().invoke(args=["case", "show", number, "--json"]).output
    for action in ("bulletin_draft", "bulletin_edit", "bulletin_approve", "bulletin_withdraw"):
        assert f'"action": "{action}"' in timeline, action
    logged = [a for (a,) in rows(db_url, "SELECT action FROM staff_events WHERE action LIKE 'bulletin_%' ORDER BY id")]
    assert logged == ["bulletin_draft", "bulletin_edit", "bulletin_approve", "bulletin_withdraw"]
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_a_good_example_is_drafted_from_a_satisfied_case(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = real_name_complaint(wechat)
    bind(app, wechat, "sup_bdc", SUP)
    wechat.text(f"签收 {number}", SUP)
    wechat.text(f"回复 {number} 已当场办结", SUP)
    wechat.text("1A", "o_bulletin_citizen")
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    office.post(f"/console/cases/{public_id(db_url, number)}/bulletin", {"tone": "good"})
    [(title, body, tone)] = rows(db_url, "SELECT title, body, tone FROM bulletins")
    assert tone == "good" and "典型事例" in title and "表示满意" in body and "通报表扬" in body
    assert office.post(f"/console/cases/{public_id(db_url, number)}/bulletin", {"tone": "x"}).status_code == 303
    assert rows(db_url, "SELECT count(*) FROM bulletins") == [(1,)]
    assert app.test_client().get("/public/feed.atom").get_data(as_text=True).count("<entry>") == 0
