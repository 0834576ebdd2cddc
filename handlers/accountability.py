"""What a case found (查实) and who was held to account (问责), as the office's Monday meeting reads them.

Pure: the vocabulary (verdicts, measures and their Chinese words), the handler's WeChat commands, the checks a
record must pass, and the rule that finds the official (config.yaml `officials`) who holds a post named in a 问责.

- 查实情况: 属实 / 部分属实 / 不属实 / 无法核实; 整改措施 is required when the report was (partly) true.
- 问责处理: 无, or one or more of 批评教育, 责令检查, 诫勉谈话, 通报批评, 组织调整, 移送纪委监委, each with the post
  (岗位/职务) of the person it applies to — never a name, never anything about a citizen.
- The office confirms both, or sends them back with a reason; a sent-back record no longer counts.
- A review case (a window's 差评, issue 16) uses the same records in its own words: 核实情况 (is the 差评 founded)
  and 整改情况 (what was put right), `核实 ZY… 属实 整改：…` in WeChat.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from handlers.config import CityConfig
from handlers.config import Official
from handlers.masking import mask_text

VERDICTS: dict[str, str] = {
    "verified": "属实",
    "partly": "部分属实",
    "unfounded": "不属实",
    "unverifiable": "无法核实",
}
# Found true in whole or part: the numerator of 查实率.
SUBSTANTIATED = frozenset({"verified", "partly"})

MEASURES: dict[str, str] = {
    "none": "无",
    "criticism": "批评教育",
    "self_review": "责令检查",
    "admonition": "诫勉谈话",
    "circulated": "通报批评",
    "reassignment": "组织调整",
    "referral": "移送纪委监委",
}
STATUS_LABELS: dict[str, str] = {"pending": "待治庸办确认", "confirmed": "已确认", "returned": "已退回"}

# A finding may be recorded once the handler has the case (signed) and until it is closed; never on a case that
# was merged, rejected or is still waiting to be routed.
RECORDABLE_STATES = frozenset(
    {"signed", "in_progress", "extension", "escalated", "reopened", "answered", "rating", "closed"}
)
MAX_MEASURES_TEXT = 500
MAX_POST = 30
MAX_ITEMS = 10
MAX_RETURN_NOTE = 300

_VERDICT_WORDS = sorted(((label, code) for code, label in VERDICTS.items()), key=lambda p: -len(p[0]))
_MEASURE_WORDS = sorted(((label, code) for code, label in MEASURES.items()), key=lambda p: -len(p[0]))
_MEASURE_ALIASES = {"移送纪委": "referral", "移交纪委": "referral", "移交纪委监委": "referral", "书面检查": "self_review",
                    "不予问责": "none", "不问责": "none"}  # fmt: skip
_SEPARATORS = re.compile(r"[；;\n]+")
_DIGITS = re.compile(r"\d{5,}")


@dataclass(frozen=True, slots=True)
class Words:
    """How a case's finding is named: a complaint is 查实 (with its 整改措施), a 差评 is 核实 (with its 整改情况)."""

    title: str
    finding: str
    measures: str
    command: str
    pair: str


WORDS = {
    "complaint": Words("查实与问责", "查实情况", "整改措施", "查实", "查实和问责"),
    "review": Words("核实与整改", "核实情况", "整改情况", "核实", "核实和整改"),
}


def words(kind: str | None) -> Words:
    return WORDS.get(kind or "complaint", WORDS["complaint"])


class RecordError(ValueError):
    """A record that cannot be kept as given; the message is Chinese and safe to show the handler."""


@dataclass(frozen=True, slots=True)
class FindingInput:
    verdict: str
    measures: str | None


@dataclass(frozen=True, slots=True)
class MeasureInput:
    measure: str
    post: str | None


def may_record(state: str) -> bool:
    return state in RECORDABLE_STATES


def verdict_code(word: str) -> str | None:
    """属实 → verified; also accepts the code itself."""
    word = word.strip()
    if word in VERDICTS:
        return word
    return next((code for label, code in _VERDICT_WORDS if word == label), None)


def measure_code(word: str) -> str | None:
    word = word.strip()
    if word in MEASURES:
        return word
    return _MEASURE_ALIASES.get(word) or next((code for label, code in _MEASURE_WORDS if word == label), None)


def clean_post(raw: str | None) -> str | None:
    """The post as it is kept: one line, at most MAX_POST characters, digits that could be a phone masked."""
    if raw is None:
        return None
    post = " ".join(unicodedata.normalize("NFKC", raw).split()).strip(" ，,。:：")
    return mask_text(post)[:MAX_POST] or None


def check_finding(verdict: str, measures: str | None, kind: str = "complaint") -> FindingInput:
    """:raises RecordError: an unknown verdict, a true finding without 整改措施, or text that is too long."""
    w = words(kind)
    code = verdict_code(verdict)
    if code is None:
        raise RecordError(f"{w.finding}应为：" + " / ".join(VERDICTS.values()))
    text = (measures or "").strip() or None
    if code in SUBSTANTIATED and not text:
        raise RecordError(f"{w.finding}为“{VERDICTS[code]}”时，请写明{w.measures}")
    if text and len(text) > MAX_MEASURES_TEXT:
        raise RecordError(f"{w.measures}过长（最多 {MAX_MEASURES_TEXT} 字）")
    return FindingInput(code, text)


