"""`flask --app bot demo seed`: a few weeks of genuine cases in every state, idempotent, chains intact.

The seed drives casework and the scheduler's sweeps with a moving clock; these tests read what it left behind
with plain SQL, and then play the tour's first report through the real webhook.
"""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from bot.dev import demo
from bot.dev import demo_accounts
from bot.runtime import runtime
from handlers.lifecycle import STATES
from storage import reveals as reveals_repo
from tests.conftest import WeChat
from tests.conftest import make_settings
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_cases_flow import rows

# casework never leaves a case resting in these: submit always routes (or sends to triage), a reply always asks
# for the rating at once, and a returned case goes straight back to the triage desk. They show in the audit trail.
TRANSIENT = {"submitted", "answered", "returned"}


@pytest.fixture
def seeded(app, db_url: str) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["demo", "seed", "--weeks", "4"])
    assert result.exit_code == 0, result.output
    assert "演示城市已生成" in result.output
    return str(result.output)


def test_every_state_is_there_and_every_chain_verifies(app, db_url: str, seeded: str) -> None:  # type: ignore[no-untyped-def]
    resting = {state for (state,) in rows(db_url, "SELECT DISTINCT state FROM cases")}
    assert resting == set(STATES) - TRANSIENT
    visited = {s for (s,) in rows(db_url, "SELECT DISTINCT to_state FROM case_events")}
    assert set(STATES) <= visited
    (total,) = rows(db_url, "SELECT count(*) FROM cases")[0]
    assert 40 <= total <= 200
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and f"checked {total} cases, 0 broken" in result.output


def test_the_demo_city_looks_like_a_city(db_url: str, seeded: str) -> None:
    units = {u for (u,) in rows(db_url, "SELECT DISTINCT respondent_unit FROM cases WHERE respondent_unit IS NOT NULL")}
    categories = {c for (c,) in rows(db_url, "SELECT DISTINCT category FROM cases")}
    assert len(units) >= 12 and len(categories) >= 7
    # The ladder ran: overdue cases escalated by the system (督办), at least one still open.
    assert rows(db_url, "SELECT count(*) FROM cases WHERE overdue")[0][0] >= 1
    assert rows(db_url, "SELECT count(*) FROM case_events WHERE action = 'escalate' AND actor = 'system'")[0][0] >= 1
    # Ratings of both kinds, and a reopened case; corruption reports also went to the discipline commission.
    assert {
        r for (r,) in rows(db_url, "SELECT DISTINCT rating_conduct FROM cases WHERE rating_conduct IS NOT NULL")
    } >= {"A", "C"}
    assert (
        rows(db_url, "SELECT count(*) FROM assignments WHERE supervisor_id = 'sup_jw'")[0][0] >= 1
    )  # 纪委 leads bribe cases
    # The hot spot at 不动产 window 3 alerted the campaign office; its fourth report was merged.
    assert rows(db_url, "SELECT count(*) FROM outbox WHERE purpose = 'hot_spot'")[0][0] >= 1
    assert rows(db_url, "SELECT count(*) FROM cases WHERE state = 'merged' AND duplicate_of IS NOT NULL") == [(1,)]
    # Real-name reporters have a restricted contact row; the past's notices count as delivered back then.
    assert rows(db_url, "SELECT count(*) FROM reporter_contacts")[0][0] >= 1
    assert rows(db_url, "SELECT count(*) FROM outbox WHERE status != 'sent'") == [(0,)]
    assert rows(db_url, "SELECT count(*) FROM outbox WHERE sent_at IS NULL") == [(0,)]


