"""RELIABILITY 5.4 item 29 on the production stack: 50 concurrent identical pushes against gunicorn with 2 workers
on the production database → exactly one ledger row, one dialog turn, and 50 identical answers.

(tests/live/test_live_webhook.py does 30 on SQLite; tests/integration/test_webhook.py does 50 in-process.)
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from bench.services import server_env
from bot.wechat.push_builder import PushSigner
from bot.wechat.push_builder import message_xml
from storage.db import make_engine
from tests.live.server import start

pytestmark = pytest.mark.live


def test_fifty_concurrent_identical_pushes_on_two_workers_make_one_record(
    production_db_url: str, tmp_path: Path
) -> None:
    env = server_env(production_db_url, GUNICORN_ACCESSLOG="/dev/null")
    srv = start(env, tmp_path, workers=2)
    signer = PushSigner(token=env["WECHAT_TOKEN"], aes_key=env["WECHAT_AES_KEY"], app_id=env["WECHAT_APP_ID"])
    push = signer.sign(
        message_xml("text", sender="o_dedupe_pg", Content="同一条消息，发五十次", msg_id="6054768590064713728")
    )
    barrier = threading.Barrier(50)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def fire() -> None:
        barrier.wait(timeout=30)
        resp = requests.post(srv.url + "/wechat", params=push.query, data=push.body, timeout=30)
        with lock:
            answers.append((resp.status_code, resp.text))

    try:
        threads = [threading.Thread(target=fire) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        srv.stop()
    assert [code for code, _ in answers] == [200] * 50
    assert len({body for _, body in answers}) == 1, "every copy gets the identical (encrypted) answer"
    engine = make_engine(production_db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT msg_id, outcome FROM inbound_messages")).all()
            dialogs = conn.execute(sa.text("SELECT count(*) FROM dialogs")).scalar_one()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("6054768590064713728", "handled")]
    assert dialogs <= 1