def check_measures(items: Sequence[tuple[str, str | None]], *, forbidden: Sequence[str] = ()) -> list[MeasureInput]:
    """Each (measure, post): a known measure, a post for every measure but 无, 无 alone, no citizen's data.

    `forbidden`: strings that must never appear in a post (the reporter's name and phone, when the case has them).
    :raises RecordError:
    """
    if not items:
        raise RecordError("请写明问责处理，例如：诫勉谈话 窗口负责人；没有问责请写“无”")
    if len(items) > MAX_ITEMS:
        raise RecordError(f"一次最多记录 {MAX_ITEMS} 项问责")
    out: list[MeasureInput] = []
    for measure, raw_post in items:
        code = measure_code(measure)
        if code is None:
            raise RecordError(f"未知的问责方式“{measure}”。可选：{'、'.join(MEASURES.values())}")
        if raw_post and (_DIGITS.search(unicodedata.normalize("NFKC", raw_post))
                         or any(f and f in raw_post for f in forbidden)):  # fmt: skip
            raise RecordError("问责对象只写岗位或职务（如“窗口负责人”），不要写姓名、电话等个人信息")
        post = clean_post(raw_post)
        if code != "none" and not post:
            raise RecordError(f"请写明“{MEASURES[code]}”对象的岗位或职务，例如：{MEASURES[code]} 窗口负责人")
        out.append(MeasureInput(code, post if code != "none" else None))
    if any(m.measure == "none" for m in out) and len(out) > 1:
        raise RecordError("“无”不能与其他问责方式同时记录")
    return out


# -- the handler's WeChat commands ------------------------------------------------------------------------------
# 查实 ZY2611270001 属实 整改：已约谈窗口工作人员，调整岗位
# 问责 ZY2611270001 诫勉谈话 窗口负责人；批评教育 3号窗口工作人员        问责 ZY2611270001 无

FINDING_HELP = "查实 ZY… 属实 整改：措施 —— 记录查实情况（属实/部分属实/不属实/无法核实）和整改措施"
ACCOUNTABILITY_HELP = "问责 ZY… 诫勉谈话 窗口负责人 —— 记录问责处理（多项用分号隔开；没有请写“无”）"
REVIEW_HELP = "核实 ZY… 属实 整改：措施 —— 窗口差评整改工单：记录差评是否属实和整改情况"


def parse_finding(rest: str, kind: str = "complaint") -> FindingInput:
    """What follows the case number of a 查实 (or, for a 差评, 核实) command. :raises RecordError:"""
    w = words(kind)
    text = rest.strip(" \u3000:：,，")
    code = next((c for label, c in _VERDICT_WORDS if text.startswith(label)), None)
    if code is None:
        raise RecordError(f"请写明{w.finding}，例如：{w.command} ZY2611270001 属实 整改：已约谈窗口工作人员")
    tail = text[len(VERDICTS[code]) :].strip(" \u3000:：,，。")
    tail = re.sub(r"^(整改措施|整改情况|整改)[\s\u3000]*[:：]?", "", tail).strip()
    return check_finding(code, tail or None, kind)


def parse_measures(rest: str, *, forbidden: Sequence[str] = ()) -> list[MeasureInput]:
    """What follows the case number of a 问责 command. :raises RecordError:"""
    items: list[tuple[str, str | None]] = []
    for part in _SEPARATORS.split(rest.strip(" \u3000:：,，")):
        part = part.strip(" \u3000,，。")
        if not part:
            continue
        word = next((label for label, _ in _MEASURE_WORDS if part.startswith(label)), None)
        if word is None:
            word = next((alias for alias in sorted(_MEASURE_ALIASES, key=len, reverse=True)
                         if part.startswith(alias)), None)  # fmt: skip
        if word is None:
            word = part.split()[0]
            return check_measures([(word, None)], forbidden=forbidden)  # raises: unknown measure
        items.append((word, part[len(word) :].strip(" \u3000:：,，") or None))
    return check_measures(items, forbidden=forbidden)


# -- who holds the post ------------------------------------------------------------------------------------------


def _norm(post: str) -> str:
    return re.sub(r"[\s\u3000（）()·]", "", unicodedata.normalize("NFKC", post))


def official_for_post(city: CityConfig, unit: str | None, post: str | None) -> Official | None:
    """The official of `unit` who holds `post`: the same post, else the only one whose post contains it or is
    contained in it (主任 never matches 分管副主任 while 主任 itself is listed). None when nobody or several."""
    if not post or not unit:
        return None
    wanted = _norm(post)
    mine = city.officials_of(unit)
    exact = [o for o in mine if _norm(o.post) == wanted]
    if len(exact) == 1:
        return exact[0]
    if exact:
        return None
    near = [o for o in mine if _norm(o.post) in wanted or wanted in _norm(o.post)]
    return near[0] if len(near) == 1 else None


def describe(measure: str, post: str | None, unit_name: str | None = None) -> str:
    """诫勉谈话（市不动产登记中心 窗口负责人）; 无 → 不予问责."""
    if measure == "none":
        return "不予问责"
    who = " ".join(p for p in (unit_name, post) if p)
    return f"{MEASURES.get(measure, measure)}（{who}）" if who else MEASURES.get(measure, measure)
