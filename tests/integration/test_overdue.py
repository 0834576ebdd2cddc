"""One 超期 everywhere: a case is overdue when it still awaits an answer past its answer deadline, counted in
working days. The queue filter, the dashboard, the digest, the ledger, the supervisors' notice counts, the ladder's
record and the console's words all say the same about the same cases; a late sign-for and an answer given are not
超期, and nobody reads “剩 -0.0 个工作日” any more.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from bot.runtime import runtime
from bot.service import digest as digest_mod
from handlers import digest as figures
from handlers.lifecycle import AWAITING_ANSWER
from handlers.lifecycle import STATES
from handlers.overdue import is_overdue
from handlers.overdue import overdue_working_days
from storage.models import Case
from storage.overdue import overdue_clause
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.console_helpers import GAJ_TEXT
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_time import bj
from tests.integration.test_time import run

LATE = "今天上午在不动产登记中心办过户，3号窗口工作人员态度很差还骂人"
SLOW_SIGN = "今天上午在不动产登记中心办抵押登记，窗口工作人员爱答不理，还摔材料"


def _story(app, wechat: WeChat, clock: Clock) -> dict[str, str]:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")  # Monday: answer due Monday 30 November 17:30
    late = file_complaint(wechat, LATE, openid="o_od_1")
    answered = file_complaint(wechat, GAJ_TEXT, openid="o_od_2")
    bind(app, wechat, "sup_gaj", "o_od_sup_gaj")
    wechat.text(f"签收 {answered}", "o_od_sup_gaj")
    wechat.text(f"回复 {answered} 已核实并批评教育当事民警", "o_od_sup_gaj")
    clock.now = bj("2026-11-26T10:00")  # Thursday: signing due Friday, answering Thursday 3 December
    slow = file_complaint(wechat, SLOW_SIGN, openid="o_od_3")
    return {"late": late, "answered": answered, "slow": slow}


def test_one_overdue_everywhere(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    cases = _story(app, wechat, clock)
    late = cases["late"]

    # The evening after the deadline: already the first working day over, never "剩 -0.0".
    clock.now = bj("2026-11-30T20:00")
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    page = office.get(f"/console/cases/{public_id(db_url, late)}").get_data(as_text=True)
    assert "已超期 1 个工作日" in page and "剩 -" not in page and 'class="tag late">超期' in page

    # The ladder runs at Tuesday's opening; on Wednesday morning the case is two working days over.
    run(app, "2026-12-01T08:30")
    rt = runtime(app)
    rt.clock = clock  # `run` pinned the app's clock to its moment
    clock.now = now = bj("2026-12-02T10:00")

    # The rule in Python and in SQL: the same cases.
    with rt.db.transaction() as s:
        every = list(s.scalars(sa.select(Case)))
        due = next(c.answer_due for c in every if c.number == late)
        assert due is not None and overdue_working_days(due, now, rt.calendar) == 2
        in_python = {c.number for c in every if is_overdue(c.state, c.answer_due, now)}
        in_sql = set(s.scalars(sa.select(Case.number).where(overdue_clause(now=now, awaiting_states=AWAITING_ANSWER))))
        d = digest_mod.build(rt, s, start=bj("2026-11-30T00:00"), end=now, as_of=now, week="2026-W49")
    assert in_python == in_sql == {late}
    # The ladder recorded it (at the deadline's 催办, not two days later at the 督办).
    assert {n for (n,) in rows(db_url, "SELECT number FROM cases WHERE overdue")} == {late}

    # The queue's filter, and its words: a late sign-for is 签收已超时, not 超期.
    office = login(app, "office1")  # a new day, a new sign-in
    listed = office.get("/console/cases?state=open&overdue=1").get_data(as_text=True)
    assert late in listed and cases["slow"] not in listed and cases["answered"] not in listed
    queue = office.get("/console/cases?state=all").get_data(as_text=True)
    assert "已超期 2 个工作日" in queue and "签收已超时" in queue and "剩 -" not in queue
    assert len(re.findall(r'class="tag late">超期', queue)) == 1

    # The dashboard and the digest.
    dash = office.get("/console/dashboard?weeks=4").get_data(as_text=True)
    assert re.search(r"<span>超期在办</span><b>1</b>", dash)
    assert d.overdue == [late] and sum(s.overdue for s in d.units.values()) == 1 and d.units["bdc"].overdue == 1
    assert f"超期工单 1 件：{late}" in figures.render(d, rt.settings.city)

    # The ledger: the case sheet and the unit summary.
    xlsx = office.get("/console/ledger.xlsx?from=2026-11-01&to=2026-12-02")
    wb = load_workbook(io.BytesIO(xlsx.data))
    sheet, summary = wb["工单台帐"], wb["单位汇总"]
    header = [c.value for c in sheet[3]]
    flags = {
        row[header.index("工单号")]: row[header.index("是否超期")]
        for row in sheet.iter_rows(min_row=4, values_only=True)
    }
    assert flags == {late: "是", cases["answered"]: "否", cases["slow"]: "否"}
    overdue_by_unit = {row[1]: row[-1] for row in summary.iter_rows(min_row=4, values_only=True)}
    assert overdue_by_unit["市不动产登记中心"] == 1 and sum(overdue_by_unit.values()) == 1

    # The supervisor's notice counts the same: the handler of the late case hears of one overdue case.
    bind(app, wechat, "sup_bdc", "o_od_sup_bdc")
    wechat.text(f"签收 {late}", "o_od_sup_bdc")  # the citizen is told; a new notice counts again below
    office.post(f"/console/cases/{public_id(db_url, late)}/actions/escalate", {"note": "请今天答复市民"})
    (payload,) = rows(db_url, "SELECT payload FROM outbox WHERE purpose = 'case_escalate'")[0]
    body = json.loads(payload) if isinstance(payload, str) else payload
    assert body["template"]["count_overdue"] == 1 and "1 件超期" in body["text"]

    # The operator's JSON says so too.
    shown = json.loads(app.test_cli_runner().invoke(args=["case", "show", late, "--json"]).stdout)
    assert shown["overdue"] is True and shown["overdue_working_days"] == 2
    assert STATES[shown["state"]] == "督办"


@pytest.mark.parametrize(
    ("due_offset_hours", "state", "expected"),
    [(-1, "signed", True), (1, "signed", False), (-1, "rating", False), (-1, "closed", False),
     (-1, "escalated", True), (-1, "reopened", True), (-1, "triage", False), (None, "signed", False)],
)  # fmt: skip
def test_python_and_sql_agree_on_every_state(app, due_offset_hours: int | None, state: str, expected: bool) -> None:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    now = bj("2026-12-02T10:00")
    due = None if due_offset_hours is None else now + timedelta(hours=due_offset_hours)
    assert is_overdue(state, due, now) is expected
    with rt.db.transaction() as s:
        case = Case(number="ZY2612020001", public_id="x" * 32, pseudonym="p", state=state, category="attitude",
                    text="t", unit_source="named", classification={}, created_at=now, updated_at=now, answer_due=due)  # fmt: skip
        s.add(case)
        s.flush()
        found = s.scalar(sa.select(sa.func.count()).where(Case.id == case.id,
                                                          overdue_clause(now=now, awaiting_states=AWAITING_ANSWER)))  # fmt: skip
    assert bool(found) is expected
