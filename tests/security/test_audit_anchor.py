"""The audit chain is anchored outside the database (finding 11): a signed daily checkpoint records every case's
event count and head, so deleting a case's last event — which no hash chain can show by itself — is caught, and
so is an edited or removed checkpoint."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

from bot.runtime import runtime
from bot.service import audit_anchor
from tests.conftest import Clock
from tests.conftest import WeChat
from tests.conftest import tamper_audit
from tests.integration.test_cases_flow import file_complaint


def _verify(app) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_deleting_a_cases_last_event_is_caught_by_the_checkpoint(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    number = file_complaint(wechat)
    assert _verify(app)[0] == 0
    written = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert written.exit_code == 0 and "1 cases" in written.output, written.output
    code, out = _verify(app)
    assert code == 0 and "anchored by checkpoint" in out, out
    tamper_audit(db_url, "DELETE FROM case_events WHERE seq = (SELECT max(seq) FROM case_events)")
    code, out = _verify(app)
    assert code == 1 and f"BROKEN {number}: has fewer events than checkpoint" in out, out


def test_an_edited_or_missing_checkpoint_is_reported(app, wechat: WeChat, clock: Clock, db_url: str) -> None:  # type: ignore[no-untyped-def]
    file_complaint(wechat)
    rt = runtime(app)
    folder = audit_anchor.checkpoint_dir(rt)
    for day in range(3):
        rt.clock = lambda day=day: clock.now + timedelta(days=day)
        audit_anchor.write_checkpoint(rt, rt.now())
    files = sorted(Path(folder).glob("checkpoint-*.json"))
    assert len(files) == 3 and all(oct(f.stat().st_mode)[-3:] == "400" for f in files)
    assert "already written" in audit_anchor.write_checkpoint(rt, rt.now())  # never overwritten
    assert _verify(app)[0] == 0

    middle = files[1]
    os.chmod(middle, 0o600)
    payload = json.loads(middle.read_text("utf-8"))
    payload["cases"][0][1] += 5  # claim more events than there were
    middle.write_text(json.dumps(payload), "utf-8")
    code, out = _verify(app)
    assert code == 1 and f"CHECKPOINT {middle.name}: signature does not match" in out, out
    middle.unlink()
    code, out = _verify(app)
    assert code == 1 and f"CHECKPOINT {files[2].name}: does not follow" in out, out
