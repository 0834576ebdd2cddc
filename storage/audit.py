"""The audit chain's hash: every case event is hashed over the previous event's hash and a canonical encoding of
its own fields, so that editing, inserting or deleting an event breaks the chain from there on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime


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


GENESIS = "0" * 64


def audit_hash(prev_hash: str, fields: AuditFields) -> str:
    """sha256 over the previous hash and a canonical encoding of this event; any edit breaks the chain."""
    canonical = json.dumps(
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
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()
