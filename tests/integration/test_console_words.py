"""The console speaks Chinese: the timeline names every step (the ladder's and the watch's included), notes with
codes in them read as words, the admin's access log and account list show no code, and time past a deadline
reads 签收已超时 / 已超期 N 个工作日 — never 剩 -0.0 个工作日."""

from __future__ import annotations

import re

from bot.runtime import runtime
from handlers import labels
from handlers.ladder import STEP_LABELS
from handlers.lifecycle import ACTION_LABELS
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_time import bj
from tests.integration.test_time import run

TWIN = "昨天上午我去不动产登记中心办房产证，3号窗口的工作人员态度特别差，对我大吼大叫，还让我跑了三趟"


def test_every_audit_and_access_code_has_words() -> None:
    for code in [*ACTION_LABELS, *STEP_LABELS, "relate", "anonymise", "finding", "accountability", "finding_confirm",
                 "finding_return", "bulletin_draft", "bulletin_approve", "bulletin_withdraw", "verification",
                 "verification_confirm", "verification_return", "appeal", "appeal_upheld", "appeal_rejected",
                 "inspection_case"]:  # fmt: skip
        assert labels.event_label(code) != labels.UNKNOWN, code
    assert labels.staff_event_label("view_evidence") == "查看证据材料"
    assert labels.staff_event_label("act:reclassify") == "办理：改分类"
    assert labels.staff_event_label("something_new") == "其他操作"
    assert labels.event_note("reclassify", "类别 corruption → abuse", {"corruption": "吃拿卡要", "abuse": "乱作为"}.get
                             ) == "类别：吃拿卡要 → 乱作为"  # type: ignore[arg-type]  # fmt: skip
    assert labels.event_note("relate", "ZY2611270001 0.53", str) == "与工单 ZY2611270001 内容相似（相似度 53%）"


def test_timeline_admin_page_and_time_left_speak_chinese(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    first = file_complaint(wechat, TWIN + "，电话13912345678", openid="o_words_1")
    second = file_complaint(wechat, TWIN + "，我是另一个人", openid="o_words_2")
    create_staff(app, "office1", "office")
    create_staff(app, "admin1", "admin")
    office = login(app, "office1")
    pid = public_id(db_url, second)
    office.post(f"/console/cases/{pid}/actions/reclassify", {"category": "abuse"})
    # Monday 20:00: the sign-for deadline (Monday 17:30) has passed, with no working time in between.
    clock.now = bj("2026-11-30T20:00")
    office = login(app, "office1")
    queue = office.get("/console/cases").get_data(as_text=True)
    # A late sign-for is not 超期 (handlers.overdue: only the answer deadline is); the evening after a 17:30
    # deadline is already its first working day past.
    assert (
        "签收已超时 1 个工作日" in queue
        and not re.search(r"已超期 [\d.]+ 个工作日", queue)
        and "-0.0" not in queue
        and "剩 -" not in queue
    )
    run(app, "2026-12-01T09:00")  # the ladder's rungs: 签收超时催办 on both cases
    runtime(app).clock = clock
    clock.now = bj("2026-12-01T09:30")
    office = login(app, "office1")
    page = office.get(f"/console/cases/{pid}").get_data(as_text=True)
    timeline = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    for words in ("受理", "派单", "关联相似工单", f"与工单 {first} 内容相似", "改分类", "类别：脸难看 → 乱作为",
                  "签收超时催办"):  # fmt: skip
        assert words in timeline, words
    for code in ("relate", "reclassify", "attitude", "abuse", "sign_urge", "route"):
        assert not re.search(rf">\s*{code}\s*<|\b{code}\b", re.sub(r"<[^>]+>", " ", timeline)), code
    assert "签收已超时" in page and "剩 -" not in page

    admin = login(app, "admin1").get("/console/admin/staff").get_data(as_text=True)
    log = admin.split("最近访问记录")[1]
    for words in ("查看工单", "办理：改分类", "登录"):
        assert words in log, words
    for code in ("view_case", "act:", "reclassify", "login<"):
        assert code not in log, code
    accounts = admin.split("最近访问记录")[0]
    assert "市治庸问责办公室" in accounts and "<td>zyb</td>" not in accounts
