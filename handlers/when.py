"""When did it happen: Chinese date words (今天上午, 昨天下午, 上周五, 11月20日 …) turned into a calendar day.

`find_when` looks for a date expression inside a complaint; `parse_when` reads the answer to "什么时候发生的",
where vague words (上个月, 记不清) are accepted without a day. Both keep the citizen's original words. Pure: the
reference time is always passed in and interpreted in the city's time zone (Asia/Shanghai by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from handlers.config import DEFAULT_TIMEZONE

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

# Full-width digits and letters → ASCII, one character for one, so spans still point into the original text.
_HALF = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_N = r"(?:\d{1,2}|[一二三四五六七八九十两]{1,3})"
_YEAR = r"(?:\d{4}|[零〇一二三四五六七八九]{4})"
# A part of the day and a clock time may follow any day: 昨天下午3点半, 11月20日上午.
_TAIL = (
    r"(?:\s*(?:凌晨|清晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜))?"
    r"(?:\s*(?:\d{1,2}|[一二三四五六七八九十两]{1,3})\s*(?:点|时|:|：)\s*(?:半|多|钟|\d{1,2}\s*分?)?)?"
)
# What a number followed by 号 means when it is not a day of the month.
_NOT_A_DAY = r"(?!\s*(?:窗|楼|柜|台|线|门|机|房|室|文|件|床|桌|位|口|车|路|院|厅|栋|单元|通道|码|人|办|内|后|以|之))"

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(f"(?:{pattern}){_TAIL}"))
    for name, pattern in (
        ("ymd", rf"(?P<y>{_YEAR})\s*年\s*(?P<m>{_N})\s*月\s*(?P<d>{_N})\s*[日号]?"),
        ("iso", r"(?<!\d)(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)"),
        ("md", rf"(?<![\d年个])(?P<m>{_N})\s*月\s*(?P<d>{_N})(?:\s*[日号]|(?![\d个号]))"),
        ("pmd", rf"(?P<rm>上上个?|上个?|这个?|本)月\s*(?P<d>{_N})\s*[日号]?"),
        ("d", rf"(?<![\d月年第])(?P<d>{_N})\s*[日号]{_NOT_A_DAY}"),
        ("ago", rf"(?P<n>{_N})\s*(?P<unit>天|个?星期|周|个?礼拜)\s*(?:以前|之前|前)"),
        (
            "week",
            r"(?<![每到至~～\-、和])(?P<w>上上|上个|上|这个|这|本|下下|下个|下)?\s*(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
            r"(?!\s*[到至\-~～和、])",
        ),
        # 今天天气 / 刚才那个 / 刚才说的: words about the conversation, not when the thing happened.
        (
            "rel",
            r"大前天|前天|昨天|昨日|昨晚|昨夜|昨儿|今早|今晚|今儿|大后天|后天|明天|明早|明晚"
            r"|(?:今天|今日)(?!\s*(?:天气|怎么样|几号|星期几|周几|是几|有空|下雨|很热|好冷))"
            r"|(?:刚才|刚刚)(?!\s*(?:那|这|说|讲|问|提|发|的|是|不是))",
        ),
    )
)
# Every pattern above needs one of these characters (月 ymd/md/pmd, 日号 d, 天周期拜 ago/week, 天日晚夜儿早刚 rel)
# or a digit, a separator and a digit (iso): most messages have none, and one search then spares the eight.
_MAY_NAME_A_DAY = re.compile(r"[月日号天周期拜晚夜儿早刚]|\d[-/.]\d")
# What _HALF changes: a text without any of it is its own half-width form (str.translate looks up every char).
_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")
# Only in an answer to "when": a bare part of the day means today (下午 → 今天下午).
_BARE_PART = re.compile(r"^(?:凌晨|清晨|早上|早晨|上午|中午|下午|傍晚|晚上)" + _TAIL)
_VAGUE = re.compile(
    r"前几天|这几天|那几天|几天前|好几天前|前段时间|前阵子|上上周|上周|上个?星期|上个?礼拜|上个月|这个月|本月|月初|月中|"
    r"月底|上半年|下半年|今年|去年|前年|最近|近期|不久前|很久以前|之前|以前"
)
_UNKNOWN = re.compile(r"记不清|不确定|记不得|不记得|忘了|忘记了|不清楚|不知道|说不准|说不清|想不起")
_RELATIVE_DAYS = {
    "大前天": -3, "前天": -2, "昨天": -1, "昨日": -1, "昨晚": -1, "昨夜": -1, "昨儿": -1,
    "今天": 0, "今日": 0, "今早": 0, "今晚": 0, "今儿": 0, "刚才": 0, "刚刚": 0,
    "明天": 1, "明早": 1, "明晚": 1, "后天": 2, "大后天": 3,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class When:
    """A time the citizen gave: the day when it can be known, and always their own words."""

    day: date | None
    words: str
    start: int = 0
    end: int = 0
    vague: bool = False  # words without a day (上个月, 记不清): accepted, but nothing to compute


def today_in(now: datetime, tz: str = DEFAULT_TIMEZONE) -> date:
    """The calendar day it is at `now` (aware) in the city's zone."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(tz)).date()


