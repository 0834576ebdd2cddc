"""The units' monthly standing (issue 16): a month's standing with its components and samples and a unit below the
minimum sample listed apart; survey scores when `bot.service.surveys` exists; the office approves a month before
`/public/` shows it, and later data never rewrites it; two months at the bottom → 约谈 in the Monday paper."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import pytest

from bot.runtime import runtime
from bot.service import ratings as ratings_service
from bot.service import surveys
from handlers.dialog.types import WindowRating
from tests.conftest import Clock
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import rows
from tests.integration.test_time import bj
from tests.integration.test_time import run


def rate(app, unit: str, levels: list[int], at: str, window: str = "1") -> None:  # type: ignore[no-untyped-def]
    """Window ratings as the dialog stores them, one citizen each, at `at` (Beijing time)."""
    rt = runtime(app)
    with rt.db.transaction() as s:
        for i, level in enumerate(levels):
            ratings_service.rate_window(s, rt, WindowRating(unit, window, level), f"p-{unit}-{at}-{i}", bj(at))


def min_sample(app, n: int) -> None:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    city = rt.settings.city
    ranking = city.ranking.model_copy(update={"min_sample": n})
    rt.settings = dataclasses.replace(rt.settings, city=city.model_copy(update={"ranking": ranking}))


def standing(app, month: str = "2026-11") -> dict:  # type: ignore[no-untyped-def,type-arg]
    result = app.test_cli_runner().invoke(args=["ranking", "--month", month, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def ranked(doc: dict) -> list[tuple[str, int, float]]:  # type: ignore[type-arg]
    return [(r["unit"], r["rank"], r["score"]) for r in doc["rows"]]


def test_a_months_standing_ranks_units_and_lists_one_below_the_minimum_sample_apart(  # type: ignore[no-untyped-def]
    app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    min_sample(app, 3)
    rate(app, "bdc", [5, 5, 4, 4], "2026-11-20T10:00")  # mean 4.5 → 87.5
    rate(app, "zwfw", [2, 3, 3], "2026-11-21T10:00")  # mean 2.67 → 41.7
    rate(app, "gaj", [5, 5], "2026-11-22T10:00")  # 100, but two ratings only
    rate(app, "bdc", [1, 1, 1], "2026-10-20T10:00")  # another month: not counted
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,month,volume\nbdc,2026-11,4000\nnowhere,2026-11,10\n", "utf-8")
    refused = runner.invoke(args=["ranking", "volume", "import", str(bad)])
    assert refused.exit_code != 0 and "第 3 行：未知单位 nowhere" in refused.output
    good = tmp_path / "volume.csv"
    good.write_text("# 2026年11月办件量\nunit,month,volume\nbdc,2026-11,4000\n", "utf-8")
    assert "imported 1" in runner.invoke(args=["ranking", "volume", "import", str(good)]).output

    doc = standing(app)
    assert doc["approved"] is None and doc["surveys_available"] is True  # no survey closed this month
    # bdc: complaints (0 per 1,000 services → 100, weight 0.15) and ratings (87.5, 0.25), reweighted over 0.4.
    assert ranked(doc) == [("bdc", 1, 92.2), ("zwfw", 2, 41.7)]
    bdc, zwfw = doc["rows"]
    assert bdc["components"]["complaints"] | {"note": ""} == {
        "label": "投诉率", "present": True, "used": True, "value": 0.0, "n": 0, "score": 100.0, "weight": 0.15,
        "note": "",
    }  # fmt: skip
    assert (bdc["volume"], bdc["sample"], bdc["components"]["ratings"]["n"]) == (4000, 4, 4)
    assert zwfw["components"]["complaints"]["note"] == "服务量未知，本项不计"
    assert set(zwfw["missing"]) == {"complaints", "findings", "satisfaction", "surveys", "inspections"}
    assert zwfw["components"]["surveys"]["note"] == "本月无民意调查结果"
    apart = {r["unit"]: r for r in doc["apart"]}
    assert (apart["gaj"]["score"], apart["gaj"]["reason"], apart["gaj"]["rank"]) == (100.0, "样本不足（2 < 3）", None)
    assert apart["rsj"]["reason"] == "无可计分的数据"
    table = runner.invoke(args=["ranking", "--month", "2026-11"]).output
    assert "未审定" in table and "未参与排名：市公安局 得分 100.0（样本不足（2 < 3））" in table
    assert "市不动产登记中心" in table.splitlines()[3]  # first of the ranked rows

    # With survey scores for the month (bot.service.surveys.unit_scores(session, rt, start, end) → {unit: (score,
    # n)}), they are a component and count in the sample: gaj now has enough to be ranked.
    calls: list[tuple[datetime, datetime]] = []

    def unit_scores(session, rt, start, end):  # type: ignore[no-untyped-def]
        calls.append((start, end))
        return {"bdc": (60.0, 20), "zwfw": (90.0, 30), "gaj": (80.0, 5), "nowhere": "bad"}

    monkeypatch.setattr(surveys, "unit_scores", unit_scores)
    doc = standing(app)
    assert doc["surveys_available"] is True
    assert [(s.isoformat(), e.isoformat()) for s, e in calls] == [("2026-11-01T00:00:00+08:00",
                                                                   "2026-12-01T00:00:00+08:00")]  # fmt: skip
    assert ranked(doc) == [("gaj", 1, 92.5), ("bdc", 2, 83.4), ("zwfw", 3, 59.8)]
    assert doc["rows"][0]["sample"] == 7 and doc["rows"][0]["components"]["surveys"]["n"] == 5

    def broken(session, rt, start, end):  # type: ignore[no-untyped-def]
        raise RuntimeError("survey table missing")

    monkeypatch.setattr(surveys, "unit_scores", broken)
    doc = standing(app)  # a broken survey never stops the standing
    assert doc["surveys_available"] is False and ranked(doc) == [("bdc", 1, 92.2), ("zwfw", 2, 41.7)]


def test_the_public_page_shows_a_month_only_once_the_office_approved_it_and_as_approved(  # type: ignore[no-untyped-def]
    app, client, clock: Clock, db_url: str
) -> None:
    min_sample(app, 3)
    rate(app, "bdc", [5, 5, 4], "2026-11-10T10:00")  # 91.7
    rate(app, "zwfw", [1, 2, 3], "2026-11-11T10:00")  # 25.0
    create_staff(app, "office1", "office")
    create_staff(app, "head1", "unit_head", "--supervisor-id", "head_bdc")
    public = client.get("/public/").get_data(as_text=True)
    standing_html = public.split('id="standing"')[1]
    assert "月度排名尚未发布" in standing_html and "市不动产登记中心" not in standing_html
    runner = app.test_cli_runner()
    early = runner.invoke(args=["ranking", "approve", "--month", "2026-11", "--as", "office1"])
    assert early.exit_code != 0 and "尚未结束" in early.output

    clock.now = bj("2026-12-02T10:00")
    wrong = runner.invoke(args=["ranking", "approve", "--month", "2026-11", "--as", "head1"])
    assert wrong.exit_code != 0 and "不是可用的治庸办账号" in wrong.output
    office = login(app, "office1")
    page = office.get("/console/ranking?month=2026-11").get_data(as_text=True)
    assert "未审定" in page and "审定并发布 2026-11 排名" in page and "91.7" in page
    office.post("/console/ranking/2026-11/approve")
    assert "已审定" in office.get("/console/ranking?month=2026-11").get_data(as_text=True)
    standing_html = client.get("/public/").get_data(as_text=True).split('id="standing"')[1]
    assert "各单位月度排名（2026年11月）" in standing_html
    assert standing_html.index("市不动产登记中心") < standing_html.index("市政务服务中心") and "91.7" in standing_html

    # Ratings that reach the month afterwards change today's figures, never the approved month.
    rate(app, "zwfw", [5, 5, 5, 5, 5], "2026-11-12T10:00")
    doc = standing(app)
    assert doc["approved"]["by"] == "office1" and ranked(doc) == [("bdc", 1, 91.7), ("zwfw", 2, 25.0)]
    assert "25.0" in client.get("/public/").get_data(as_text=True).split('id="standing"')[1]
    again = runner.invoke(args=["ranking", "approve", "--month", "2026-11", "--as", "office1"])
    assert again.exit_code != 0 and "已于 2026-12-02 10:00 由 office1 审定" in again.output
    assert rows(db_url, "SELECT action, target FROM staff_events WHERE action = 'ranking_approve'") == [
        ("ranking_approve", "2026-11")
    ]


def test_two_months_at_the_bottom_flag_the_unit_for_a_talk_in_the_monday_paper(  # type: ignore[no-untyped-def]
    app, clock: Clock, db_url: str
) -> None:
    min_sample(app, 3)
    for unit, october, november in (("bdc", [5, 5, 5], [4, 4, 5]), ("gaj", [4, 4, 4], [3, 4, 4]),
                                    ("zwfw", [1, 2, 2], [2, 2, 3])):  # fmt: skip
        rate(app, unit, october, "2026-10-15T10:00")
        rate(app, unit, november, "2026-11-16T10:00")
    create_staff(app, "office1", "office")
    clock.now = bj("2026-12-02T10:00")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["ranking", "approve", "--month", "2026-10", "--as", "office1"]).exit_code == 0

    clock.now = bj("2026-12-07T08:00")
    paper = runner.invoke(args=["digest", "--week", "2026-W49", "--dry-run"]).output
    talk = (
        "约谈提醒：市政务服务中心（市民之家）连续两个月（2026年10月、2026年11月）月度排名末位，建议约谈其主要负责人。"
    )
    assert talk in paper
    # The week before ends on 30 November: September and October, and September has no standing.
    assert "约谈提醒" not in runner.invoke(args=["digest", "--week", "2026-W48", "--dry-run"]).output
    # The scheduled Monday paper carries it, kept as sent.
    run(app, "2026-12-07T09:00")
    (content,) = rows(db_url, "SELECT content FROM digest_issues WHERE week = '2026-W49'")[0]
    data = json.loads(content) if isinstance(content, str) else content
    assert data["talks"] == ["zwfw"] and data["talk_months"] == ["2026-10", "2026-11"]
    assert talk in data["narrative"]
