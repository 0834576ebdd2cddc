"""Reading labelled messages: the project's message JSONL and any city's history table (CSV or JSONL).

Errors name the file and line, so an operator can fix the data rather than read a traceback.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from nlp.builtin import TRAIN_FILE
from nlp.model import NO_UNIT
from nlp.types import INTENTS

INTENT_COMPLAINT = "complaint"


class DataError(ValueError):
    """Training or evaluation data that cannot be used; the message names the file and line."""


@dataclass(slots=True)
class Record:
    """One labelled message: `text` (all text columns joined), `title` (first column when several)."""

    text: str
    labels: dict[str, str]
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def read_messages(path: Path = TRAIN_FILE) -> list[Record]:
    """The project's JSONL examples (see nlp/data/GUIDE.md): `text`, `intent` (default complaint), `category`
    (required for a complaint, ignored otherwise), `unit` (null → NO_UNIT), `units` (default [unit])."""
    records = []
    for lineno, obj in _jsonl(path):
        text, intent = obj.get("text"), obj.get("intent") or INTENT_COMPLAINT
        if not isinstance(text, str):
            raise DataError(f"{path}:{lineno}: needs a string field 'text'")
        if intent not in INTENTS:
            raise DataError(f"{path}:{lineno}: 'intent' must be one of {', '.join(INTENTS)}, not {intent!r}")
        category = obj.get("category")
        if intent == INTENT_COMPLAINT and not isinstance(category, str):
            raise DataError(f"{path}:{lineno}: a complaint needs a string field 'category'")
        unit = obj.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise DataError(f"{path}:{lineno}: 'unit' must be a string or null")
        units = obj.get("units")
        if units is None:
            units = [unit] if unit else []
        if not isinstance(units, list) or not all(isinstance(u, str) for u in units):
            raise DataError(f"{path}:{lineno}: 'units' must be a list of unit codes")
        labels = {"intent": intent, "unit": unit or NO_UNIT}
        if intent == INTENT_COMPLAINT:
            labels["category"] = str(category)
        extra = {k: v for k, v in obj.items() if k not in ("text", "intent", "category", "unit", "units")}
        extra["units"] = list(units)
        extra["line"] = lineno
        records.append(Record(text, labels, extra=extra))
    return records


def _jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except ValueError as exc:
                raise DataError(f"{path}:{lineno}: not valid JSON: {exc}") from None
            if not isinstance(obj, dict):
                raise DataError(f"{path}:{lineno}: each line must be a JSON object")
            yield lineno, obj


def read_table(path: Path, *, text_cols: Sequence[str], label_cols: Sequence[str] = ()) -> list[Record]:
    """Rows of a CSV (UTF-8, UTF-8 with BOM, or GB18030 as Excel exports it) or JSONL file.

    The text is the named text columns joined; with several, the first is also kept as the title. Labels are
    keyed by column name. Rows with no text, or with an empty value in a label column, are skipped.
    """
    if not text_cols:
        raise DataError("at least one text column is needed")
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows: Iterable[tuple[int, dict[str, Any]]] = _jsonl(path)
    else:
        rows = _csv_rows(path)
    records = []
    checked = False
    for lineno, row in rows:
        if not checked:
            missing = [c for c in [*text_cols, *label_cols] if c not in row]
            if missing:
                raise DataError(f"{path}: no column(s) {', '.join(missing)} (found: {', '.join(map(str, row))})")
            checked = True
        parts = [str(row.get(c) or "").strip() for c in text_cols]
        text = "。".join(p for p in parts if p)
        labels = {c: str(row.get(c) or "").strip() for c in label_cols}
        if not text or not all(labels.values()):
            continue
        extra = {"id": row.get("id"), "line": lineno, "body": "。".join(p for p in parts[1:] if p)}
        records.append(Record(text, labels, title=parts[0] if len(text_cols) > 1 else "", extra=extra))
    if not checked:
        raise DataError(f"{path}: no rows")
    return records


def _csv_rows(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise DataError(f"{path}: neither UTF-8 nor GB18030")
    reader = csv.DictReader(text.splitlines())
    for row in reader:
        yield reader.line_num, row


def message_groups(records: Sequence[Record]) -> list[str]:
    """The group of each example for grouped cross-validation: its author's `voice` (so held-out scores measure
    a writer the model has never read), or the example alone when it has none (e.g. a console correction)."""
    out = []
    for i, record in enumerate(records):
        voice = record.extra.get("voice")
        out.append(f"voice:{voice}" if isinstance(voice, str) and voice else f"#{i}")
    return out
