"""Operator commands: `flask --app bot db …`, `flask --app bot chat`, and the groups other modules own."""

from __future__ import annotations

import sys

import click
import requests
from flask import Flask
from flask.cli import AppGroup
from flask.cli import with_appcontext

from bot.runtime import runtime
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content
from storage import migrate

db_cli = AppGroup("db", help="Database schema migrations (Alembic).")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    url = runtime().settings.env.database_url
    migrate.upgrade(url, revision)
    click.echo(f"database at revision {migrate.current(url)}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base)."""
    url = runtime().settings.env.database_url
    migrate.downgrade(url, revision)
    click.echo(f"database at revision {migrate.current(url)}")


@db_cli.command("current")
def db_current() -> None:
    click.echo(migrate.current(runtime().settings.env.database_url) or "(empty database)")


_CHAT_HELP = """命令：/subscribe 关注  /unsubscribe 取消关注  /click KEY 菜单(REPORT/QUERY/MY_CASES/HELP)
      /scan unit=bdc;window=5 扫码  /voice 文字 语音  /image 图片  /location 位置  /quit 退出"""


def _chat_xml(line: str, openid: str) -> str:
    cmd, _, arg = line.partition(" ")
    if not line.startswith("/"):
        return message_xml("text", sender=openid, Content=line)
    if cmd == "/subscribe":
        return message_xml("event", sender=openid, Event="subscribe", EventKey=f"qrscene_{arg}" if arg else None)
    if cmd == "/unsubscribe":
        return message_xml("event", sender=openid, Event="unsubscribe")
    if cmd == "/click":
        return message_xml("event", sender=openid, Event="CLICK", EventKey=arg or "HELP")
    if cmd == "/scan":
        return message_xml("event", sender=openid, Event="SCAN", EventKey=arg or "unit=bdc;window=1")
    if cmd == "/voice":
        return message_xml("voice", sender=openid, MediaId="chat_voice", Format="amr", Recognition=arg)
    if cmd == "/image":
        return message_xml("image", sender=openid, MediaId="chat_image", PicUrl="http://127.0.0.1/chat.jpg")
    if cmd == "/location":
        return message_xml(
            "location", sender=openid, Location_X=29.841, Location_Y=114.322, Scale=15, Label=arg or "咸宁市咸安区"
        )
    raise click.BadParameter(f"unknown command {cmd}")


@click.command("chat")
@with_appcontext
@click.option("--openid", default="o_demo_1", show_default=True, help="The citizen you play.")
@click.option("--url", default="http://127.0.0.1:5000/wechat", show_default=True, help="The running server's webhook.")
@click.option("--no-subscribe", is_flag=True, help="Do not send the follow event first.")
def chat(openid: str, url: str, no_subscribe: bool) -> None:
    """Talk to the running server as WeChat would: each line is signed, encrypted and POSTed to /wechat."""
    settings = runtime().settings
    signer = PushSigner(
        token=settings.env.wechat_token,
        aes_key=settings.env.wechat_aes_key,
        app_id=settings.env.wechat_app_id,
        mode=settings.wechat_mode,
    )
    http = requests.Session()

    def send(xml: str) -> None:
        push = signer.sign(xml, openid=openid)
        try:
            resp = http.post(url, params=push.query, data=push.body, timeout=10)
        except requests.RequestException as exc:
            raise click.ClickException(f"cannot reach {url}: {exc}. Is the server running (make run)?") from None
        if resp.status_code != 200:
            click.secho(f"[HTTP {resp.status_code}] {resp.text[:200]}", fg="red", err=True)
            return
        content = reply_content(signer.open_reply(resp.text))
        click.secho(f"公众号> {content}" if content else "公众号> (无回复)", fg="green")

    click.echo(_CHAT_HELP)
    if not no_subscribe:
        send(message_xml("event", sender=openid, Event="subscribe"))
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            click.echo("我> ", nl=False)
        line = sys.stdin.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        if line == "/quit":
            break
        try:
            send(_chat_xml(line, openid))
        except click.BadParameter as exc:
            click.secho(str(exc), fg="yellow", err=True)


def init_app(app: Flask) -> None:
    from bot.cli.calendar import calendar_cli
    from bot.cli.cases import audit_cli
    from bot.cli.cases import case_cli
    from bot.cli.cases import supervisor_cli
    from bot.cli.clock import clock_cli
    from bot.cli.demo import register as register_demo
    from bot.cli.inbound import deadletters_cli
    from bot.cli.inbound import reconcile
    from bot.cli.jobs import digest_cmd
    from bot.cli.jobs import jobs_cli
    from bot.cli.jobs import scheduler_cmd
    from bot.cli.nlp import nlp_cli
    from bot.cli.outbox import register as register_outbox
    from bot.console.corrections import corrections_cli
    from bot.console.ledger import ledger_cli
    from bot.console.open311 import open311_cli
    from bot.console.staff_admin import staff_cli

    for command in (db_cli, chat, calendar_cli, case_cli, supervisor_cli, audit_cli, jobs_cli, scheduler_cmd,
                    digest_cmd, reconcile, deadletters_cli, nlp_cli, staff_cli, ledger_cli, open311_cli,
                    corrections_cli, clock_cli):  # fmt: skip
        app.cli.add_command(command)
    register_outbox(app)
    register_demo(app)
