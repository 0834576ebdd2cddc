"""The demo city's survey, as the README's tour runs it: an open 民意调查 with a few answers in; the tour's citizen
files a 不动产 report, `survey send` invites them inside WeChat's 48-hour window, they answer in the chat; a reseed
leaves exactly one demo survey."""

from __future__ import annotations

import json

from bot.dev import demo_surveys
from bot.runtime import runtime
from tests.conftest import WeChat
from tests.integration.test_cases_flow import file_complaint
from tests.integration.test_cases_flow import rows


def test_the_tour_runs_the_demo_survey(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "seed", "--weeks", "2"])
    assert seeded.exit_code == 0, seeded.output
    (survey,) = json.loads(runner.invoke(args=["survey", "list", "--json"]).stdout)
    assert survey["status"] == "open" and survey["title"] == "窗口单位民主评议（演示）" and survey["responses"] == 12
    assert f"flask --app bot survey send {survey['id']}" in seeded.output

    file_complaint(wechat, "昨天上午在不动产登记中心3号窗口办房产证，工作人员态度很差还吼我", "o_demo_1")
    sent = runner.invoke(args=["survey", "send", str(survey["id"])])
    assert sent.exit_code == 0, sent.output
    mine = rows(db_url, "SELECT unit, channel FROM survey_invitations WHERE pseudonym = '"
                + runtime(app).pseudonymize("o_demo_1") + "'")  # fmt: skip
    assert mine == [("bdc", "message")]  # 市民一 just wrote: a message, inside the 48-hour window
    assert "第1题" in (wechat.text("开始", "o_demo_1") or "")
    for answer in ("4", "3", "1"):
        wechat.text(answer, "o_demo_1")
    assert "问卷已提交" in (wechat.text("跳过", "o_demo_1") or "")
    results = json.loads(runner.invoke(args=["survey", "results", str(survey["id"]), "--json"]).stdout)
    assert sum(u["respondents"] for u in results["units"]) == 13

    again = runner.invoke(args=["demo", "seed", "--weeks", "2", "--force"])
    assert again.exit_code == 0, again.output
    assert rows(db_url, f"SELECT count(*) FROM surveys WHERE created_by = '{demo_surveys.DEMO_CREATOR}'") == [(1,)]
    assert rows(db_url, "SELECT count(*) FROM survey_responses") == [(12,)]
