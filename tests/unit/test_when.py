"""Chinese date words to a calendar day, relative to an injected now in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from handlers.when import cn_number
from handlers.when import find_when
from handlers.when import parse_when
from handlers.when import today_in

# Friday 2026-11-27, 10:00 in Beijing.
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "day", "words"),
    [
        ("今天上午在社保局", date(2026, 11, 27), "今天上午"),
        ("昨天下午3点半去的", date(2026, 11, 26), "昨天下午3点半"),
        ("昨晚", date(2026, 11, 26), "昨晚"),
        ("前天", date(2026, 11, 25), "前天"),
        ("大前天", date(2026, 11, 24), "大前天"),
        ("刚才在窗口", date(2026, 11, 27), "刚才"),
        ("上周五下午", date(2026, 11, 20), "上周五下午"),
        ("上个星期一", date(2026, 11, 16), "上个星期一"),
        ("周三去的", date(2026, 11, 25), "周三"),  # a bare weekday is the last one
        ("星期天", date(2026, 11, 22), "星期天"),
        ("11月20日", date(2026, 11, 20), "11月20日"),
        ("11月20号上午", date(2026, 11, 20), "11月20号上午"),
        ("十一月二十日", date(2026, 11, 20), "十一月二十日"),
        ("2026年11月3日", date(2026, 11, 3), "2026年11月3日"),
        ("二〇二六年十一月三日", date(2026, 11, 3), "二〇二六年十一月三日"),
        ("2026-11-03", date(2026, 11, 3), "2026-11-03"),
        ("12月30日", date(2025, 12, 30), "12月30日"),  # not yet this year: last year's
        ("20号去的", date(2026, 11, 20), "20号"),
        ("30号", date(2026, 10, 30), "30号"),  # not yet this month: last month's
        ("上个月20号", date(2026, 10, 20), "上个月20号"),
        ("三天前", date(2026, 11, 24), "三天前"),
        ("两个星期前", date(2026, 11, 13), "两个星期前"),
        ("１１月２０日", date(2026, 11, 20), "１１月２０日"),  # full-width digits, original words kept
    ],
)
def test_find_when(text: str, day: date, words: str) -> None:
    found = find_when(text, NOW)
    assert found is not None
    assert (found.day, found.words, found.vague) == (day, words, False)
    assert text[found.start : found.end].strip() == words


@pytest.mark.parametrize(
    "text",
    ["在3号窗口", "5个工作日", "三日内办结", "周一到周五都没人", "2月30日", "每周一", "排了3个小时", "12345热线"],
)
def test_find_when_ignores_what_is_not_a_day(text: str) -> None:
    assert find_when(text, NOW) is None


def test_find_when_takes_the_first_expression_in_a_complaint() -> None:
    found = find_when("我昨天下午去不动产中心，他们说让我11月30日再来", NOW)
    assert found is not None and found.day == date(2026, 11, 26) and found.words == "昨天下午"


def test_a_future_date_is_returned_for_the_caller_to_refuse() -> None:
    found = find_when("这周六", NOW)
    assert found is not None and found.day == date(2026, 11, 28)


@pytest.mark.parametrize("answer", ["记不清了", "不记得", "忘了", "上个月", "前几天", "去年", "不确定"])
def test_parse_when_accepts_vague_answers_without_a_day(answer: str) -> None:
    found = parse_when(answer, NOW)
    assert found is not None and found.day is None and found.vague and found.words == answer


def test_parse_when_reads_a_bare_part_of_the_day_as_today() -> None:
    found = parse_when("下午三点左右", NOW)
    assert found is not None and found.day == date(2026, 11, 27) and found.words == "下午三点"


@pytest.mark.parametrize("answer", ["拍了这个", "是", "确认", "社保局"])
def test_parse_when_refuses_what_is_no_time(answer: str) -> None:
    assert parse_when(answer, NOW) is None


def test_today_is_the_day_in_beijing_not_in_utc() -> None:
    late = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 01:30 on the 28th in Beijing
    assert today_in(late) == date(2026, 11, 28)
    found = find_when("昨天", late)
    assert found is not None and found.day == date(2026, 11, 27)


def test_today_needs_an_aware_time() -> None:
    with pytest.raises(ValueError):
        today_in(datetime(2026, 11, 27, 10, 0))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("十", 10),
        ("十二", 12),
        ("二十三", 23),
        ("三十一", 31),
        ("二〇二六", 2026),
        ("两", 2),
        ("十十", None),
        ("abc", None),
    ],
)
def test_cn_number(text: str, value: int | None) -> None:
    assert cn_number(text) == value


@pytest.mark.parametrize(
    "text",
    ["２０２６年１１月２０日", "2026-11-20", "１１月２０号", "上个月5号", "20号", "三天前", "两个礼拜前", "上周五", "星期天",
     "今儿", "昨夜", "今早", "刚刚", "大前天", "２０２６．１１．２０"],
)  # fmt: skip
def test_every_pattern_passes_the_cheap_check_before_the_patterns(text: str) -> None:
    from handlers import when

    assert when._MAY_NAME_A_DAY.search(text.translate(when._HALF))
    assert find_when(text, NOW) is not None


def test_a_text_without_any_date_character_is_not_searched_and_finds_nothing() -> None:
    assert find_when("窗口的人态度很差，让我跑了三趟", NOW) is None
    assert find_when("２０２６", NOW) is None  # full-width digits alone name no day
