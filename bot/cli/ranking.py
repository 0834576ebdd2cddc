"""`flask --app bot ranking --month YYYY-MM [--json]`, `ranking approve --month M --as NAME` and
`ranking volume import FILE`: the units' monthly standing (definitions in `handlers.ranking`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext

from bot.runtime import runtime
from bot.service import ranking as service
from handlers.ranking import COMPONENTS
from handlers.ranking import RankingError


@click.group("ranking", invoke_without_command=True)
@click.option("--month", default=None, help="YYYY-MM (city time).")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
@click.pass_context
@with_appcontext
def ranking_cli(ctx: click.Context, month: str | None, as_json: bool) -> None:
    """The units' monthly standing: score, every component with its value and sample, rank; units below
    ranking.min_sample listed apart. An approved month prints as approved."""
    if ctx.invoked_subcommand is not None:
        return
    if not month:
        raise click.UsageError("--month YYYY-MM is required")
    rt = runtime()
    try:
        with rt.db.transaction() as s:
            doc = service.standing(s, rt, month, rt.now())
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for line in table(doc, rt.settings.city.unit_name):
        click.echo(line)


def _cell(component: dict[str, Any]) -> str:
    if not component["present"]:
        return "—"
    return f"{component['score']:.1f}({component['n']})" + ("" if component["used"] else "*")


def table(doc: dict[str, Any], unit_name: Any) -> list[str]:
    approved = doc.get("approved")
    status = f"已审定：{approved['by']} {approved['at'][:16]}" if approved else "未审定：按当前数据计算"
    lines = [f"月度排名 {doc['month']}（{status}）", doc.get("method") or ""]
    head = "  ".join(f"{label:<6}" for label in COMPONENTS.values())
    lines.append(f"{'名次':<4}{'单位':<18}{'得分':>6}{'样本':>6}  {head}")
    for row in doc["rows"]:
        cells = "  ".join(f"{_cell(row['components'][k]):<8}" for k in COMPONENTS)
        lines.append(f"{row['rank']:<4}{unit_name(row['unit']):<18}{row['score']:>6.1f}{row['sample']:>6}  {cells}")
    few = [r for r in doc["apart"] if r["score"] is not None]
    empty = [r for r in doc["apart"] if r["score"] is None]
    if few:
        lines.append("未参与排名：" + "；".join(f"{unit_name(r['unit'])} 得分 {r['score']:.1f}（{r['reason']}）"
                                            for r in few))  # fmt: skip
    if empty:
        lines.append("本月无可计分的数据：" + "、".join(unit_name(r["unit"]) for r in empty))
    lines.append("括号内为样本数；— 为缺项（按其余各项重新加权）；* 为权重 0 不计。")
    return lines


@ranking_cli.command("approve")
@click.option("--month", required=True, help="YYYY-MM: a month that has ended.")
@click.option("--as", "username", required=True, help="The approving office account.")
@with_appcontext
def approve_cmd(month: str, username: str) -> None:
    """Approve a month's standing as it is now; kept as approved (later data never rewrites it) and shown on
    /public/."""
    rt = runtime()
    try:
        with rt.db.transaction() as s:
            doc = service.approve(s, rt, month, username, rt.now())
    except RankingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"approved {month}: {len(doc['rows'])} units ranked, {len(doc['apart'])} listed apart")


@ranking_cli.group("volume")
def volume_cli() -> None:
    """Service volumes (办件量) per unit and month."""


@volume_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Only validate the file.")
@with_appcontext
def volume_import_cmd(file: Path, check: bool) -> None:
    """Load `unit,month,volume` lines (UTF-8 CSV; a header and # comments allowed); replaces the same unit and
    month."""
    rt = runtime()
    text = file.read_text("utf-8-sig")
    try:
        with rt.db.transaction() as s:
            if check:
                from handlers.ranking import parse_volumes

                n = len(parse_volumes(text, [u.code for u in rt.settings.city.units]))
            else:
                n = service.import_volumes(s, rt, text, rt.now())
    except RankingError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'checked' if check else 'imported'} {n} service volumes")
