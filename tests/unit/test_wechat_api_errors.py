"""Error classification, log-safe descriptions, template rendering, the supervisor guard and the rate limiter."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.wechat.errors import ErrorKind
from bot.wechat.errors import WechatApiError
from bot.wechat.errors import classify
from bot.wechat.errors import describe
from bot.wechat.sender import RateLimiter
from bot.wechat.sender import next_midnight_shanghai
from bot.wechat.templates import Unsendable
from bot.wechat.templates import render_template
from bot.wechat.templates import supervisor_payload_problem
from storage.outbox import backoff
from tests.planted import ID_WRITINGS
from tests.planted import PHONE_WRITINGS


@pytest.mark.parametrize(
    ("errcode", "kind"),
    [
        (-1, ErrorKind.RETRYABLE),
        (45011, ErrorKind.RETRYABLE),
        (40001, ErrorKind.TOKEN),
        (40014, ErrorKind.TOKEN),
        (42001, ErrorKind.TOKEN),
        (43004, ErrorKind.PERMANENT),
        (40003, ErrorKind.PERMANENT),
        (43101, ErrorKind.PERMANENT),
        (40037, ErrorKind.PERMANENT),
        (47003, ErrorKind.PERMANENT),
        (45015, ErrorKind.FALLBACK),
        (45047, ErrorKind.FALLBACK),
        (45009, ErrorKind.QUOTA),
        (40164, ErrorKind.FATAL_CONFIG),
        (40013, ErrorKind.FATAL_CONFIG),
        (40125, ErrorKind.FATAL_CONFIG),
        (99999, ErrorKind.RETRYABLE),  # unknown: retried, bounded by the attempt cap
    ],
)
def test_errcodes_are_classified(errcode: int, kind: ErrorKind) -> None:
    assert classify(errcode) is kind


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (None, ErrorKind.RETRYABLE),
        (500, ErrorKind.RETRYABLE),
        (502, ErrorKind.RETRYABLE),
        (429, ErrorKind.RETRYABLE),
        (404, ErrorKind.FATAL_CONFIG),
    ],
)
def test_http_failures_without_errcode_are_classified(status: int | None, kind: ErrorKind) -> None:
    assert classify(None, http_status=status) is kind


def test_a_credential_error_on_the_token_endpoint_is_configuration_not_a_stale_token() -> None:
    assert classify(40001, endpoint="stable_token") is ErrorKind.FATAL_CONFIG
    assert classify(40164, endpoint="stable_token") is ErrorKind.FATAL_CONFIG
    assert classify(-1, endpoint="stable_token") is ErrorKind.RETRYABLE
    assert classify(45009, endpoint="stable_token") is ErrorKind.QUOTA


def test_descriptions_never_echo_openids_tokens_or_request_ids() -> None:
    openid = "oABCD1234567890abcdefghijkl"
    text = describe(48999, f"invalid openid {openid} hint: [xyz] rid: 6566e1a2-1234")
    assert openid not in text and "rid" not in text and "hint" not in text
    assert describe(43004, "require subscribe hint: [oABCD1234567890abcdefghijkl]") == (
        "recipient does not follow the account"
    )
    err = WechatApiError(ErrorKind.PERMANENT, 43004, describe(43004), "message/custom/send")
    assert str(err) == "message/custom/send: 43004 recipient does not follow the account [permanent]"
    assert "HTTP 502" in str(WechatApiError(ErrorKind.RETRYABLE, None, "x", "e", http_status=502))


def test_backoff_doubles_from_30_seconds_up_to_an_hour() -> None:
    assert [int(backoff(n).total_seconds()) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.mark.parametrize(
    ("now", "midnight"),
    [
        (datetime(2026, 11, 27, 2, 0, tzinfo=UTC), datetime(2026, 11, 27, 16, 0, tzinfo=UTC)),
        (datetime(2026, 11, 27, 15, 59, tzinfo=UTC), datetime(2026, 11, 27, 16, 0, tzinfo=UTC)),
        (datetime(2026, 11, 27, 16, 0, tzinfo=UTC), datetime(2026, 11, 28, 16, 0, tzinfo=UTC)),
        (datetime(2026, 12, 31, 17, 0, tzinfo=UTC), datetime(2027, 1, 1, 16, 0, tzinfo=UTC)),
    ],
)
def test_quota_resets_at_midnight_in_shanghai(now: datetime, midnight: datetime) -> None:
    assert next_midnight_shanghai(now) == midnight


NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")
TEMPLATES = {"case_update": "tpl_case", "supervisor_notice": "tpl_sup"}


def test_case_update_template_fits_wechats_limits() -> None:
    fields = {
        "kind": "case_update",
        "case_number": "ZY2611270001",
        "state": "已签收并转交办理",
        "note": "第一行\n第二行，这是一段很长很长很长很长很长很长的说明文字",
        "time": "2026-11-27 10:00",
    }
    template_id, data, url = render_template(fields, templates=TEMPLATES, template_url="https://x.cn/q", now=NOW, tz=TZ)
    assert template_id == "tpl_case" and url == "https://x.cn/q"
    assert data["character_string1"] == {"value": "ZY2611270001"}
    assert len(data["phrase2"]["value"]) <= 5
    assert len(data["thing3"]["value"]) <= 20 and "\n" not in data["thing3"]["value"]
    assert data["time4"] == {"value": "2026-11-27 10:00"}


def test_supervisor_template_carries_counts_and_the_link_only() -> None:
    fields = {"kind": "supervisor_notice", "notice": "催办", "count_new": 3, "count_overdue": 1,
              "link": "https://x.cn/console/c/1"}  # fmt: skip
    template_id, data, url = render_template(fields, templates=TEMPLATES, template_url=None, now=NOW, tz=TZ)
    assert template_id == "tpl_sup" and url == "https://x.cn/console/c/1"
    assert data == {
        "number1": {"value": "3"},
        "number2": {"value": "1"},
        "thing3": {"value": "催办：请登录督办台查看处理"},  # the template says what the notice is
        "time4": {"value": "2026-11-27 10:00"},
    }
    fields["notice"] = "新派单"
    assert render_template(fields, templates=TEMPLATES, template_url=None, now=NOW, tz=TZ)[1]["thing3"] == {
        "value": "新派单：请登录督办台查看处理"
    }


def test_unknown_kind_or_missing_template_id_is_parked() -> None:
    with pytest.raises(Unsendable, match="unknown template kind"):
        render_template({"kind": "digest"}, templates=TEMPLATES, template_url=None, now=NOW, tz=TZ)
    with pytest.raises(Unsendable, match="no template id"):
        render_template({"kind": "case_update"}, templates={}, template_url=None, now=NOW, tz=TZ)


GOOD = {
    "text": "新工单 ZY2611270001 待签收。您当前有 1 件待签收、0 件超期工单，请登录督办台处理："
    "https://zy.example.gov.cn/console/cases/13812345678abc",
    "template": {
        "kind": "supervisor_notice",
        "count_new": 1,
        "count_overdue": 0,
        "link": "https://zy.example.gov.cn/c",
    },
}


def test_the_supervisor_guard_accepts_counts_and_links() -> None:
    assert supervisor_payload_problem(GOOD, "o_sup_1") is None  # digits inside the URL are not a phone number


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({**GOOD, "complaint": "..."}, "unexpected keys"),
        ({**GOOD, "template": {**GOOD["template"], "excerpt": "态度恶劣"}}, "beyond counts and link"),
        ({**GOOD, "template": {**GOOD["template"], "kind": "case_update"}}, "kind"),
        ({**GOOD, "template": {**GOOD["template"], "count_new": "很多"}}, "not a number"),
        ({**GOOD, "template": {**GOOD["template"], "link": "javascript:alert(1)"}}, "not a URL"),
        ({"text": "举报人电话 13812345678"}, "phone or ID"),
        ({"text": "身份证 42120219900101123X"}, "phone or ID"),
        ({"text": "x" * 301}, "short string"),
        ({"text": "来自 o_sup_1 的消息"}, "openid"),
    ],
)
def test_the_supervisor_guard_refuses_anything_else(payload: dict, reason: str) -> None:  # type: ignore[type-arg]
    problem = supervisor_payload_problem(payload, "o_sup_1")
    assert problem is not None and reason in problem


@pytest.mark.parametrize("writing", [*PHONE_WRITINGS, *ID_WRITINGS])
def test_the_supervisor_guard_sees_a_number_in_any_writing(writing: str) -> None:
    problem = supervisor_payload_problem({**GOOD, "text": f"举报人电话 {writing}，请登录督办台"}, "o_sup_1")
    assert problem is not None and "phone or ID" in problem


def test_the_rate_limiter_keeps_every_one_second_window_under_the_limit() -> None:
    t = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        t[0] += seconds

    limiter = RateLimiter(20, clock=lambda: t[0], sleep=sleep)
    stamps = []
    for _ in range(70):
        limiter.wait()
        stamps.append(t[0])
        t[0] += 0.001  # a fast send
    for i, start in enumerate(stamps):
        assert sum(1 for s in stamps[i:] if s - start < 1.0) <= 20
    assert stamps[-1] >= 3.0  # 70 sends at 20/s need at least three full seconds
