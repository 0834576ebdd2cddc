"""Time-driven work with a fixed clock: deadlines on the working calendar, the ladder, the weekly digest."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import pytest

from bot.runtime import runtime
from bot.service import jobs
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.conftest import base_environ
from tests.integration.test_cases_flow import bind
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_cases_flow import rows

ROOT = Path(__file__).resolve().parents[2]


def bj(text: str) -> datetime:
    """A Beijing wall-clock time as an aware UTC datetime."""
    from zoneinfo import ZoneInfo

    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


def run(app, at: str) -> dict[str, jobs.JobResult]:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    rt.clock = lambda: bj(at)
    return {r.job: r for r in jobs.run_due(rt, bj(at))}


def test_new_years_eve_case_is_due_after_the_holiday_and_nobody_is_reminded_on_it(
    app, wechat: WeChat, clock: Clock, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-12-31T16:00")
    number = file_complaint(wechat, "今天下午在社保局办退休手续，窗口的人一直玩手机不理我")
    (sign_due,) = rows(db_url, f"SELECT sign_due FROM cases WHERE number = '{number}'")[0]
    assert str(sign_due).startswith("2027-01-04 09:30")  # 17:30 Beijing on Monday 4 January, stored in UTC
    reminders = "SELECT count(*) FROM outbox WHERE purpose <> 'weekly_digest'"
    before = rows(db_url, reminders)[0][0]
    for moment in ("2027-01-01T10:00", "2027-01-02T10:00", "2027-01-03T15:00", "2027-01-04T17:29"):
        assert run(app, moment)["reminders"].summary in ("outside working hours", "0 cases checked, 0 rungs fired")
    assert rows(db_url, "SELECT count(*) FROM reminder_steps")[0][0] == 0
    assert rows(db_url, reminders)[0][0] == before


def test_each_ladder_step_fires_once_even_when_run_twice(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")  # a Monday
    number = file_complaint(wechat, "今天上午在不动产登记中心办过户，窗口工作人员态度很差还骂人")
    (answer_due,) = rows(db_url, f"SELECT answer_due FROM cases WHERE number = '{number}'")[0]
    assert str(answer_due).startswith("2026-11-30 09:30")  # 5 working days: Monday 30 November 17:30
    moments = {
        "2026-11-24T17:35": set(),  # outside hours
        "2026-11-25T09:00": {"sign_urge"},  # signing was due Tuesday 17:30
        "2026-11-27T15:59": {"sign_urge"},  # 80 % of 52.5 working hours is Friday 16:00
        "2026-11-27T16:00": {"sign_urge", "answer_remind"},
        "2026-11-30T17:29": {"sign_urge", "answer_remind"},
        # Due at close of business; the 催办 goes out when the office opens again.
        "2026-12-01T08:30": {"sign_urge", "answer_remind", "answer_urge"},
        "2026-12-02T17:00": {"sign_urge", "answer_remind", "answer_urge"},
        "2026-12-03T08:30": {"sign_urge", "answer_remind", "answer_urge", "answer_supervise"},
    }
    for moment, expected in moments.items():
        run(app, moment)
        # The same moment again: the ledger skips it, and calling the sweep directly fires nothing new.
        assert run(app, moment)["reminders"].ran is False
        jobs.sweep_reminders(runtime(app), bj(moment))
        assert {r[0] for r in rows(db_url, "SELECT step FROM reminder_steps")} == expected
        assert rows(db_url, "SELECT count(*) FROM reminder_steps")[0][0] == len(expected)
    assert rows(db_url, f"SELECT state, overdue FROM cases WHERE number = '{number}'") == [("escalated", True)]
    urged = {r[0] for r in rows(db_url, "SELECT recipient FROM outbox WHERE purpose = 'case_answer_urge'")}
    assert urged == {"sup_bdc", "head_bdc"}  # the handler and the unit's head
    supervised = {r[0] for r in rows(db_url, "SELECT recipient FROM outbox WHERE purpose = 'case_answer_supervise'")}
    assert "sup_triage" in supervised  # the campaign office


def test_signing_stops_the_sign_reminder(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-23T10:00")
    number = file_complaint(wechat, "今天上午在不动产登记中心办过户，窗口工作人员态度很差还骂人")
    bind(app, wechat, "sup_bdc", "o_sup")
    wechat.text(f"签收 {number}", "o_sup")
    run(app, "2026-11-25T09:00")
    assert rows(db_url, "SELECT count(*) FROM reminder_steps")[0][0] == 0


def test_digest_goes_once_per_week_and_catches_up_once(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    clock.now = bj("2026-11-24T10:00")
    file_complaint(wechat)
    assert run(app, "2026-11-30T08:59")["digest"].summary.startswith("digest 2026-W47")  # first ever: last period
    assert "2026-W48" in run(app, "2026-11-30T09:00")["digest"].summary
    assert "already sent" in run(app, "2026-11-30T11:00")["digest"].summary
    # Down for three weeks: one digest on restart covering all of them.
    summary = run(app, "2026-12-21T11:00")["digest"].summary
    assert summary.startswith("digest 2026-W51 covering 3 week(s)")
    assert [r[0] for r in rows(db_url, "SELECT period FROM job_runs WHERE job = 'digest' ORDER BY id")] == [
        "2026-W47",
        "2026-W48",
        "2026-W51",
    ]
    notices = rows(db_url, "SELECT recipient, payload FROM outbox WHERE purpose = 'weekly_digest'")
    supervisors = len(runtime(app).settings.city.supervisors)
    assert len(notices) == 3 * supervisors
    assert all("不动产" not in str(p) for _, p in notices)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "flask"), "--app", "bot", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("tz", ["UTC", "America/New_York"])
def test_digest_time_is_beijing_whatever_the_hosts_zone(sqlite_url: str, tz: str) -> None:
    env = {**os.environ, **base_environ(sqlite_url), "TZ": tz}
    early = _cli(env, "jobs", "run", "--job", "digest", "--at", "2026-11-30T00:59:00+00:00")
    assert early.returncode == 0, early.stderr
    assert "digest 2026-W47" in early.stdout  # 08:59 in Beijing: the W48 digest is not due yet
    on_time = _cli(env, "jobs", "run", "--job", "digest", "--at", "2026-11-30T01:00:00+00:00")
    assert "digest 2026-W48" in on_time.stdout, on_time.stdout + on_time.stderr


def test_two_scheduler_processes_send_one_digest(any_db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, **base_environ(any_db_url), "PYTHONUNBUFFERED": "1"}
    finished = "SELECT count(*) FROM job_runs WHERE job = 'digest' AND finished_at IS NOT NULL"
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context((tmp_path / f"s{i}.log").open("w")) for i in range(2)]
        procs = [
            subprocess.Popen(
                [str(Path(sys.executable).parent / "flask"), "--app", "bot", "scheduler"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )  # fmt: skip
            for log in logs
        ]
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and rows(any_db_url, finished) == [(0,)]:
                time.sleep(0.5)
            time.sleep(2)  # give the second scheduler its chance to (wrongly) send again
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=20)
    assert rows(any_db_url, "SELECT count(*) FROM job_runs WHERE job = 'digest'") == [(1,)]
    counts = rows(any_db_url, "SELECT count(DISTINCT recipient), count(*) FROM outbox WHERE purpose = 'weekly_digest'")
    assert counts[0][0] == counts[0][1] > 0
