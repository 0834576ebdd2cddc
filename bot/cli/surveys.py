"""`flask --app bot survey …`: 民意调查 / 民主评议 from the operator's terminal.

create --file F (prints the new id as its last word) · list [--json] · show ID [--json] · send ID (progress on
stderr) · results ID [--json] · links ID --unit U --count N --out F.csv (民主测评) · close ID.
Nothing printed names a citizen; text answers are listed masked, and only in the words output (never in --json).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from bot.runtime import Runtime
from bot.runtime import runtime
from bot.service import survey_answers as answers
from bot.service import surveys as service
from handlers.surveys import KINDS
from handlers.surveys import QUESTION_KINDS
from handlers.surveys import SurveyError
from handlers.surveys import parse_survey
from storage import surveys as repo
from storage.models import Survey

survey_cli = AppGroup("survey", help="民意调查 / 民主评议: create, send, answer links, results, close.")
MAX_LINKS = 5000


def _describe(rt: Runtime, s: Survey, counts: dict[str, int] | None = None) -> dict[str, Any]:
    city = rt.settings.city
    out: dict[str, Any] = {
        "id": s.id, "title": s.title, "kind": s.kind, "kind_label": KINDS.get(s.kind, s.kind),
        "status": answers.status(s, rt.now()), "opens": s.opens.isoformat(), "closes": s.closes.isoformat(),
        "units": [{"code": u, "name": city.unit_name(u)} for u in s.units], "audience": s.audience,
        "questions": s.questions, "closed_at": s.closed_at.isoformat() if s.closed_at else None,
    }  # fmt: skip
    if counts is not None:
        out.update(counts)
    return out


def _survey(rt: Runtime, session: Any, survey_id: int) -> Survey:
    try:
        return service.get(session, survey_id)
    except service.SurveyRefused as exc:
        raise click.ClickException(str(exc)) from None


@survey_cli.command("create")
@click.option("--file", "path", required=True, type=click.Path(exists=True, dir_okay=False), help="The survey YAML.")
def create_cmd(path: str) -> None:
    """Create a survey from its YAML (see README); prints its id as the last word."""
    rt = runtime()
    text = Path(path).read_text("utf-8")
    try:
        checked = parse_survey(text, source=Path(path).name, city=rt.settings.city)
    except SurveyError as exc:
        raise click.ClickException(str(exc)) from None
    with rt.db.transaction() as session:
        s = service.create(session, rt, checked, source=text, created_by="cli", now=rt.now())
        line = (f"问卷已创建：{s.title}（{KINDS[s.kind]}，{len(s.units)} 个单位，{s.opens} 至 {s.closes}）"
                f"编号 {s.id}")  # fmt: skip
    click.echo(line)


@survey_cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def list_cmd(as_json: bool) -> None:
    """Every survey, newest first, with its status and how many were invited and answered."""
    rt = runtime()
    with rt.db.transaction() as session:
        rows = repo.listing(session=session)
        counts = repo.counts(session=session, survey_ids=[s.id for s in rows])
        items = [_describe(rt, s, counts[s.id]) for s in rows]
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo("还没有问卷。")
    for i in items:
        status = answers.STATUS_LABELS[i["status"]]
        click.echo(f"{i['id']:>4}  {status}  {i['kind_label']}  {i['title']}  {i['opens']} 至 {i['closes']}  "
                   f"邀请 {i['invited']} 人  收到 {i['responses']} 份")  # fmt: skip


@survey_cli.command("show")
@click.argument("survey_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="JSON for scripts.")
def show_cmd(survey_id: int, as_json: bool) -> None:
    """One survey: its units, audience, dates, questions and counts."""
    rt = runtime()
    with rt.db.transaction() as session:
        s = _survey(rt, session, survey_id)
        info = _describe(rt, s, repo.counts(session=session, survey_ids=[s.id])[s.id])
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    click.echo(f"问卷 {info['id']}：{info['title']}（{info['kind_label']}，{answers.STATUS_LABELS[info['status']]}）")
    click.echo(f"  开放：{info['opens']} 00:00 至 {info['closes']} 24:00（{rt.settings.city.city.timezone}）")
    click.echo("  单位：" + "、".join(u["name"] for u in info["units"]))
    audience = info["audience"]
    if "dealt_with_days" in audience:
        click.echo(f"  对象：近 {audience['dealt_with_days']} 天反映、评价或扫码办事的市民")
    else:
        click.echo("  对象：被测评单位的干部职工和服务对象（一次性链接）")
    for n, q in enumerate(info["questions"], start=1):
        options = f"：{' / '.join(q['options'])}" if q.get("options") else ""
        click.echo(f"  {n}. [{QUESTION_KINDS[q['kind']]}] {q['text']}{options}")
    click.echo(f"  已邀请 {info['invited']} 人，收到 {info['responses']} 份；链接 {info['links']} 个（已用 "
               f"{info['links_used']}）")  # fmt: skip


@survey_cli.command("send")
@click.argument("survey_id", type=int)
def send_cmd(survey_id: int) -> None:
    """Invite the audience (only while the survey is open); running it again invites only the newcomers."""
    rt = runtime()

    def progress(done: int, total: int) -> None:
        click.echo(f"[survey] invited {done}/{total} citizens", err=True)

    try:
        report = service.send(rt, survey_id, now=rt.now(), progress=progress)
    except service.SurveyRefused as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"问卷 {survey_id}：对象 {report.audience} 人，本次邀请 {report.invited} 人（消息 {report.by_message}，"
               f"模板消息 {report.by_template}），此前已邀请 {report.already} 人。消息由 outbox 任务发出。")  # fmt: skip


def results_dict(rt: Runtime, s: Survey, unit_results: list[Any], *, with_texts: bool) -> dict[str, Any]:
    city = rt.settings.city
    return {"survey": _describe(rt, s),
            "units": [r.as_dict(city.unit_name(r.unit), with_texts=with_texts) for r in unit_results]}  # fmt: skip


@survey_cli.command("results")
@click.argument("survey_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Counts, means and sample sizes as JSON (no text answers).")
def results_cmd(survey_id: int, as_json: bool) -> None:
    """Per unit and question: counts per level or option, the mean (scale5), sample sizes; text answers masked."""
    rt = runtime()
    with rt.db.transaction() as session:
        s = _survey(rt, session, survey_id)
        data = results_dict(rt, s, service.results(session, s), with_texts=not as_json)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"问卷 {s.id}：{s.title}（{KINDS[s.kind]}，{answers.STATUS_LABELS[data['survey']['status']]}）")
    for unit in data["units"]:
        score = "—" if unit["score"] is None else f"{unit['score']:.1f}"
        click.echo(f"\n{unit['name']}：{unit['respondents']} 人作答，得分 {score}")
        for q in unit["questions"]:
            click.echo(f"  {q['index'] + 1}. {q['text']}（{q['answered']} 人回答）")
            if q["kind"] == "scale5":
                levels = "，".join(f"{lv} {n}" for lv, n in q["counts"].items())
                mean = "—" if q["mean"] is None else f"{q['mean']:.2f}"
                click.echo(f"     {levels}；平均 {mean}")
            elif q["kind"] == "choice":
                click.echo("     " + "，".join(f"{o} {n}" for o, n in q["counts"].items()))
            else:
                for text in q.get("texts", []):
                    click.echo(f"     · {text}")


@survey_cli.command("links")
@click.argument("survey_id", type=int)
@click.option("--unit", required=True, help="The unit code whose staff and service users rate its leadership.")
@click.option("--count", required=True, type=click.IntRange(1, MAX_LINKS), help="How many one-use links.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="The CSV to write.")
def links_cmd(survey_id: int, unit: str, count: int, out: str) -> None:
    """民主测评: N one-use signed links for one unit, as CSV (序号, 单位, 链接); each answers once, until the close."""
    rt = runtime()
    keys = answers.new_staff_keys(count)
    with rt.db.transaction() as session:
        s = _survey(rt, session, survey_id)
        if s.kind != "staff":
            raise click.ClickException(f"问卷 {survey_id} 是民意调查：一次性链接只用于民主测评（audience: staff_of）")
        if unit not in s.units:
            raise click.ClickException(f"单位 {unit!r} 不在问卷 {survey_id} 的测评单位中（{', '.join(s.units)}）")
        if answers.status(s, rt.now()) == "closed":
            raise click.ClickException(f"问卷 {survey_id} 已结束")
        repo.add_links(session=session, survey_id=s.id, unit=unit, keys=[h for _, h in keys], now=rt.now())
        name = rt.settings.city.unit_name(unit)
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["序号", "单位", "链接"])
        for n, (secret, _) in enumerate(keys, start=1):
            writer.writerow([n, name, answers.link_url(rt, survey_id, answers.STAFF, secret)])
    click.echo(f"wrote {out}: {count} one-use links for {name} (survey {survey_id})")


@survey_cli.command("close")
@click.argument("survey_id", type=int)
def close_cmd(survey_id: int) -> None:
    """Close now (the scheduler closes it at its closing time anyway); a 民主测评's results enter the 活档案."""
    rt = runtime()
    try:
        s, added = service.close_by_hand(rt, survey_id, now=rt.now())
    except service.SurveyRefused as exc:
        raise click.ClickException(str(exc)) from None
    extra = f"，{added} 条民主测评结果记入活档案" if s.kind == "staff" else ""
    click.echo(f"问卷 {survey_id} 已结束{extra}。")
