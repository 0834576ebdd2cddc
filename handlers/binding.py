"""Binding a supervisor's WeChat to their account with a one-time code, safely.

A code is 10 characters from an alphabet without look-alikes (32^10 ≈ 10^15 possibilities), shown as ABCDE-FGHJK
and valid 24 hours. Wrong codes are counted per sender (locked after `SENDER_LIMIT` failures for a day) and against
every code still waiting to be used (voided after `CODE_LIMIT` failures, the office issues a new one). A supervisor
who is already bound is never moved to another WeChat by a code alone: the new WeChat waits until the office
confirms (`flask --app bot supervisor confirm-rebind`), and the WeChat bound so far is told at once.
Pure: the counting and the moving happen in `bot/`.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
CODE_LENGTH = 10
SENDER_LIMIT = 5  # wrong codes from one sender before it is locked out
SENDER_LOCK_HOURS = 24
CODE_LIMIT = 20  # wrong codes, from anyone, while a code waits, before it is voided
CODE_HOURS = 24

_BIND = re.compile(r"\s*绑定[\s\u3000:：]*([A-Za-z0-9][A-Za-z0-9\s\-]{3,24})\s*")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def display(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def normalize(code: str) -> str:
    return re.sub(r"[\s\-]", "", code).upper()


def parse_bind(text: str) -> str | None:
    """The code of a “绑定 ABCDE-FGHJK” message (any case, spaces or dashes), or None if it is not one."""
    m = _BIND.fullmatch(text)
    return normalize(m.group(1)) if m else None


@dataclass(frozen=True, slots=True)
class BindCheck:
    """What a code turned out to be, as the database saw it."""

    outcome: str  # locked | invalid | bind | same | pending
    supervisor_id: str | None = None


LOCKED = "绑定尝试次数过多，已暂停 24 小时。如确需绑定，请联系治庸办。"
INVALID = "绑定码无效或已过期，请向治庸办重新获取。"
PENDING = "该督办员账号已绑定其他微信。您的更换申请已提交，治庸办确认后生效；原绑定的微信也已收到通知。"
OLD_BINDING_WARNING = (
    "【安全提醒】您的督办员账号收到一份更换微信绑定的申请，治庸办确认后才会生效。如非本人操作，请立即联系治庸办。"
)
OLD_BINDING_MOVED = (
    "【安全提醒】经治庸办确认，您的督办员账号已改绑到新的微信，本微信不再接收督办通知。如有疑问请联系治庸办。"
)
