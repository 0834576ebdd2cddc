"""`flask --app bot chat`: talk to a running server as WeChat would, from a terminal (development and support)."""

from __future__ import annotations

import sys

import click
import requests
from flask.cli import with_appcontext

from bot.runtime import runtime
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content

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