def cn_number(text: str) -> int | None:
    """12, 十二, 二十三, 二〇二六 → int; None for anything else."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in _CN_DIGIT and ch != "十" for ch in text):
        return None
    if "十" not in text:
        # Written digit by digit, as years are: 二〇二六.
        value = 0
        for ch in text:
            value = value * 10 + _CN_DIGIT[ch]
        return value
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return None
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day_of(name: str, m: re.Match[str], today: date) -> date | None:
    """The calendar day a match stands for; None when the words do not make a valid date."""
    g = m.groupdict()
    if name in ("ymd", "iso"):
        year, month, day = cn_number(g["y"]), cn_number(g["m"]), cn_number(g["d"])
        if year is None or month is None or day is None:
            return None
        return _safe_date(year, month, day)
    if name == "md":
        month, day = cn_number(g["m"]), cn_number(g["d"])
        if month is None or day is None:
            return None
        found = _safe_date(today.year, month, day)
        if found is not None and found > today:
            # Nobody reports what has not happened yet: 12月30日 said in January is last year's.
            found = _safe_date(today.year - 1, month, day)
        return found
    if name == "pmd":
        day = cn_number(g["d"])
        if day is None:
            return None
        back = {"上上": 2, "上上个": 2, "上": 1, "上个": 1}.get(g["rm"], 0)
        first = today.replace(day=1)
        for _ in range(back):
            first = (first - timedelta(days=1)).replace(day=1)
        return _safe_date(first.year, first.month, day)
    if name == "d":
        day = cn_number(g["d"])
        if day is None or not 1 <= day <= 31:
            return None
        found = _safe_date(today.year, today.month, day)
        if found is None or found > today:
            last_month = today.replace(day=1) - timedelta(days=1)
            found = _safe_date(last_month.year, last_month.month, day)
        return found
    if name == "ago":
        n = cn_number(g["n"])
        if n is None or n > 366:
            return None
        return today - timedelta(days=n if g["unit"] == "天" else 7 * n)
    if name == "week":
        weekday = _WEEKDAY.get(g["wd"], int(g["wd"]) - 1 if g["wd"].isdigit() else None)
        if weekday is None:
            return None
        monday = today - timedelta(days=today.weekday())
        weeks = {"上上": -2, "上个": -1, "上": -1, "下下": 2, "下个": 1, "下": 1}.get(g["w"] or "", 0)
        found = monday + timedelta(days=weekday + 7 * weeks)
        if not g["w"] and found > today:
            # A bare 周五 said on a Wednesday means the last one.
            found -= timedelta(days=7)
        return found
    return today + timedelta(days=_RELATIVE_DAYS[m.group(0)[: 3 if m.group(0).startswith("大") else 2]])


def find_when(text: str, now: datetime, tz: str = DEFAULT_TIMEZONE) -> When | None:
    """The first expression inside `text` that names a day (未来的日期 included; the caller decides)."""
    half = text.translate(_HALF) if _FULL_WIDTH.search(text) else text
    if not _MAY_NAME_A_DAY.search(half):
        return None
    today = today_in(now, tz)
    best: When | None = None
    for name, pattern in _PATTERNS:
        for m in pattern.finditer(half):
            day = _day_of(name, m, today)
            if day is None:
                continue
            found = When(day=day, words=text[m.start() : m.end()].strip(), start=m.start(), end=m.end())
            if best is None or (found.start, -found.end) < (best.start, -best.end):
                best = found
            break
    return best


def parse_when(answer: str, now: datetime, tz: str = DEFAULT_TIMEZONE) -> When | None:
    """Read the answer to "什么时候发生的": a day, or vague words kept as they are, or None if it is no time."""
    found = find_when(answer, now, tz)
    if found is not None:
        return found
    stripped = answer.strip()
    half = stripped.translate(_HALF)
    bare = _BARE_PART.match(half)
    if bare:
        return When(day=today_in(now, tz), words=stripped[: bare.end()].strip(), start=0, end=bare.end())
    for pattern in (_UNKNOWN, _VAGUE):
        m = pattern.search(half)
        if m:
            return When(day=None, words=stripped, start=0, end=len(stripped), vague=True)
    return None
