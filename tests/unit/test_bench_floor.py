"""bench/echo_floor.py, the webhook benchmark's floor: it must do the two things it claims (classify the text with
the city's classifier, write the push once) or the floor it reports is lower than any real turn could reach."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bench.services import server_env
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from bot.wechat.push_builder import reply_content

TEXT = "车管所办事窗口的人向我索要好处费才给办"


def _two_copies_of_one_push(target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    from bench import echo_floor

    env = server_env(f"sqlite:///{tmp_path}/unused.db", FLOOR_DB=target)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    app = echo_floor.create_app()
    client = app.test_client()
    signer = PushSigner(token=env["WECHAT_TOKEN"], aes_key=env["WECHAT_AES_KEY"], app_id=env["WECHAT_APP_ID"])
    push = signer.sign(message_xml("text", sender="o_floor_1", Content=TEXT))
    answers = []
    for _ in range(2):  # WeChat's retry of the same push: same MsgId
        resp = client.post("/wechat?" + urlencode(push.query), data=push.body, content_type="text/xml")
        assert resp.status_code == 200
        answers.append(reply_content(signer.open_reply(resp.get_data(as_text=True))))
    assert answers[0] == answers[1]
    assert answers[0] == "收到：吃拿卡要，市公安局交警支队车辆管理所"
    app.extensions["floor_store"].close()
    return answers


def test_the_floor_on_sqlite_classifies_writes_once_and_answers_encrypted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_copies_of_one_push(str(tmp_path / "floor.db"), tmp_path, monkeypatch)
    rows = sqlite3.connect(tmp_path / "floor.db").execute("SELECT sender, body, category FROM floor_ledger").fetchall()
    assert rows == [("o_floor_1", TEXT, "corruption")]


@pytest.mark.postgres
def test_the_floor_on_postgresql_writes_once(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    try:
        _two_copies_of_one_push(url, tmp_path, monkeypatch)
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT sender, body, category FROM floor_ledger").fetchall()
        assert rows == [("o_floor_1", TEXT, "corruption")]
    finally:
        with psycopg.connect(url, autocommit=True) as conn:  # not the product's schema: leave none of it behind
            conn.execute("DROP TABLE IF EXISTS floor_ledger")
