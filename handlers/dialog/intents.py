"""Recognising what a short message means: 取消, 说完了, 是/不是, a choice, a case number, a correction, a name.

Pure functions over text and the city's unit list; no state and no decisions. Whole-message words (取消, 好了)
are matched on a compact form — NFKC, lower case, no spaces, punctuation or emoji — with polite particles
allowed around them, so "算了，不反映了！" cancels while a long complaint that merely contains 算了 does not.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from handlers.cases_view import normalize_case_number
from handlers.config import CityConfig
from handlers.masking import find_mobile_span
from handlers.when import cn_number
from nlp.text import normalize
from nlp.types import Classification


def compact(text: str | None) -> str:
    """NFKC, simplified, lower-case text with only letters, digits and ideographs left: 確認 and 确认 are one word."""
    if not text:
        return ""
    return _compact(text)


class _Keep(dict[int, int | None]):
    """A str.translate table that keeps letters and digits (Unicode categories L*, N*) and drops everything else.

    Each character's category is looked up once and remembered (at most `_REMEMBER` characters), so a new
    citizen's long first message costs one translate, not a Python generator step per character.
    """

    def __missing__(self, code: int) -> int | None:
        keep = code if unicodedata.category(chr(code))[0] in "LN" else None
        if len(self) < _REMEMBER:
            self[code] = keep
        return keep


_REMEMBER = 40_000
_KEEP = _Keep()


@functools.lru_cache(maxsize=4096)  # a turn asks for the same text's compact form several times
def _compact(text: str) -> str:
    return simplified(text).lower().translate(_KEEP)


@functools.lru_cache(maxsize=4096)
def simplified(text: str) -> str:
    """NFKC (full-width → half-width), traditional → simplified, lower case (`nlp.text.normalize`): for matching
    only; what the citizen wrote is always kept as written."""
    return normalize(unicodedata.normalize("NFKC", text))


def meaningful_length(text: str | None) -> int:
    """How many letters, digits and ideographs `text` has (emoji and punctuation do not count)."""
    return len(compact(text))


_LEAD = r"(?:嗯+|哦+|噢|那|那就|好吧|我|我们)?"
_TAIL = r"(?:吧|了|啊|呀|哈|呢|的|哦|啦|嘛|哇|吗|谢谢|谢谢你|谢谢您|麻烦了)*"


def _words(*words: str) -> re.Pattern[str]:
    alternatives = "|".join(sorted(words, key=len, reverse=True))
    return re.compile(rf"^{_LEAD}(?:(?:{alternatives}){_TAIL})+$")


_CANCEL = _words(
    "取消", "算了", "不反映了", "不想反映", "不反映", "不投诉", "不举报", "不想投诉", "不想举报", "退出", "撤销", "放弃",
    "不要了", "取消反映", "取消投诉", "不弄了",
)  # fmt: skip
_RESTART = _words("重新开始", "重新反映", "重来", "重新填", "重新填写", "重新来", "从头开始", "重新说")
_CONTINUE = _words("继续", "接着", "继续填写", "接着填", "接着说", "继续反映", "好", "好的", "是", "嗯", "可以", "ok")
_DONE = _words(
    "说完了", "说完", "没有了", "没了", "好了", "就这些", "就这样", "完了", "结束", "完成", "就这么多", "没别的",
    "没有别的", "没有其他", "差不多", "可以了", "行了", "发完了", "发完", "讲完了", "讲完", "没有", "ok", "好", "好的",
    "没有要补充的", "没有补充", "没什么了", "没啥了", "不说了", "就说这么多", "就是这些", "就是这样", "就这些了",
    "没别的了", "其他没有了", "其他没了", "别的没有了", "就这么些",
)  # fmt: skip
_NONE = _words(
    "没有", "没", "无", "好了", "发完了", "发完", "没有了", "没了", "就这些", "没有照片", "没有材料", "没有证据", "没拍",
    "没拍照", "不用", "不用了", "不需要", "没有视频", "完成", "结束", "可以了", "行了", "好", "好的", "ok", "没录",
    "没有录音", "不发了", "跳过",
)  # fmt: skip
_CLEAR = _words("删除", "删掉", "清空", "删除照片", "删除材料", "清空材料", "重新发", "删了", "都删了")
_YES = _words(
    "是",
    "对",
    "是的",
    "对的",
    "嗯",
    "没错",
    "正确",
    "就是",
    "是这个",
    "就是这个",
    "对就是",
    "ok",
    "好",
    "好的",
    "y",
    "yes",
)
_NO = _words("不是", "不对", "错了", "否", "不", "不是这个", "都不是", "n", "no", "不是这里", "不是这家")
_UNSURE = _words("不确定", "不知道", "不清楚", "不晓得", "说不清", "不记得", "忘了", "不太确定", "不太清楚", "不懂")
_CONFIRM = _words(
    "确认", "确定", "提交", "确认提交", "确定提交", "是", "对", "好", "好的", "没问题", "可以", "ok", "行", "没错", "是的",
    "对的", "嗯", "确认无误", "无误", "就这样", "提交吧",
)  # fmt: skip
_AMEND = _words(
    "修改", "改", "改一下", "要改", "更改", "不对", "有错", "有误", "需要修改", "我要修改", "改改", "重新改"
)
_ANONYMOUS = _words(
    "1", "匿名", "匿名反映", "不留名", "不实名", "不要实名", "默认", "都行", "随便", "第一个", "选1", "一"
)
_REAL = _words("2", "实名", "实名反映", "留名", "留电话", "留下电话", "第二个", "选2", "二", "实名制")
_GREETING = _words(
    "你好", "您好", "在吗", "在不在", "有人吗", "有人在吗", "哈喽", "hello", "hi", "嗨", "喂", "早", "早上好", "中午好",
    "下午好", "晚上好", "哈+", "呵+", "嘿+", "嗯+", "哦+", "好", "好的", "ok", "收到", "知道了", "了解", "明白", "在",
    "你是谁", "你是机器人", "测试", "test", "1", "111+", "小助手", "客服", "人工", "人工客服", "请问",
)  # fmt: skip
_THANKS = _words(
    "谢谢", "多谢", "感谢", "谢了", "辛苦了", "辛苦", "谢谢你", "谢谢您", "thanks", "thankyou", "thx", "好的谢谢"
)
_HELP = _words(
    "帮助", "使用说明", "说明", "怎么用", "如何使用", "怎么反映", "怎么投诉", "怎么举报", "help", "菜单", "功能", "使用帮助",
    "怎么操作",
)  # fmt: skip
_REPORT = _words(
    "我要反映", "反映问题", "我要投诉", "投诉", "举报", "我要举报", "反映", "我要曝光", "曝光", "我有问题要反映",
    "我想反映", "我想投诉", "我想举报", "我要反映问题", "我有情况要反映", "反映情况", "我要反映情况", "有问题要反映",
)  # fmt: skip
_MY_CASES = _words(
    "我的反映", "我的工单", "我的投诉", "我的举报", "我反映的", "我提交的", "历史反映", "我的记录", "查看我的反映",
    "我反映的问题", "我的反映记录",
)  # fmt: skip
_QUERY_WORDS = _words("查询", "查进度", "进度", "进度查询", "查询进度", "查工单", "查一下", "办理进度", "查询工单")
_QUERY_PREFIX = re.compile(r"^\s*(?:查询进度|进度查询|查询工单|办理进度|查询|查进度|查工单|查一下|进度)\s*[:：]?\s*")
_SUPPLEMENT = re.compile(
    r"^\s*补充\s*[:：]?\s*([ZzＺｚ]\s*[YyＹｙ]\s*(?:[0-9０-９]\s*){9}[0-9０-９])(?![0-9０-９])\s*[:：,，。]?\s*", re.S
)
_APPEND = re.compile(r"^\s*(?:补充|补充一下|再补充|还有)\s*[:：,，]\s*(?P<x>\S.*)$", re.S)


def is_cancel(key: str) -> bool:
    return bool(key) and bool(_CANCEL.match(key))


def is_restart(key: str) -> bool:
    return bool(key) and bool(_RESTART.match(key))


def is_continue(key: str) -> bool:
    return bool(key) and bool(_CONTINUE.match(key))


def is_done(key: str) -> bool:
    return bool(key) and bool(_DONE.match(key))


def is_none(key: str) -> bool:
    return bool(key) and bool(_NONE.match(key))


def is_clear(key: str) -> bool:
    return bool(key) and bool(_CLEAR.match(key))


def is_yes(key: str) -> bool:
    return bool(key) and bool(_YES.match(key))


def is_no(key: str) -> bool:
    return bool(key) and bool(_NO.match(key))


def is_unsure(key: str) -> bool:
    return bool(key) and bool(_UNSURE.match(key))


def is_confirm(key: str) -> bool:
    return bool(key) and bool(_CONFIRM.match(key))


def is_amend(key: str) -> bool:
    return bool(key) and bool(_AMEND.match(key))


def is_greeting(key: str) -> bool:
    """Small talk and empty-looking messages ("?", an emoji) that deserve a guide, not a case."""
    return not key or bool(_GREETING.match(key))


def is_thanks(key: str) -> bool:
    return bool(key) and bool(_THANKS.match(key))


def is_help(key: str) -> bool:
    return bool(key) and bool(_HELP.match(key))


def is_report_intent(key: str) -> bool:
    return bool(key) and bool(_REPORT.match(key))


def is_my_cases(key: str) -> bool:
    return bool(key) and bool(_MY_CASES.match(key))


def identity_choice(key: str) -> str | None:
    """ "anonymous" or "real" for an answer to the identity question."""
    if _ANONYMOUS.match(key):
        return "anonymous"
    if _REAL.match(key):
        return "real"
    return None


def parse_choice(key: str, count: int) -> int | None:
    """1-based choice among `count` options from "2", "第二个", "选2"; None otherwise."""
    m = re.fullmatch(r"(?:第|选|选择)?(\d{1,2}|[一二三四五六七八九十])(?:个|项|号|条)?(?:吧|的)?", key)
    if not m:
        return None
    value = cn_number(m.group(1))
    return value if value is not None and 1 <= value <= count else None


@dataclass(frozen=True, slots=True)
class QueryCommand:
    number: str | None  # None: no number given (list, or the only case)
    malformed: bool = False  # something that was meant as a number but is not one


def parse_query(text: str | None) -> QueryCommand | None:
    """查询 ZY…, 进度, a bare case number, or a short message naming one (ZY… 怎么样了)."""
    if not text:
        return None
    key = compact(text)
    if _QUERY_WORDS.match(key):
        return QueryCommand(None)
    number = normalize_case_number(text)
    prefix = _QUERY_PREFIX.match(unicodedata.normalize("NFKC", text))
    if prefix:
        if number:
            return QueryCommand(number)
        rest = compact(text[prefix.end() :])
        if rest.startswith("zy") or rest.isdigit():
            return QueryCommand(None, malformed=True)
        return None
    if number and len(key) <= 30 and not key.startswith("补充"):
        return QueryCommand(number)
    return None


@dataclass(frozen=True, slots=True)
class SupplementCommand:
    number: str | None  # None when no (valid) number was given
    content: str  # the rest of the message, exactly as written ("" when the photos come next)
    bare: bool = False  # just "补充" / "我要补充": no number was even attempted


_SUPPLEMENT_BAD = re.compile(r"^\s*补充\s*[:：]?\s*(?:[ZzＺｚ]\s*[YyＹｙ]|\d{6,})")
_SUPPLEMENT_BARE = _words("补充", "我要补充", "补充材料", "补充情况", "补充证据", "补充反映", "追加材料")


def parse_supplement(text: str | None) -> SupplementCommand | None:
    """补充 ZY2611270001 内容 → the case number and the content as the citizen wrote it."""
    if not text:
        return None
    m = _SUPPLEMENT.match(text)
    if m:
        return SupplementCommand(normalize_case_number(m.group(1)), text[m.end() :].strip())
    if _SUPPLEMENT_BAD.match(text):
        return SupplementCommand(None, "")
    if _SUPPLEMENT_BARE.match(compact(text)):
        return SupplementCommand(None, "", bare=True)
    return None


def parse_append(text: str | None) -> str | None:
    """ "补充：…" without a case number, inside a draft: more words about what happened."""
    if not text:
        return None
    m = _APPEND.match(text)
    return m.group("x").strip() if m else None


def parse_scene(event_key: str | None, city: CityConfig, key: str = "unit") -> tuple[str, str | None] | None:
    """(unit, window) from a window QR scene `unit=<code>;window=<n>` (or `qrscene_…` on subscribe); with
    key="rate", from a rating QR scene `rate=<code>;window=<n>`."""
    if not event_key:
        return None
    raw = event_key.strip()
    if raw.startswith("qrscene_"):
        raw = raw[len("qrscene_") :]
    fields = dict(part.split("=", 1) for part in raw.split(";") if "=" in part)
    unit = fields.get(key, "").strip()
    if city.unit(unit) is None:
        return None
    window = fields.get("window", "").strip() or None
    if window is not None and not re.fullmatch(r"[0-9A-Za-z-]{1,8}", window):
        window = None
    return unit, window


def resolve_unit(text: str, city: CityConfig) -> str | None:
    """The unit whose name or alias appears in `text` (the longest mention wins); handling bodies never match."""
    norm = unicodedata.normalize("NFKC", text)
    best: tuple[int, int, str] | None = None
    for unit in city.units:
        for name in (unit.name, *unit.aliases):
            pos = norm.find(name)
            if pos >= 0:
                rank = (len(name), -pos, unit.code)
                if best is None or rank[:2] > best[:2]:
                    best = rank
    return best[2] if best else None


_WINDOW = re.compile(
    r"(?P<a>\d{1,3}|[一二三四五六七八九十]{1,3}|[A-Za-z]\d{0,3})\s*号?\s*(?:窗口|柜台|窗)|"
    r"窗口\s*(?:号)?\s*(?:是|为)?\s*(?P<b>\d{1,3}|[一二三四五六七八九十]{1,3}|[A-Za-z]\d{0,3})\s*号?"
)


def _window_value(raw: str) -> str:
    value = cn_number(raw)
    return str(value) if value is not None else raw.upper()


def find_window(text: str) -> str | None:
    """ "5" from 5号窗口 / 窗口5号 / 五号窗口, "A3" from A3窗口; None when no window is named."""
    m = _WINDOW.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    return _window_value(m.group("a") or m.group("b"))


# One or more lead-ins, as people pile them up: "不对，我说错了，是医保局".
_LEAD_WORDS = r"(?:不对|错了|说错了|我说错了|搞错了|弄错了|写错了|打错了|更正一下|更正|改一下|修改一下|纠正一下|应该是|其实是|我的意思是)"
_LEAD_FIX = rf"^(?:{_LEAD_WORDS}[，,。.！!、\s]*)*"
_SET = r"(?:应该)?(?:是|改成|改为|换成|写成|填)\s*[:：]?\s*"
_FIX_UNIT = re.compile(_LEAD_FIX + r"(?:被反映的?单位|反映的?单位|单位|部门|机关)" + _SET + r"(?P<x>.+)$")
_FIX_WHEN = re.compile(_LEAD_FIX + r"(?:发生的?时间|时间|日期|时候|那天)" + _SET + r"(?P<x>.+)$")
_FIX_WINDOW = re.compile(_LEAD_FIX + r"(?:窗口号|窗口)" + r"(?:应该)?(?:是|改成|改为|换成)?\s*[:：]?\s*(?P<x>.+)$")
_FIX_PLACE = re.compile(_LEAD_FIX + r"(?:地点|位置|地址)(?:应该)?(?:是|在|改成|改为)\s*[:：]?\s*(?P<x>.+)$")
# "不是社保局，是医保局" / "不是社保局而是医保局": the second one is meant.
_FIX_NOT_BUT = re.compile(r"^(?:不对[，,、\s]*)?不是(?P<old>[^，,。]{1,15}?)[，,、\s]*(?:而|应该)?是(?P<x>.+)$")
_FIX_BARE = re.compile(
    rf"^(?:(?:{_LEAD_WORDS}|不是)[，,。.！!、\s]*)+(?:应该)?(?:是|改成|改为|换成)?\s*(?P<x>.+)$"
    r"|^(?:改成|改为|换成)\s*(?P<y>.+)$"
)
_FIX_IDENTITY = re.compile(r"^(?:我要|改成|改为|还是|换成|我想|我选|选)?(?P<x>匿名|实名)(?:反映|吧|了|的)*$")
_MAX_CORRECTION = 40
# A story that opens with a repair of what was said before ("不对，是昨天去…"): the repair words are not the story.
_STORY_LEAD = re.compile(rf"^(?:(?:{_LEAD_WORDS}|不是)[，,。.！!、\s]*)+(?:是|而是)?[，,\s]*")


def without_lead_in(text: str) -> str:
    """The story without a leading "不对，我说错了，是…" (what is left when that is all there is)."""
    rest = _STORY_LEAD.sub("", text.strip(), count=1).strip()
    return rest if meaningful_length(rest) >= 2 else text


@dataclass(frozen=True, slots=True)
class Correction:
    """A repair in plain words. kind: unit | when | window | place | identity | bare; value as written."""

    kind: str
    value: str


def parse_correction(text: str | None) -> Correction | None:
    """ "不对，是社保局", "时间是昨天", "单位是车管所", "窗口是3号", "改成匿名" — the kind and the new value."""
    if not text:
        return None
    norm = unicodedata.normalize("NFKC", text).strip()
    if meaningful_length(norm) > _MAX_CORRECTION:
        return None
    identity = _FIX_IDENTITY.match(compact(norm))
    if identity:
        return Correction("identity", identity.group("x"))
    for kind, pattern in (("unit", _FIX_UNIT), ("when", _FIX_WHEN), ("window", _FIX_WINDOW), ("place", _FIX_PLACE)):
        m = pattern.match(norm)
        if m and compact(m.group("x")):
            return Correction(kind, m.group("x").strip(" 。.!！"))
    m = _FIX_NOT_BUT.match(norm)
    if m and compact(m.group("x")):
        return Correction("bare", m.group("x").strip(" 。.!！"))
    m = _FIX_BARE.match(norm)
    value = (m.group("x") or m.group("y")) if m else None
    if value and compact(value) and not _TAIL_ONLY.fullmatch(compact(value)):
        return Correction("bare", value.strip(" 。.!！"))
    return None


_TAIL_ONLY = re.compile(_TAIL)
_NAME_NOISE = re.compile(
    r"我叫|我是|我姓|叫|姓名|名字|联系电话|联系方式|手机号码|手机号|手机|电话号码|电话|号码|实名|是|[:：,，;；。.!！\s、]+"
)
_DIGIT_RUN = re.compile(r"\+?\d[\d\s-]{5,}\d")
# Particles and pronouns that appear in "不想留了" or "你们要干嘛" but in practically no personal name.
_NOT_IN_NAMES = re.compile(r"[了吗吧呢啊的我你他她这那么怎啥没不想要留说]")
_NAME = re.compile(r"[\u3400-\u9fffA-Za-z·•][\u3400-\u9fffA-Za-z·• ]{0,19}")


@dataclass(frozen=True, slots=True)
class Contact:
    name: str | None
    phone: str | None  # 11 digits, validated
    bad_phone: bool  # digits were written but they are not a valid mobile number


def parse_contact(text: str) -> Contact:
    """Name and mobile number from "张三 13812345678", "我叫张三，电话138-1234-5678", or either alone."""
    found = find_mobile_span(text)
    if found is not None:  # cut the number out first, in whatever writing: it is never part of a name
        text = text[: found[1]] + " " + text[found[2] :]
    norm = unicodedata.normalize("NFKC", text)
    phone = found[0] if found else None
    runs = _DIGIT_RUN.findall(norm)
    bad = phone is None and any(sum(ch.isdigit() for ch in run) >= 7 for run in runs)
    rest = _NAME_NOISE.sub(" ", _DIGIT_RUN.sub(" ", norm)).strip()
    rest = re.sub(r"^\d+\s*", "", rest).strip()  # a leading "2" that chose 实名
    name = rest if _NAME.fullmatch(rest) and not is_greeting(compact(rest)) and not _NOT_IN_NAMES.search(rest) else None
    return Contact(name=name, phone=phone, bad_phone=bad)


def looks_like_complaint(text: str, c: Classification) -> bool:
    """Enough words, or words the classifier recognised (a unit, a behaviour cue), to be worth a draft."""
    n = meaningful_length(text)
    return n >= 12 or (n >= 4 and (c.unit is not None or bool(c.evidence)))
