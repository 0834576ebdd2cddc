"""Supervisor binding cannot be hijacked (whistleblower safety, finding 1).

A bound supervisor can list their cases and 询问 a reporter through the account, so whoever holds the binding
must be the supervisor: codes are long, wrong guesses are counted per sender and per code, and a bound
supervisor is never moved to another WeChat without the office's confirmation — the old WeChat is told.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

from tests.conftest import Clock
from tests.conftest import WeChat
from tests.integration.test_cases_flow import rows


def _code(app, supervisor_id: str) -> str:  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["supervisor", "bind-code", supervisor_id])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


def _bound(db_url: str, supervisor_id: str) -> str | None:
    found = rows(db_url, f"SELECT pseudonym FROM supervisor_bindings WHERE supervisor_id = '{supervisor_id}'")
    return found[0][0] if found else None


def test_codes_are_long_and_a_six_digit_guess_binds_nothing(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    code = _code(app, "sup_bdc")
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}", code)
    assert "无效" in (wechat.text("绑定 123456", "o_guesser") or "")
    assert _bound(db_url, "sup_bdc") is None
    # Typed in lower case, without the dash, with a full-width colon: still the code.
    assert "绑定成功" in (wechat.text(f"绑定：{code.replace('-', '').lower()}", "o_real_sup") or "")


def test_a_sender_is_locked_after_five_wrong_codes_even_with_the_right_one(app, wechat: WeChat, clock: Clock,
                                                                           db_url: str) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    code = _code(app, "sup_gaj")
    for i in range(5):
        assert "无效" in (wechat.text(f"绑定 AAAAA-BBBB{i + 2}", "o_attacker") or "")
    reply = wechat.text(f"绑定 {code}", "o_attacker") or ""
    assert "尝试次数过多" in reply and _bound(db_url, "sup_gaj") is None
    clock.now += timedelta(hours=25)  # the lock ends; the code (24 h) has expired meanwhile
    assert "无效" in (wechat.text(f"绑定 {code}", "o_attacker") or "")


def test_guesses_from_many_senders_void_the_waiting_code(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    code = _code(app, "sup_rsj")
    for i in range(20):  # twenty senders, one guess each: no sender is locked, the code is voided
        wechat.text(f"绑定 CCCCC-DDDD{i % 8 + 2}", f"o_botnet_{i}")
    assert "无效" in (wechat.text(f"绑定 {code}", "o_real_rsj") or "")
    assert _bound(db_url, "sup_rsj") is None
    fresh = _code(app, "sup_rsj")  # the office issues a new one
    assert "绑定成功" in (wechat.text(f"绑定 {fresh}", "o_real_rsj") or "")


def test_a_bound_supervisor_moves_only_when_the_office_confirms_and_the_old_wechat_is_told(
    app, wechat: WeChat, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    assert "绑定成功" in (wechat.text(f"绑定 {_code(app, 'sup_bdc')}", "o_sup_phone_1") or "")
    original = _bound(db_url, "sup_bdc")
    reply = wechat.text(f"绑定 {_code(app, 'sup_bdc')}", "o_new_phone") or ""
    assert "治庸办确认后生效" in reply
    assert _bound(db_url, "sup_bdc") == original, "a code alone never moves a bound supervisor"
    # The new WeChat is not a supervisor yet: 待办 is not a supervisor command for it.
    assert "待办工单" not in (wechat.text("待办", "o_new_phone") or "")
    warned = rows(db_url, "SELECT recipient, payload FROM outbox WHERE purpose = 'rebind' ORDER BY id")
    assert [r for r, _ in warned] == [original]
    assert "更换微信绑定的申请" in (json.loads(warned[0][1]) if isinstance(warned[0][1], str) else warned[0][1])["text"]
    listed = json.loads(app.test_cli_runner().invoke(args=["supervisor", "list", "--json"]).output)
    assert next(s for s in listed if s["id"] == "sup_bdc")["rebind_waiting"] is True

    confirmed = app.test_cli_runner().invoke(args=["supervisor", "confirm-rebind", "sup_bdc"])
    assert confirmed.exit_code == 0, confirmed.output
    assert _bound(db_url, "sup_bdc") not in (None, original)
    assert [r for r, _ in rows(db_url, "SELECT recipient, payload FROM outbox WHERE purpose = 'rebind'")] == [
        original,
        original,
    ]
    again = app.test_cli_runner().invoke(args=["supervisor", "confirm-rebind", "sup_bdc"])
    assert again.exit_code != 0 and "no rebind is waiting" in again.output


def test_the_office_can_refuse_a_rebind(app, wechat: WeChat, db_url: str) -> None:  # type: ignore[no-untyped-def]
    wechat.text(f"绑定 {_code(app, 'sup_zjj')}", "o_sup_zjj")
    original = _bound(db_url, "sup_zjj")
    wechat.text(f"绑定 {_code(app, 'sup_zjj')}", "o_intruder")
    refused = app.test_cli_runner().invoke(args=["supervisor", "reject-rebind", "sup_zjj"])
    assert refused.exit_code == 0, refused.output
    assert app.test_cli_runner().invoke(args=["supervisor", "confirm-rebind", "sup_zjj"]).exit_code != 0
    assert _bound(db_url, "sup_zjj") == original
