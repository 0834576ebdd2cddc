"""What may go out in a template message: the supervisor payload guard and each template's fields.

Supervisor payloads carry counts and a link only (RELIABILITY 78, 84); template values are cut to WeChat's limits
(thing 20, phrase 5, ...) with no newlines. The template ids and their fields are documented in config.yaml.
"""

from __future__ import annotations

import re
from datetime import datetime
from datetime import tzinfo
from typing import Any

from handlers.masking import contains_identifier
from handlers.notices import NOTICE_KINDS

PAYLOAD_KEYS = frozenset({"text", "template"})


SUPERVISOR_TEMPLATE_KEYS = frozenset({"kind", "notice", "count_new", "count_overdue", "link"})


SUPERVISOR_HINT = "请登录督办台查看处理"
NOTICE_LABELS = frozenset(NOTICE_KINDS.values()) | {"工单提醒"}


_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


_URL = re.compile(r"https?://\S+")


class Unsendable(Exception):
    """A row that cannot be sent as it is (configuration or payload): park it for staff with this reason."""


def supervisor_payload_problem(payload: Any, openid: str | None = None) -> str | None:
    """Why a supervisor payload must not go out, or None. Only counts and a link are allowed (RELIABILITY 78, 84)."""
    if not isinstance(payload, dict):
        return "payload is not an object"
    extra = set(payload) - PAYLOAD_KEYS
    if extra:
        return f"supervisor payload has unexpected keys {sorted(extra)}"
    template = payload.get("template")
    if template is not None:
        if not isinstance(template, dict):
            return "supervisor template is not an object"
        extra = set(template) - SUPERVISOR_TEMPLATE_KEYS
        if extra:
            return f"supervisor template has keys beyond counts and link: {sorted(extra)}"
        if template.get("kind") != "supervisor_notice":
            return "supervisor template kind must be supervisor_notice"
        notice = template.get("notice")
        if notice is not None and notice not in NOTICE_LABELS:
            return "supervisor template notice is not a known notice kind"
        for key in ("count_new", "count_overdue"):
            if not isinstance(template.get(key, 0), int):
                return f"supervisor template {key} is not a number"
        link = template.get("link")
        if link is not None and not (isinstance(link, str) and link.startswith(("https://", "http://"))):
            return "supervisor template link is not a URL"
    text = payload.get("text")
    if text is not None:
        if not isinstance(text, str) or len(text) > 300:
            return "supervisor text is not a short string"
        bare = _URL.sub(" ", text)
        # Any writing counts: full-width, Chinese numerals, 139.8765.4321, +86 139 8765 4321 (handlers.masking).
        if _PHONE.search(bare) or _ID_NUMBER.search(bare) or contains_identifier(bare):
            return "supervisor text contains a phone or ID number"
    if openid and openid in repr(payload):
        return "supervisor payload contains an openid"
    return None


def _value(value: Any, limit: int) -> dict[str, str]:
    # WeChat refuses newlines in template values and caps each type's length (thing 20, phrase 5, ...).
    text = " ".join(str(value if value is not None else "").split())
    return {"value": text[:limit] or "-"}


def _local_time(now: datetime, tz: tzinfo) -> str:
    return now.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def render_template(
    fields: Any, *, templates: dict[str, str], template_url: str | None, now: datetime, tz: tzinfo
) -> tuple[str, dict[str, dict[str, str]], str | None]:
    """(template_id, data, url) for a payload's `template`; the field keys are documented in config.yaml.

    :raises Unsendable: unknown kind or no template id configured for it.
    """
    if not isinstance(fields, dict):
        raise Unsendable("payload has no template fields")
    kind = fields.get("kind")
    template_id = templates.get(str(kind))
    if kind == "case_update":
        data = {
            "character_string1": _value(fields.get("case_number"), 32),
            "phrase2": _value(fields.get("state"), 5),
            "thing3": _value(fields.get("note") or fields.get("state"), 20),
            "time4": _value(fields.get("time") or _local_time(now, tz), 20),
        }
        url = template_url
    elif kind == "supervisor_notice":
        data = {
            "number1": _value(int(fields.get("count_new") or 0), 32),
            "number2": _value(int(fields.get("count_overdue") or 0), 32),
            "thing3": _value(f"{fields.get('notice') or '工单提醒'}：{SUPERVISOR_HINT}", 20),
            "time4": _value(_local_time(now, tz), 20),
        }
        url = fields.get("link")
    elif kind == "survey_invite":
        # 民意调查: the survey, the units it asks about, its last day, and the citizen's signed link — nothing else.
        data = {
            "thing1": _value(fields.get("title"), 20),
            "thing2": _value(fields.get("units"), 20),
            "time3": _value(fields.get("closes"), 20),
        }
        url = fields.get("link")
    else:
        raise Unsendable(f"unknown template kind {kind!r}")
    if not template_id:
        raise Unsendable(f"no template id configured for {kind} (wechat.templates)")
    return template_id, data, url
