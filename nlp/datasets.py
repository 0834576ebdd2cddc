"""Reading labelled messages: the project's complaint JSONL and any city's history table (CSV or JSONL).

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


class DataError(ValueError):
    """Training or evaluation data that cannot be used; the message names the file and line."""


@dataclass(slots=True)
class Record:
    """One labelled message: `text` (all text columns joined), `title` (first column when several)."""

    text: str
    labels: dict[str, str]
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def read_complaints(path: Path = TRAIN_FILE) -> list[Record]:
    """The project's JSONL examples: `text`, `category`, `unit` (null → NO_UNIT)."""
    records = []
    for lineno, obj in _jsonl(path):
        text, category = obj.get("text"), obj.get("category")
        if not isinstance(text, str) or not isinstance(category, str):
            raise DataError(f"{path}:{lineno}: needs string fields 'text' and 'category'")
        unit = obj.get("unit")
        if unit is not None and not isinstance(unit, str):
            raise DataError(f"{path}:{lineno}: 'unit' must be a string or null")
        extra = {k: v for k, v in obj.items() if k not in ("text", "category", "unit")}
        records.append(Record(text, {"category": category, "unit": unit or NO_UNIT}, extra=extra))
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
        extra = {"id": row.get("id"), "line": lineno}
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


def complaint_groups(records: Sequence[Record]) -> dict[str, list[str]]:
    """Per head, the phrase group of each example (from the data's `group` field; unique if absent)."""
    out: dict[str, list[str]] = {"category": [], "unit": []}
    for i, record in enumerate(records):
        group = record.extra.get("group")
        pair = group if isinstance(group, list) and len(group) == 2 else [f"#{i}", f"#{i}"]
        out["category"].append(str(pair[0]))
        out["unit"].append(str(pair[1]))
    return out
