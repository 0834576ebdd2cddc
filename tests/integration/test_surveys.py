"""民意调查, the stories: the office writes a survey as YAML; `survey send` invites the citizens who reported, rated
or scanned about its units — in WeChat's 48-hour window by message, otherwise by a template message whose link is
signed for them — and a second send invites nobody new; a citizen answers in the chat, another on the mobile page,
each once; the results count, average and give sample sizes; and the answers cannot be joined to who gave them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.dev.fake_wechat import FakeWechat
from bot.dev.fake_wechat import RunningFake
from bot.dev.fake_wechat import start_fake_wechat
from bot.runtime import runtime
from bot.settings import Settings
from bot.wechat.sender import drain
from storage.models import Model
from tests.conftest import TEST_APP_ID
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.conftest import make_settings
from tests.integration.console_helpers import create_staff
from tests.integration.console_helpers import login
from tests.integration.console_helpers import rows
from tests.integration.test_cases_flow import file_complaint

BDC = "昨天上午我去不动产登记中心办房产证，3号窗口的工作人员态度特别差，对我大吼大叫，还让我跑了三趟"
GAJ = "今天上午在派出所户籍室办身份证，民警一直在玩手机打游戏，让我们等了一个多小时"
INSIDE, OUTSIDE, SCANNER, ELSEWHERE = "o_survey_inside", "o_survey_outside", "o_survey_scanner", "o_survey_gaj"
SURVEY = """title: 窗口单位民主评议
units: [zwfw, bdc]
audience: {dealt_with_days: 90}
opens: 2026-11-20
closes: 2026-12-21
questions:
  - {text: 您对该单位工作人员的服务态度是否满意？, kind: scale5}
  - {text: 您办理的业务是？, kind: choice, options: [登记, 查询, 其他]}
  - {text: 您还有什么意见建议？, kind: text}
