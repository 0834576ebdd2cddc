"""How the console writes things for people: Beijing times, state and action labels, names, time left.

Everything returned is plain text; Jinja escapes it. Citizen text always passes through `mask_text` here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.runtime import Runtime
from bot.runtime import runtime
from handlers import labels
from handlers.cases_view import STAFF_LABELS
from handlers.lifecycle import FINAL_STATES
from handlers.lifecycle import RATING_STATES
from handlers.lifecycle import CaseState
from handlers.masking import mask_text
from handlers.overdue import is_overdue
from handlers.overdue import overdue_working_days
from handlers.overdue import time_left_text
from storage.models import Case

CHANNEL_LABELS = {"wechat": "微信公众号", "open311": "Open311 接口", "inspection": "明查暗访"}
UNIT_SOURCES = {"named": "市民点名", "service": "办理事项推断", "qr": "窗口二维码", "chosen": "人工指定",
                "classifier": "智能分类", "inspection": "暗访记录"}  # fmt: skip
RATING_OUTCOME = {"1": "已解决", "2": "部分解决", "3": "未解决"}
RATING_CONDUCT = {"A": "满意", "B": "基本满意", "C": "不满意"}


def local(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "—" if at is None else at.astimezone(runtime().tz).strftime(fmt)


def state_label(state: str) -> str:
    return STAFF_LABELS.get(state, state)


def action_label(action: str) -> str:
    return labels.event_label(action)


def masked(text: str | None) -> str:
    return mask_text(text or "")


def excerpt(text: str | None, chars: int = 60) -> str:
    flat = " ".join(masked(text).split())
    return flat if len(flat) <= chars else flat[: chars - 1] + "…"


def rating_label(case: Case) -> str:
    if case.rating_outcome is None:
        return "—"
    conduct = RATING_CONDUCT.get(case.rating_conduct or "", "—")
    return f"{RATING_OUTCOME.get(case.rating_outcome, case.rating_outcome)} / {conduct}"


class Presenter:
    """Per-request helpers bound to the city and the clock, handed to templates as `p`."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.city = rt.settings.city
        self._names = {s.id: s.name for s in self.city.supervisors}

    def unit(self, code: str | None) -> str:
        return self.city.unit_name(code)

    def category(self, code: str | None) -> str:
        found = self.city.category(code or "")
        return found.name if found else (code or "—")

    def actor(self, actor: str) -> str:
        if actor == "citizen":
            return "市民"
        if actor == "system":
            return "系统"
        if actor.startswith("staff:"):
            return actor.removeprefix("staff:")
        return self._names.get(actor, actor)

    def days_left(self, due: datetime | None, *, sign: bool = False) -> str:
        """ "剩 2.5 个工作日", or once past: "已超期 3 个工作日" (the answer deadline, `handlers.overdue`) or
        "签收已超时 1 个工作日" (a late sign-for is not 超期)."""
        if due is None:
            return "—"
        now = self.rt.now()
        if sign and due < now:
            return f"签收已超时 {overdue_working_days(due, now, self.rt.calendar)} 个工作日"
        return time_left_text(due, now, self.rt.calendar)

    def due_text(self, case: Case) -> str:
        """The time left on the deadline that matters now (`next_due`)."""
        due = self.next_due(case)
        return self.days_left(due, sign=due is not None and due == case.sign_due and case.signed_at is None)

    def note(self, event: Any) -> str | None:
        """An audit event's note with its codes in words (the hash chain keeps what was written)."""
        return labels.event_note(event.action, event.note, self.category)

    def overdue_now(self, due: datetime | None) -> bool:
        return due is not None and due < self.rt.now()

    def is_overdue(self, case: Case) -> bool:
        """超期 now, by the one definition (`handlers.overdue.is_overdue`)."""
        return is_overdue(case.state, case.answer_due, self.rt.now())

    def next_due(self, case: Case) -> datetime | None:
        """The deadline that matters now: sign-for until signed, then the answer deadline (also once that has
        passed unsigned: the case is 超期, which outweighs a late sign-for)."""
        if case.state == CaseState.ASSIGNED and case.signed_at is None and not self.is_overdue(case):
            return case.sign_due
        if case.state in RATING_STATES | FINAL_STATES:
            return None
        return case.answer_due


def share(probability: float | None) -> str:
    """A candidate's probability as a percentage; tiny ones read "<1%" rather than a misleading 0%."""
    if probability is None:
        return "—"
    return "<1%" if probability < 0.005 else f"{probability * 100:.0f}%"


def helpers() -> dict[str, Any]:
    return {
        "local": local,
        "state_label": state_label,
        "action_label": action_label,
        "staff_event_label": labels.staff_event_label,
        "target_label": labels.target_label,
        "masked": masked,
        "share": share,
        "excerpt": excerpt,
        "rating_label": rating_label,
        "channel_label": lambda c: CHANNEL_LABELS.get(c, c),
        "unit_source_label": lambda c: UNIT_SOURCES.get(c, c),
    }
