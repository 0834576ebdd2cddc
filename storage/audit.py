"""The audit chain's hash and its checkpoints.

Every case event is hashed over the previous event's hash and a canonical encoding of its own fields, so that
editing, inserting or deleting an event breaks the chain from there on. The hash is keyed (HMAC-SHA256 with
AUDIT_KEY, which lives outside the database): a database owner who edits an event cannot compute a matching hash.
Events written before the chain was keyed keep their plain SHA-256 (`hash_version` 0).

A keyed chain still cannot show that its *last* events were deleted. Checkpoints anchor every chain's length and
head: a signed list of (case number, event count, head hash), written outside the database (a file the database
owner cannot rewrite unnoticed: it is signed, and each checkpoint signs the previous one's signature too).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

GENESIS = "0" * 64
KEYED = 1  # hash_version of HMAC-keyed events
LEGACY = 0  # hash_version of events written before the chain was keyed
SESSION_KEY = "zhiyong.audit_key"  # where a session carries the key (storage.db.Database puts it there)


@dataclass(frozen=True, slots=True)
class AuditFields:
    case_number: str
    seq: int
    at: datetime
    actor: str
    action: str
    from_state: str | None
    to_state: str | None
    note: str | None


def _canonical(fields: AuditFields) -> str:
    return json.dumps(
        [
            fields.case_number,
            fields.seq,
            fields.at.isoformat(timespec="microseconds"),
            fields.actor,
            fields.action,
            fields.from_state,
            fields.to_state,
            fields.note,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def audit_hash(prev_hash: str, fields: AuditFields, key: bytes | None = None) -> str:
    """HMAC-SHA256 (with `key`) or, for legacy events, SHA-256 over the previous hash and this event."""
    data = (prev_hash + _canonical(fields)).encode("utf-8")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Head:
    """A chain's anchor: how many events a case had, and the hash of the last one."""

    number: str
    count: int
    head: str


def sign_checkpoint(day: str, heads: Iterable[Head], previous_signature: str, key: bytes) -> dict[str, object]:
    entries = [[h.number, h.count, h.head] for h in sorted(heads, key=lambda h: h.number)]
    body = json.dumps([day, previous_signature, entries], ensure_ascii=False, separators=(",", ":"))
    signature = hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
    return {"day": day, "previous": previous_signature, "cases": entries, "signature": signature}


def checkpoint_intact(payload: dict[str, object], key: bytes) -> bool:
    try:
        heads = [Head(str(n), int(c), str(h)) for n, c, h in payload["cases"]]  # type: ignore[misc,union-attr]
        again = sign_checkpoint(str(payload["day"]), heads, str(payload["previous"]), key)
    except (KeyError, TypeError, ValueError):
        return False
    return hmac.compare_digest(str(again["signature"]), str(payload.get("signature", "")))
