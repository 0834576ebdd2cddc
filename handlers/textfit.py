"""Making text fit: WeChat's 2048-byte limit on a text reply, and short excerpts of long complaints.

Cuts only between whole characters (and keeps emoji with their modifiers together as far as a code-point cut
can), so a reply never carries half a UTF-8 sequence. Standard library only.
"""

from __future__ import annotations

import unicodedata

# https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Passive_user_reply_message.html
WECHAT_TEXT_MAX_BYTES = 2048
ELLIPSIS = "…"

# Code points that only modify the one before them: cutting right before one would split a visible symbol.
_JOINERS = {"\u200d", "\ufe0e", "\ufe0f"}


def utf8_len(text: str) -> int:
    """Length of `text` in UTF-8 bytes, the unit WeChat counts in."""
    return len(text.encode("utf-8"))


def _safe_cut(text: str, end: int) -> int:
    # Step back over combining marks, variation selectors and zero-width joiners so the cut is between symbols.
    while 0 < end < len(text) and (text[end] in _JOINERS or unicodedata.combining(text[end])):
        end -= 1
    while 0 < end and text[end - 1] == "\u200d":
        end -= 1
    return end


def clip_bytes(text: str, max_bytes: int = WECHAT_TEXT_MAX_BYTES) -> str:
    """`text` unchanged when it fits in `max_bytes` UTF-8 bytes, else cut at a character boundary with "…"."""
    if utf8_len(text) <= max_bytes:
        return text
    budget = max_bytes - utf8_len(ELLIPSIS)
    size = 0
    end = 0
    for ch in text:
        size += utf8_len(ch)
        if size > budget:
            break
        end += 1
    return text[: _safe_cut(text, end)].rstrip() + ELLIPSIS


def excerpt(text: str, max_chars: int) -> str:
    """The first `max_chars` characters of `text` on one line, with "…" when something was left out."""
    flat = " ".join(text.split())
    if len(flat) <= max_chars:
        return flat
    return flat[: _safe_cut(flat, max_chars - 1)].rstrip() + ELLIPSIS
