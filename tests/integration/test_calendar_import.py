"""The calendar ahead: while the next 90 days rest on the `holidays` package's estimate of 2027 (no 调休), operators
are told where they look (/healthz details, the office's dashboard, the weekly digest). `calendar import FILE`
loads the State Council's schedule into the database for every process, refuses a bad file naming the line, and
recomputes the deadlines of open cases (extensions kept), each change an audit event.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot import create_app
from bot.runtime import runtime
from bot.service import digest as digest_mod
from handlers import digest as figures
from handlers.schedule import ScheduleError
from handlers.schedule import parse_schedule
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import public_id
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_time import bj

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "calendar-2027.example.csv"
TEXT = "今天上午在不动产登记中心办过户，3号窗口工作人员态度很差还骂人"


def _import(app, path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["calendar", "import", str(path), *extra])


def test_operators_are_told_while_the_next_90_days_are_an_estimate(app, clock: Clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-27T10:00")  # 90 days ahead reach February 2027: an estimated year
    create_staff(app, "office1", "office")
    office = login(app, "office1")
    health = office.get("/healthz").get_json()["calendar"]
    assert (
        health["status"] == "estimate"
        and health["estimated_years"] == [2027]
        and "calendar import" in health["message"]
    )
    assert "calendar" not in app.test_client().get("/healthz").get_json()  # details only for admin / office
    dash = office.get("/console/dashboard").get_data(as_text=True)
    assert "2027 年放假安排尚未导入国务院通知" in dash
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    assert "尚未导入国务院通知" not in login(app, "li").get("/console/dashboard").get_data(as_text=True)
    rt = runtime(app)
    with rt.db.transaction() as s:
        d = digest_mod.build(rt, s, start=bj("2026-11-16T00:00"), end=bj("2026-11-23T00:00"), as_of=clock.now,
                             week="2026-W47")  # fmt: skip
    assert "2027 年放假安排尚未导入国务院通知" in figures.render(d, rt.settings.city)
    digest = app.test_cli_runner().invoke(args=["digest", "--week", "2026-W47", "--dry-run"])
    assert "工作日历提醒" in digest.output

    # Far from the new year, nothing to say.
    clock.now = bj("2026-06-01T10:00")
    office = login(app, "office1")
    assert office.get("/healthz").get_json()["calendar"] == {
        "status": "ok", "days_ahead": 90, "estimated_years": [], "official_years": []}  # fmt: skip
    assert "工作日历提醒" not in office.get("/console/dashboard").get_data(as_text=True)

    # Once 2027 is imported, the warning goes.
    clock.now = bj("2026-11-27T10:00")
    assert _import(app, EXAMPLE).exit_code == 0
    office = login(app, "office1")
    assert office.get("/healthz").get_json()["calendar"]["status"] == "ok"
    assert "工作日历提醒" not in office.get("/console/dashboard").get_data(as_text=True)


def test_import_recomputes_open_deadlines_and_audits_each_change(
    app, wechat: WeChat, clock: Clock, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    # Filed on Wednesday 3 February 2027. The package's estimate: work resumes on Thursday 11 February, so 5
    # working days end on Tuesday 16 February; the example schedule has the break last to the 13th with Sunday
    # the 14th worked, so they end on Wednesday the 17th.
    clock.now = bj("2027-02-03T10:00")
    plain = file_complaint(wechat, TEXT, openid="o_cal_1")
    extended = file_complaint(wechat, "今天上午在不动产登记中心窗口办抵押，工作人员态度恶劣还摔材料", openid="o_cal_2")
    signed_elsewhere = file_complaint(wechat, "今天上午在不动产登记中心办查询，工作人员爱答不理", openid="o_cal_3")
    bind(app, wechat, "sup_bdc", "o_cal_sup")
    bind(app, wechat, "sup_bdc2", "o_cal_sup2")
    (ext_handler,) = rows(db_url, "SELECT a.supervisor_id FROM assignments a JOIN cases c ON c.id = a.case_id "
                                  "WHERE c.number = :n", n=extended)[0]  # fmt: skip
    sup_openid = "o_cal_sup" if ext_handler == "sup_bdc" else "o_cal_sup2"
    wechat.text(f"签收 {extended}", sup_openid)
    wechat.text(f"延期 {extended} 3 需要调取窗口监控", sup_openid)
    create_staff(app, "office1", "office")
    login(app, "office1").post(f"/console/cases/{public_id(db_url, extended)}/actions/approve_extension", {"days": ""})

    def dues() -> dict[str, tuple[str, str]]:
        return {
            n: (str(s)[:16], str(a)[:16]) for n, s, a in rows(db_url, "SELECT number, sign_due, answer_due FROM cases")
        }

    before = dues()
    assert before[plain] == ("2027-02-04 09:30", "2027-02-16 09:30")  # UTC: 17:30 Beijing
    assert before[extended][1] == "2027-02-19 09:30"  # + 3 working days: 17, 18, 19 February
    assert runtime(app).calendar.day_info(date(2027, 2, 14)).working is False

    result = _import(app, EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "calendar-2027.example.csv：2027 年，放假 27 天，调休上班 5 天" in result.output
    assert "3 件在办工单的时限已重新计算" in result.output
    after = dues()
    assert after[plain] == ("2027-02-04 09:30", "2027-02-17 09:30")
    assert after[extended][1] == "2027-02-20 09:30"  # the same 8 working days: Saturday the 20th is worked
    assert after[signed_elsewhere][1] == "2027-02-17 09:30"
    assert runtime(app).calendar.day_info(date(2027, 2, 14)).kind == "makeup"

    events = rows(db_url, "SELECT c.number, e.actor, e.note FROM case_events e JOIN cases c ON c.id = e.case_id "
                          "WHERE e.action = 'deadline_change' ORDER BY e.id")  # fmt: skip
    assert {n for n, _, _ in events} == {plain, extended, signed_elsewhere}
    note = dict((n, t) for n, _, t in events)[plain]
    assert note == "日历变更（导入 calendar-2027.example.csv）：答复时限 2027-02-16 17:30 → 2027-02-17 17:30"
    assert {a for _, a, _ in events} == {"system"}
    assert rows(db_url, "SELECT years, days, days_changed, cases_changed FROM calendar_imports") == [
        ("2027", 32, 32, 3)
    ]
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0

    # Importing the same file again changes nothing and moves nothing.
    again = _import(app, EXAMPLE)
    assert "与此前相比 0 天有变化；0 件在办工单" in again.output
    assert dues() == after


def test_every_process_sees_the_imported_schedule(app, settings, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    other = create_app(settings, clock=clock)  # another worker or the scheduler, on the same database
    try:
        assert not runtime(other).calendar.is_known(date(2027, 2, 14))
        assert _import(app, EXAMPLE).exit_code == 0
        assert not runtime(other).calendar.is_known(date(2027, 2, 14))  # not yet: it re-reads once a minute
        # A minute later, its next request (or its next job) reads the schedule first.
        monkeypatch.setattr("bot.runtime.CALENDAR_REFRESH_SECONDS", 0.0)
        other.test_client().get("/console/login")
        assert runtime(other).calendar.day_info(date(2027, 2, 14)).kind == "makeup"
        fresh = create_app(settings, clock=clock)
        try:
            assert runtime(fresh).calendar.is_working_day(date(2027, 2, 20))
        finally:
            runtime(fresh).db.dispose()
        shown = app.test_cli_runner().invoke(
            args=["calendar", "show", "2027-02"], env={"DATABASE_URL": settings.env.database_url}
        )
        assert "14班" in shown.output and "已导入国务院通知" in shown.output and shown.stderr == ""
    finally:
        runtime(other).db.dispose()


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("date,kind,name\n2027-02-30,holiday,春节\n", 2, "2027-02-30"),
        ("# 注释\n\ndate,kind,name\n2027-02-05,holiday,春节\n2027-02-05,holiday,春节\n", 5, "与第 4 行重复"),
        ("date,kind,name\n2027-02-10,workday,春节调休上班\n", 2, "本来就上班"),
        ("date,kind,name\n2027-02-14,上班吧,春节\n", 2, "holiday（放假）或 workday"),
        ("date,kind,name\n2027-02-14,workday\n", 2, "应有 3 列"),
        ("day,type,label\n2027-02-14,workday,x\n", 1, "表头"),
        ("date,kind,name\n2027-02-05,holiday,\n", 2, "名称"),
    ],
)
def test_a_bad_file_is_refused_naming_the_line(
    app, tmp_path: Path, db_url: str, body: str, line: int, words: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ScheduleError) as exc:
        parse_schedule(body)
    assert exc.value.line == line and words in str(exc.value)
    path = tmp_path / "bad.csv"
    path.write_text(body, encoding="utf-8")
    result = _import(app, path)
    assert result.exit_code != 0 and f"第 {line} 行" in result.output and words in result.output
    assert rows(db_url, "SELECT count(*) FROM calendar_days") == [(0,)]


def test_the_example_checks_and_an_empty_file_is_refused(app, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    text = EXAMPLE.read_text("utf-8")
    assert "示例" in text and "EXAMPLE ONLY" in text and "与正式通知核对" in text
    checked = _import(app, EXAMPLE, "--check")
    assert checked.exit_code == 0 and "仅校验" in checked.output
    assert rows(db_url, "SELECT count(*) FROM calendar_days") == [(0,)]
    empty = tmp_path / "empty.csv"
    empty.write_text("# nothing\n", encoding="utf-8")
    assert "文件是空的" in _import(app, empty).output