"""
TEMPLATES = {"demo_case_update_tpl", "demo_supervisor_notice_tpl", "demo_survey_invite_tpl"}


@pytest.fixture
def fake() -> Iterator[RunningFake]:
    with start_fake_wechat(FakeWechat(TEST_APP_ID, "test-app-secret-0001", templates=TEMPLATES)) as running:
        yield running


@pytest.fixture
def settings(db_url: str, fake: RunningFake) -> Settings:
    return make_settings(db_url, WECHAT_API_BASE_URL=fake.url)


def cli(app, *args: str) -> Any:  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=list(args))


def create(app, tmp_path: Path, text: str = SURVEY, name: str = "survey.yaml") -> int:  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_text(text, "utf-8")
    result = cli(app, "survey", "create", "--file", str(path))
    assert result.exit_code == 0, result.output
    return int(result.stdout.split()[-1])  # the new id is the last word on stdout


def audience(wechat: WeChat, clock: Clock) -> None:
    """One citizen wrote today (inside the 48-hour window), one five days ago, one only scanned a window QR code
    today (an event: no window opened), one reported about a unit the survey does not cover."""
    clock.advance(days=-5)
    file_complaint(wechat, BDC, OUTSIDE)
    clock.advance(days=5)
    file_complaint(wechat, BDC, INSIDE)
    wechat.event("SCAN", SCANNER, key="unit=zwfw;window=2")
    file_complaint(wechat, GAJ, ELSEWHERE)


def invitations(db_url: str) -> dict[str, dict[str, Any]]:
    out = {}
    for recipient, channel, payload in rows(db_url, "SELECT recipient, channel, payload FROM outbox "
                                                    "WHERE purpose = 'survey_invite' ORDER BY id"):  # fmt: skip
        out[recipient] = {"channel": channel, "payload": json.loads(payload) if isinstance(payload, str) else payload}
    return out


def pseudonym(app, openid: str) -> str:  # type: ignore[no-untyped-def]
    return str(runtime(app).pseudonymize(openid))


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_a_survey_is_written_as_yaml_and_a_mistake_names_the_file_and_the_key(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    survey_id = create(app, tmp_path)
    listed = json.loads(cli(app, "survey", "list", "--json").output)
    assert [(s["id"], s["title"], s["kind"], s["status"]) for s in listed] == [(survey_id, "窗口单位民主评议", "citizen",
                                                                                "open")]  # fmt: skip
    shown = cli(app, "survey", "show", str(survey_id)).output
    assert "市不动产登记中心" in shown and "近 90 天反映、评价或扫码办事的市民" in shown and "[单选]" in shown
    bad = tmp_path / "bad.yaml"
    bad.write_text(SURVEY.replace("kind: choice", "kind: multiple"), "utf-8")
    result = cli(app, "survey", "create", "--file", str(bad))
    assert result.exit_code == 1 and "bad.yaml: questions.1.kind: Input should be" in result.output
    assert len(json.loads(cli(app, "survey", "list", "--json").output)) == 1  # nothing was created


def test_send_invites_by_message_inside_the_window_by_template_outside_and_never_twice(  # type: ignore[no-untyped-def]
    app, wechat: WeChat, clock: Clock, db_url: str, tmp_path: Path, fake: RunningFake
) -> None:
    audience(wechat, clock)
    survey_id = create(app, tmp_path)
    result = cli(app, "survey", "send", str(survey_id))
    assert result.exit_code == 0, result.output
    assert "对象 3 人，本次邀请 3 人（消息 1，模板消息 2）" in result.stdout  # not ELSEWHERE (gaj is not surveyed)
    assert "[survey] invited 3/3 citizens" in result.stderr  # progress, as other long jobs show it
    got = invitations(db_url)
    inside, outside, scanner = (got[pseudonym(app, o)] for o in (INSIDE, OUTSIDE, SCANNER))
    assert pseudonym(app, ELSEWHERE) not in got
    # Inside the window: a message that says how to answer in the chat, with the link too; a template to fall back on.
    assert inside["channel"] == "auto" and "回复“开始”" in inside["payload"]["text"]
    assert inside["payload"]["template"]["link"] in inside["payload"]["text"]
    # Outside: only the template message, its link signed for that citizen (never their id, nor the text).
    for row in (outside, scanner):
        assert row["channel"] == "template" and set(row["payload"]) == {"template"}
        template = row["payload"]["template"]
        assert set(template) == {"kind", "title", "units", "closes", "link"} and template["kind"] == "survey_invite"
        assert "/survey/" in template["link"]
    assert outside["payload"]["template"]["link"] != scanner["payload"]["template"]["link"]
    everything = json.dumps([r["payload"] for r in got.values()], ensure_ascii=False)
    for secret in (INSIDE, OUTSIDE, SCANNER, pseudonym(app, OUTSIDE), "大吼大叫", "13912345678"):
        assert secret not in everything
    assert sorted(rows(db_url, "SELECT unit, channel FROM survey_invitations")) == [
        ("bdc", "message"), ("bdc", "template"), ("zwfw", "template")]  # fmt: skip

    # The outbox sends them as planned: a customer-service text, two template cards that open the page.
    drain(runtime(app), now=clock.now)
    assert [m["kind"] for m in fake.state.messages_for(INSIDE) if "问卷" in str(m)] == ["customer"]
    card = fake.state.messages_for(OUTSIDE)[-1]
    assert card["kind"] == "template" and card["template_id"] == "demo_survey_invite_tpl"
    assert card["data"]["thing1"]["value"] == "窗口单位民主评议" and "/survey/" in card["url"]

    # A second send invites nobody twice; a newcomer is invited alone.
    again = cli(app, "survey", "send", str(survey_id))
    assert "本次邀请 0 人" in again.output and "此前已邀请 3 人" in again.output
    file_complaint(wechat, BDC, "o_survey_newcomer")
    third = cli(app, "survey", "send", str(survey_id))
    assert "本次邀请 1 人（消息 1，模板消息 0），此前已邀请 3 人" in third.output
    assert rows(db_url, "SELECT count(*) FROM outbox WHERE purpose = 'survey_invite'") == [(4,)]


def test_send_only_while_open(app, wechat: WeChat, clock: Clock, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    audience(wechat, clock)
    later = create(app, tmp_path, SURVEY.replace("opens: 2026-11-20", "opens: 2026-12-01"))
    result = cli(app, "survey", "send", str(later))
    assert result.exit_code == 1 and "不在开放期" in result.output
    clock.now += timedelta(days=30)  # 2026-12-27: past 24:00 of 12-21
    runtime(app).clock = clock
    over = create(app, tmp_path, SURVEY.replace("2026-12-21", "2026-12-26"))
    assert "不在开放期" in cli(app, "survey", "send", str(over)).output


def test_answered_once_in_the_chat_and_once_on_the_page(app, wechat: WeChat, clock: Clock, db_url: str,  # type: ignore[no-untyped-def]
                                                         tmp_path: Path, client) -> None:  # fmt: skip
    audience(wechat, clock)
    survey_id = create(app, tmp_path)
    cli(app, "survey", "send", str(survey_id))
    got = invitations(db_url)

    # In the chat: 开始, then one question after another; a 满意 here answers the survey, never a case.
    assert "第1题（共3题）" in (wechat.text("开始", INSIDE) or "")
    assert "第2题" in (wechat.text("满意", INSIDE) or "")
    assert "第3题" in (wechat.text("1", INSIDE) or "")
    assert "问卷已提交" in (wechat.text("窗口太少，电话13912345678总占线", INSIDE) or "")
    assert "回答已经收到" in (wechat.text("开始", INSIDE) or "")  # a second attempt is told politely
    assert rows(db_url, "SELECT count(*) FROM survey_responses") == [(1,)]

    # On the page: the link from the template message, a real form without script.
    page = path_of(got[pseudonym(app, OUTSIDE)]["payload"]["template"]["link"])
    form = client.get(page)
    html = form.get_data(as_text=True)
    assert (
        form.status_code == 200 and '<form method="post"' in html and 'type="radio"' in html and "<script" not in html
    )
    assert "市不动产登记中心" in html and 'lang="zh-CN"' in html
    guard = html.split('name="guard" value="')[1].split('"')[0]
    missing = client.post(page, data={"guard": guard, "unit": "bdc", "q1": "1"})
    assert missing.status_code == 400 and "请回答第1题" in missing.get_data(as_text=True)
    done = client.post(page, data={"guard": guard, "unit": "bdc", "q0": "2", "q1": "2", "q2": ""})
    assert done.status_code == 303
    assert "回答已经收到" in client.get(page).get_data(as_text=True)
    twice = client.post(page, data={"guard": guard, "unit": "bdc", "q0": "5", "q1": "1", "q2": ""})
    assert twice.status_code == 409 and "只需回答一次" in twice.get_data(as_text=True)
    assert rows(db_url, "SELECT count(*) FROM survey_responses") == [(2,)]
    assert rows(db_url, "SELECT count(*) FROM survey_participations") == [(2,)]

    # The results: per unit and question, counts, means and sample sizes; text only in words, masked.
    data = json.loads(cli(app, "survey", "results", str(survey_id), "--json").output)
    bdc = next(u for u in data["units"] if u["unit"] == "bdc")
    zwfw = next(u for u in data["units"] if u["unit"] == "zwfw")
    assert (bdc["respondents"], zwfw["respondents"], bdc["score"]) == (2, 0, 50.0)
    scale, choice, text = bdc["questions"]
    assert scale["counts"] == {"5": 0, "4": 1, "3": 0, "2": 1, "1": 0} and scale["mean"] == 3.0
    assert scale["answered"] == 2 and choice["counts"] == {"登记": 1, "查询": 1, "其他": 0}
    assert text == {"index": 2, "text": "您还有什么意见建议？", "kind": "text", "answered": 1}
    words = cli(app, "survey", "results", str(survey_id)).output
    assert "139****5678" in words and "13912345678" not in words and "得分 50.0" in words


def test_forged_and_expired_links_are_refused_with_nothing_written(app, wechat: WeChat, clock: Clock,  # type: ignore[no-untyped-def]
                                                                    db_url: str, tmp_path: Path, client) -> None:  # fmt: skip
    audience(wechat, clock)
    survey_id = create(app, tmp_path)
    cli(app, "survey", "send", str(survey_id))
    page = path_of(invitations(db_url)[pseudonym(app, OUTSIDE)]["payload"]["template"]["link"])
    guard = client.get(page).get_data(as_text=True).split('name="guard" value="')[1].split('"')[0]
    answer = {"guard": guard, "unit": "bdc", "q0": "1", "q1": "1"}
    forged = page[:-3] + ("AAA" if not page.endswith("AAA") else "BBB")
    for resp in (client.get(forged), client.post(forged, data=answer)):
        assert resp.status_code == 403 and "链接无效" in resp.get_data(as_text=True)
    assert client.post(page, data={**answer, "guard": "x" * 64}).status_code == 403
    assert client.post(page, data=answer, headers={"Origin": "https://evil.example"}).status_code == 403
    clock.now += timedelta(days=25)  # 2026-12-22 10:00: the survey closed at 24:00 on 12-21
    runtime(app).clock = clock
    for resp in (client.get(page), client.post(page, data=answer)):
        assert resp.status_code == 400 and "问卷已结束" in resp.get_data(as_text=True)
    assert rows(db_url, "SELECT count(*) FROM survey_responses") == [(0,)]
    assert rows(db_url, "SELECT count(*) FROM survey_participations") == [(0,)]


def test_answers_cannot_be_joined_to_who_gave_them(app, wechat: WeChat, clock: Clock, db_url: str,  # type: ignore[no-untyped-def]
                                                   tmp_path: Path) -> None:  # fmt: skip
    tables = Model.metadata.tables
    responses, participations = tables["survey_responses"], tables["survey_participations"]
    assert set(responses.c.keys()) == {"id", "survey_id", "unit", "answers", "mixed"}
    assert set(participations.c.keys()) == {"survey_id", "unit", "participant"}
    # Nothing in common but the survey and the unit; no time on either side; the answer's id is not a sequence.
    assert set(responses.c.keys()) & set(participations.c.keys()) == {"survey_id", "unit"}
    for table in (responses, participations):
        assert not any(c.type.python_type.__name__ in ("datetime", "date") for c in table.c), table.name
    assert str(responses.c.id.type) == "VARCHAR(32)"

    audience(wechat, clock)
    survey_id = create(app, tmp_path)
    cli(app, "survey", "send", str(survey_id))
    for openid in (INSIDE, "o_survey_inside_2"):
        if openid != INSIDE:
            file_complaint(wechat, BDC, openid)
            cli(app, "survey", "send", str(survey_id))
        for word in ("开始", "4", "2", "跳过"):
            wechat.text(word, openid)
    before = {r[0] for r in rows(db_url, "SELECT id FROM survey_responses")}
    secrets = {pseudonym(app, o) for o in (INSIDE, "o_survey_inside_2")} | {INSIDE, "o_survey_inside_2"}
    dump = json.dumps(rows(db_url, "SELECT * FROM survey_responses"), default=str)
    assert not any(s in dump for s in secrets)
    # The surveys job mixes the answers: new random ids, a random order, all written at once.
    clock.advance(minutes=5)
    result = runtime(app)
    from bot.service import jobs

    summary = jobs.run_job(result, "surveys", clock.now).summary
    assert "2 answers mixed" in summary
    after = rows(db_url, "SELECT id, mixed FROM survey_responses")
    assert {i for i, _ in after}.isdisjoint(before) and all(m for _, m in after) and len(after) == 2


def test_a_qr_scan_is_kept_for_the_audience_and_a_survey_draft_is_never_nagged(  # type: ignore[no-untyped-def]
    app, wechat: WeChat, clock: Clock, db_url: str, tmp_path: Path
) -> None:
    wechat.event("SCAN", "o_survey_scan_only", key="rate=bdc;window=3")
    wechat.event("subscribe", "o_survey_new_follower", key="qrscene_unit=zwfw")
    assert sorted(rows(db_url, "SELECT unit, window FROM qr_scans")) == [("bdc", "3"), ("zwfw", None)]
    survey_id = create(app, tmp_path)
    assert "本次邀请 2 人（消息 0，模板消息 2）" in cli(app, "survey", "send", str(survey_id)).output
    file_complaint(wechat, BDC, INSIDE)
    cli(app, "survey", "send", str(survey_id))
    wechat.text("开始", INSIDE)
    wechat.text("5", INSIDE)  # and then nothing: the half-answered survey waits, unannounced
    from bot.service import jobs

    clock.advance(hours=30)
    jobs.run_job(runtime(app), "dialogs", clock.now)
    nudged = {r for (r,) in rows(db_url, "SELECT recipient FROM outbox WHERE purpose = 'draft_reminder'")}
    assert pseudonym(app, "o_survey_new_follower") in nudged  # a report draft left by the QR scan is nudged …
    assert pseudonym(app, INSIDE) not in nudged  # … a half-answered survey never is


def test_the_office_creates_a_survey_in_the_console_and_reads_its_results(  # type: ignore[no-untyped-def]
    app, wechat: WeChat, clock: Clock, db_url: str
) -> None:
    create_staff(app, "office1", "office")
    create_staff(app, "li", "supervisor", "--supervisor-id", "sup_bdc")
    office = login(app, "office1")
    assert "新建问卷" in office.get("/console/surveys").get_data(as_text=True)
    bad = office.post("/console/surveys", {"source": SURVEY.replace("units: [zwfw, bdc]", "units: [zwfw, mars]")})
    assert bad.status_code == 400 and "问卷: units.1: &#39;mars&#39; is not a unit" in bad.get_data(as_text=True)
    made = office.post("/console/surveys", {"source": SURVEY})
    assert made.status_code == 303
    survey_id = int(made.headers["Location"].rstrip("/").split("/")[-1])
    file_complaint(wechat, BDC, INSIDE)
    cli(app, "survey", "send", str(survey_id))
    for word in ("开始", "非常满意", "3", "办事大厅太吵，电话13912345678"):
        wechat.text(word, INSIDE)
    page = office.get(f"/console/surveys/{survey_id}").get_data(as_text=True)
    assert "1 人作答" in page and "得分 100.0" in page and "139****5678" in page and "13912345678" not in page
    supervisor = login(app, "li")  # the office's only
    assert supervisor.get(f"/console/surveys/{survey_id}").status_code == 403
    assert supervisor.post("/console/surveys", {"source": SURVEY}).status_code == 403
    assert rows(db_url, "SELECT count(*) FROM surveys") == [(1,)]


def test_in_the_survey_a_satisfied_word_answers_it_never_a_case_and_a_stop_is_for_good(  # type: ignore[no-untyped-def]
    app, wechat: WeChat, clock: Clock, db_url: str, tmp_path: Path
) -> None:
    from bot.service import casework
    from storage import cases as cases_repo

    number = file_complaint(wechat, BDC, INSIDE)
    rt = runtime(app)
    with rt.db.transaction() as s:
        case = cases_repo.by_number(session=s, number=number)
        assert case is not None
        casework.act(s, rt, case, "sign", actor="system", now=clock.now)
        casework.act(s, rt, case, "reply", actor="sup_bdc", now=clock.now, note="已约谈窗口工作人员并致歉")
    assert rows(db_url, f"SELECT state FROM cases WHERE number = '{number}'") == [("rating",)]
    survey_id = create(app, tmp_path)
    cli(app, "survey", "send", str(survey_id))
    wechat.text("开始", INSIDE)
    assert "第2题" in (wechat.text("满意", INSIDE) or "")  # the survey's answer …
    assert rows(db_url, f"SELECT state FROM cases WHERE number = '{number}'") == [("rating",)]  # … not the case's
    assert "不会再打扰" in (wechat.text("停止", INSIDE) or "")
    assert [bool(d) for (d,) in rows(db_url, "SELECT declined FROM survey_invitations")] == [True]
    assert "第1题" not in (wechat.text("开始", INSIDE) or "")  # declined: never brought up again
    assert "本次邀请 0 人" in cli(app, "survey", "send", str(survey_id)).stdout
    assert rows(db_url, "SELECT count(*) FROM survey_responses") == [(0,)]
    # The case's own rating still works as before.
    assert "感谢您的评价" in (wechat.text("1A", INSIDE) or "")