def test_the_demo_people_are_ready_to_play(app, db_url: str, seeded: str) -> None:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    bound = dict(rows(db_url, "SELECT supervisor_id, openid FROM supervisor_bindings WHERE openid IS NOT NULL"))
    assert bound["sup_bdc"] == "o_demo_sup_bdc" and bound["sup_triage"] == "o_demo_sup_triage"
    assert len(bound) == len(rt.settings.city.supervisors)

    def states(openid: str) -> set[str]:
        return {s for (s,) in rows(db_url, f"SELECT state FROM cases WHERE pseudonym = '{rt.pseudonymize(openid)}'")}

    assert states("o_demo_1") == {"closed"}  # a clean start for the tour's first report
    assert "in_progress" in states("o_demo_2")  # a supervisor's question waits for an answer
    assert "rating" in states("o_demo_3")  # an answer waits for a rating
    assert "sup_bdc" in seeded and "o_demo_1" in seeded
    # Console logins, made by the console's own account rules, with the password the seed prints.
    accounts = {u: (role, h) for u, role, h in rows(db_url, "SELECT username, role, password_hash FROM staff_accounts")}
    assert accounts["sup_bdc"][0] == "supervisor" and accounts["sup_triage"][0] == "office"
    assert accounts["head_bdc"][0] == "unit_head" and accounts["admin"][0] == "admin"
    # 好差评 and 明查暗访 to show: window ratings, a 差评 being put right, an appeal waiting, the 暗访员's visit.
    assert accounts["inspector"][0] == "inspector"
    assert rows(db_url, "SELECT count(*) FROM window_ratings")[0][0] >= 20
    assert rows(db_url, "SELECT count(*) FROM cases WHERE kind = 'review'") == [(1,)]
    assert rows(db_url, "SELECT status FROM rating_appeals") == [("pending",)]
    assert rows(db_url, "SELECT unit, case_id FROM inspections") == [("gjj", None)]
    assert rows(db_url, "SELECT count(*) FROM inspection_photos") == [(1,)]
    assert (
        check_password_hash(accounts["sup_bdc"][1], demo_accounts.DEMO_PASSWORD)
        and demo_accounts.DEMO_PASSWORD in seeded
    )


def test_the_tours_first_report_goes_to_the_demo_supervisor(app, wechat: WeChat, db_url: str, seeded: str) -> None:  # type: ignore[no-untyped-def]
    number = file_complaint(wechat, openid="o_demo_1")
    assignees = rows(db_url, f"SELECT a.supervisor_id FROM assignments a JOIN cases c ON c.id = a.case_id "
                             f"WHERE c.number = '{number}' AND a.active")  # fmt: skip
    assert assignees == [("sup_bdc",)]
    # The demo supervisor is bound, so the simulator can play 签收 at once.
    assert "已签收" in (wechat.text(f"签收 {number}", "o_demo_sup_bdc") or "")


def test_seeding_twice_keeps_the_data_and_force_seeds_again(app, db_url: str, seeded: str) -> None:  # type: ignore[no-untyped-def]
    before = rows(db_url, "SELECT number, state FROM cases ORDER BY id")
    again = app.test_cli_runner().invoke(args=["demo", "seed", "--weeks", "4"])
    assert again.exit_code == 0 and "跳过" in again.output
    assert rows(db_url, "SELECT number, state FROM cases ORDER BY id") == before

    # A 查看身份 request hanging off a demo case goes with it.
    [(case_id,)] = rows(db_url, "SELECT id FROM cases ORDER BY id LIMIT 1")
    [(staff_id,)] = rows(db_url, "SELECT id FROM staff_accounts WHERE username = 'sup_triage'")
    rt = runtime(app)
    with rt.db.transaction() as s:
        reveals_repo.add(
            session=s, case_id=case_id, requested_by=staff_id, reason="演示：回访核实办理结果", now=rt.now()
        )
    forced = app.test_cli_runner().invoke(args=["demo", "seed", "--weeks", "4", "--force"])
    assert forced.exit_code == 0, forced.output
    assert f"已先删除旧的演示工单 {len(before)} 件" in forced.output
    after = rows(db_url, "SELECT number FROM cases")
    assert len(after) == len(before) and not set(after) & {(n,) for n, _ in before}
    verify = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and "0 broken" in verify.output
    assert rows(db_url, "SELECT count(*) FROM reveal_requests") == [(0,)]
    # The demo's ratings, appeal and visit were replaced, not doubled.
    assert rows(db_url, "SELECT count(*) FROM rating_appeals") == [(1,)]
    assert rows(db_url, "SELECT count(*) FROM inspections") == [(1,)]


def test_a_half_finished_seed_is_cleaned_up_and_redone(app, db_url: str) -> None:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    original = demo._Seeder.run

    def crash(self: demo._Seeder) -> None:
        self.plans = self.plans[:5]
        original(self)
        raise RuntimeError("killed half-way")

    demo._Seeder.run = crash  # type: ignore[method-assign]
    try:
        with pytest.raises(RuntimeError):
            demo.seed(rt, weeks=2)
    finally:
        demo._Seeder.run = original  # type: ignore[method-assign]
    assert demo.seed_state(rt) == "partial"
    report = demo.seed(rt, weeks=2)
    assert report.seeded and report.removed >= 1
    assert rows(db_url, "SELECT count(*) FROM cases")[0][0] == report.cases


def test_the_demo_is_refused_in_production(db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    from bot import create_app

    app = create_app(make_settings(db_url, ZHIYONG_ENV="production"), clock=clock)
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    runtime(app).db.dispose()
    assert result.exit_code != 0 and "production" in result.output
    assert rows(db_url, "SELECT count(*) FROM cases") == [(0,)]
