"""民主测评 and the ranking's survey component: one-use signed links for a unit's staff and service users, the close
(by hand or by the surveys job) writing each unit's result into its officials' 活档案 once, and `unit_scores` — the
contract the monthly standing relies on."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.runtime import runtime
from bot.service import jobs
from bot.service import surveys as service
from bot.service.survey_answers import form_guard
from handlers.surveys import parse_survey
from storage import surveys as repo
from tests.conftest import Clock
from tests.integration.console_helpers import rows
from tests.integration.test_surveys import SURVEY
from tests.integration.test_surveys import cli
from tests.integration.test_surveys import create
from tests.integration.test_time import bj

ASSESSMENT = """title: 2026年第四季度民主测评
units: all
audience: {staff_of: [bdc, gaj]}
opens: 2026-11-25
closes: 2026-12-04
questions:
  - {text: 您对本单位领导班子的总体评价是？, kind: scale5}
  - {text: 您对领导班子作风建设的评价是？, kind: scale5}
  - {text: 对领导班子的意见建议, kind: text}
"""


def links(app, tmp_path: Path, survey_id: int, unit: str, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    out = tmp_path / f"{unit}.csv"
    result = cli(app, "survey", "links", str(survey_id), "--unit", unit, "--count", str(count), "--out", str(out))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["序号", "单位", "链接"] and len(table) == count + 1
    return [urlsplit(row[2]).path for row in table[1:]]


def vote(client, page: str, *levels: str) -> int:  # type: ignore[no-untyped-def]
    form = client.get(page)
    assert form.status_code == 200, form.get_data(as_text=True)
    guard = form.get_data(as_text=True).split('name="guard" value="')[1].split('"')[0]
    unit = form.get_data(as_text=True).split('name="unit" value="')[1].split('"')[0]
    data = {"guard": guard, "unit": unit, **{f"q{i}": v for i, v in enumerate(levels)}}
    return int(client.post(page, data=data).status_code)


def dossier(db_url: str, official: str) -> list[tuple[str, str, str]]:
    return [(k, str(d), s) for k, d, s in rows(db_url, "SELECT kind, on_date, summary FROM dossier_entries WHERE "
                                                       "official_id = :o ORDER BY id", o=official)]  # fmt: skip


def test_a_democratic_assessment_through_one_use_links_enters_the_officials_dossiers(  # type: ignore[no-untyped-def]
    app, client, clock: Clock, db_url: str, tmp_path: Path
) -> None:
    survey_id = create(app, tmp_path, ASSESSMENT)
    refused = cli(app, "survey", "send", str(survey_id))
    assert refused.exit_code == 1 and "survey links" in refused.output  # staff are reached through links only
    assert "不在问卷" in cli(app, "survey", "links", str(survey_id), "--unit", "cgs", "--count", "2", "--out",
                             str(tmp_path / "x.csv")).output  # fmt: skip
    bdc = links(app, tmp_path, survey_id, "bdc", 3)
    gaj = links(app, tmp_path, survey_id, "gaj", 1)
    assert len(set(bdc)) == 3
    assert "领导班子" in client.get(bdc[0]).get_data(as_text=True)
    assert vote(client, bdc[0], "5", "4", "班子团结") == 303
    assert vote(client, bdc[1], "3", "2", "") == 303
    assert vote(client, gaj[0], "1", "1", "") == 303
    # Each link answers once: afterwards it only says thank you, and a second post is refused with nothing written.
    assert "回答已经收到" in client.get(bdc[0]).get_data(as_text=True)
    guard = form_guard(runtime(app), bdc[0].rsplit("/", 1)[1])
    again = client.post(bdc[0], data={"guard": guard, "unit": "bdc", "q0": "1", "q1": "1"})
    assert again.status_code == 409 and "只需回答一次" in again.get_data(as_text=True)
    assert rows(db_url, "SELECT count(*) FROM survey_responses") == [(3,)]
    used = rows(db_url, "SELECT used, count(*) FROM survey_links GROUP BY used ORDER BY used")
    assert [(bool(u), n) for u, n in used] == [(False, 1), (True, 3)]

    closed = cli(app, "survey", "close", str(survey_id))
    assert closed.exit_code == 0 and "3 条民主测评结果记入活档案" in closed.output  # bdc's two officials, gaj's one
    for official in ("off_bdc_zr", "off_bdc_fzr"):
        assert dossier(db_url, official) == [("assessment", "2026-11-27", "市不动产登记中心领导班子2026年第四季度民主测评："
                                              "满意 50%，基本满意 25%，不满意 25%，得分 62.5（有效票 2 张）")]  # fmt: skip
    assert dossier(db_url, "off_gaj_fjz")[0][2].endswith("满意 0%，基本满意 0%，不满意 100%，得分 0.0（有效票 1 张）")
    assert dossier(db_url, "off_zwfw_zr") == []  # not assessed
    assert "0 条民主测评结果" in cli(app, "survey", "close", str(survey_id)).output  # entered once, however often
    assert len(dossier(db_url, "off_bdc_zr")) == 1
    # The links expired with the close.
    assert client.get(bdc[2]).status_code == 400 and "问卷已结束" in client.get(bdc[2]).get_data(as_text=True)
    assert rows(db_url, "SELECT count(*) FROM survey_responses") == [(3,)]


def test_the_surveys_job_closes_at_the_closing_time(app, client, clock: Clock, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    survey_id = create(app, tmp_path, ASSESSMENT.replace("closes: 2026-12-04", "closes: 2026-11-30"))
    assert vote(client, links(app, tmp_path, survey_id, "bdc", 1)[0], "4", "4", "") == 303
    rt = runtime(app)
    rt.clock = lambda: bj("2026-11-30T23:58")
    assert jobs.run_job(rt, "surveys", bj("2026-11-30T23:58")).summary.startswith("0 surveys closed")
    rt.clock = lambda: bj("2026-12-01T00:03")
    assert jobs.run_job(rt, "surveys", bj("2026-12-01T00:03")).summary.startswith("1 surveys closed, 2 活档案 entries")
    assert dossier(db_url, "off_bdc_zr")[0][:2] == ("assessment", "2026-11-30")  # the last day it was open
    listed = json.loads(cli(app, "survey", "list", "--json").output)
    assert listed[0]["status"] == "closed" and listed[0]["closed_at"].startswith("2026-11-30T16:00")


def _survey(rt, session, closes: str, *, staff: bool = False, extra: str = "") -> int:  # type: ignore[no-untyped-def]
    text = SURVEY.replace("closes: 2026-12-21", f"closes: {closes}").replace("opens: 2026-11-20", "opens: 2026-11-01")
    if staff:
        text = text.replace("{dealt_with_days: 90}", "{staff_of: [bdc]}")
    text += extra
    checked = parse_survey(text, source="t.yaml", city=rt.settings.city)
    return service.create(session, rt, checked, source=text, created_by="test", now=rt.now()).id


def test_unit_scores_over_the_citizen_surveys_closed_in_a_period(app) -> None:  # type: ignore[no-untyped-def]
    rt = runtime(app)
    second = "  - {text: 您对办事效率是否满意？, kind: scale5}\n"
    with rt.db.transaction() as s:
        december = _survey(rt, s, "2026-12-10")
        two_scales = _survey(rt, s, "2026-12-20", extra=second)
        staff = _survey(rt, s, "2026-12-15", staff=True)  # 民主测评: never a citizen score
        january = _survey(rt, s, "2027-01-05")
        by_hand = _survey(rt, s, "2027-01-20")
        for survey_id, unit, answers in [
            (december, "bdc", [5, 0, None]), (december, "bdc", [3, 1, "慢"]), (december, "zwfw", [1, 2, None]),
            (two_scales, "bdc", [4, 0, None, 2]), (staff, "bdc", [1, 0, None]), (january, "bdc", [1, 0, None]),
            (by_hand, "zwfw", [4, 0, None]), (by_hand, "gaj", [5, 0, None]),
        ]:  # fmt: skip
            repo.add_response(session=s, survey_id=survey_id, unit=unit, answers=answers)
    rt.clock = lambda: bj("2026-12-18T12:00")
    service.close_by_hand(rt, by_hand, now=rt.now())  # closed early, on 12-18: it counts in December

    start, end = bj("2026-12-01T00:00"), bj("2027-01-01T00:00")
    rt.clock = lambda: bj("2026-12-12T09:00")  # mid-December: only what has closed so far
    with rt.db.transaction() as s:
        assert service.unit_scores(s, rt, start, end) == {"bdc": (75.0, 2), "zwfw": (0.0, 1)}
    rt.clock = lambda: bj("2027-01-02T09:00")
    with rt.db.transaction() as s:
        scores = service.unit_scores(s, rt, start, end)
        # bdc: 100, 50 (december) and 75, 25 (one respondent, two scale5 answers): mean 62.5 over 3 respondents.
        # zwfw: 0 (december) and 75 (closed by hand); gaj's row is not about one of that survey's units.
        assert scores == {"bdc": (62.5, 3), "zwfw": (37.5, 2)}
        assert all(isinstance(v, float) and isinstance(n, int) for v, n in scores.values())
        assert service.unit_scores(s, rt, bj("2027-01-01T00:00"), bj("2027-02-01T00:00")) == {}  # not closed yet
        assert service.unit_scores(s, rt, bj("2026-11-01T00:00"), start) == {}


@pytest.mark.postgres
def test_unit_scores_and_the_mix_on_postgresql(postgres_url: str, clock: Clock) -> None:
    from bot import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(postgres_url), clock=clock)
    rt = runtime(app)
    try:
        with rt.db.transaction() as s:
            survey_id = _survey(rt, s, "2026-12-10")
            for level in (5, 4, 2):
                repo.add_response(session=s, survey_id=survey_id, unit="bdc", answers=[level, 0, None])
        assert jobs.run_job(rt, "surveys", clock.now).summary == (
            "0 surveys closed, 0 活档案 entries, 3 answers mixed, 0 old scans dropped"
        )
        # All three rows were rewritten by one transaction: PostgreSQL's xmin no longer tells them apart.
        with rt.db.engine.connect() as conn:
            xmins = {r[0] for r in conn.exec_driver_sql("SELECT xmin::text FROM survey_responses")}
        assert len(xmins) == 1
        rt.clock = lambda: datetime.fromisoformat("2026-12-11T00:00:00+08:00")
        with rt.db.transaction() as s:
            assert service.unit_scores(s, rt, bj("2026-12-01T00:00"), bj("2027-01-01T00:00")) == {"bdc": (66.67, 3)}
    finally:
        rt.db.dispose()
