"""公开通报 of a typical case (good or bad): the draft the office starts from, and the scrubbing every text gets before
it is kept — the names of staff reduced to their post, nothing of the reporter, phone and ID numbers masked.

Pure. The draft is written from the case's facts (unit, window, kind of problem, what was found, how it was put
right, who was held to account by post), never from the citizen's own words; whatever the office then writes is
scrubbed again. A second office account approves before anything is public (`bot.console.bulletins`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date

from handlers.accountability import VERDICTS
from handlers.accountability import describe
from handlers.masking import mask_text

TONES: dict[str, str] = {"good": "正面典型", "bad": "反面典型"}
MAX_TITLE = 60
MAX_BODY = 2000
MAX_WITHDRAW_REASON = 200
REPORTER = "群众"  # what a reporter's name becomes
MIN_NAME = 2  # shorter strings are never replaced: one character would eat ordinary words


class BulletinError(ValueError):
    """A 通报 that cannot be kept as written; the message is Chinese."""


@dataclass(frozen=True, slots=True)
class BulletinFacts:
    unit_name: str
    category_name: str
    account_name: str
    window: str | None = None
    occurred_on: date | None = None
    verdict: str | None = None
    measures: str | None = None
    held: Sequence[tuple[str, str | None]] = field(default_factory=tuple)  # (measure, post)
    satisfied: bool | None = None


def _place(f: BulletinFacts) -> str:
    return f.unit_name + (f"{mask_text(f.window)}号窗口" if f.window else "")


def draft(f: BulletinFacts, tone: str) -> tuple[str, str]:
    """(title, body) to start from."""
    if tone not in TONES:
        raise BulletinError("请选择正面典型或反面典型")
    when = f"{f.occurred_on.year}年{f.occurred_on.month}月" if f.occurred_on else "近期"
    place = _place(f)
    if tone == "good":
        title = f"{place}热情高效服务群众的典型事例"
        body = [f"{when}，有群众通过“{f.account_name}”反映在{place}办事的经历。"]
        if f.satisfied:
            body.append("经回访，群众对办理结果和工作人员作风均表示满意。")
        body.append(f"现予以通报表扬，希望各单位学习{f.unit_name}的做法，切实做到门好进、脸好看、事好办。")
        return title[:MAX_TITLE], "".join(body)
    title = f"关于{place}“{f.category_name}”问题的通报"
    body = [f"{when}，有群众通过“{f.account_name}”反映，在{place}办事时遇到“{f.category_name}”问题。"]
    if f.verdict:
        body.append(f"经核查，反映问题{VERDICTS.get(f.verdict, f.verdict)}。")
    if f.measures:
        body.append(f"整改情况：{f.measures.rstrip('。')}。")
    held = [describe(m, post) for m, post in f.held if m != "none"]
    if held:
        body.append(f"问责处理：{'；'.join(held)}。")
    body.append("各单位要引以为戒，举一反三，坚决整治庸懒散软和“门难进、脸难看、事难办”问题。")
    return title[:MAX_TITLE], "".join(body)


def scrub(text: str, *, names: Mapping[str, str], remove: Sequence[str]) -> str:
    """Staff names → their post (longest first), the reporter's name and phone → gone, numbers masked."""
    out = text
    for secret in sorted((s for s in remove if s and len(s) >= MIN_NAME), key=len, reverse=True):
        out = out.replace(secret, REPORTER)
    for name in sorted((n for n in names if len(n) >= MIN_NAME), key=len, reverse=True):
        out = out.replace(name, names[name])
    return mask_text(out)


def check(title: str, body: str) -> tuple[str, str]:
    """The title on one line and the body trimmed. :raises BulletinError:"""
    t = " ".join(title.split())
    b = re.sub(r"\n{3,}", "\n\n", body.replace("\r\n", "\n")).strip()
    if not t or not b:
        raise BulletinError("请填写通报标题和正文")
    if len(t) > MAX_TITLE:
        raise BulletinError(f"标题过长（最多 {MAX_TITLE} 字）")
    if len(b) > MAX_BODY:
        raise BulletinError(f"正文过长（最多 {MAX_BODY} 字）")
    return t, b
