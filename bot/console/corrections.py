"""Reclassifications made in the console, exported as training rows for `nlp train --include-corrections`.

Each corrected case gives one JSONL row `{"text", "category", "unit"}` with the label staff settled on (the
latest correction) and the masked text: phone and ID digits carry no signal and must not reach a model file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import orm

from bot.runtime import runtime
from handlers.masking import mask_text
from storage import corrections as corrections_repo
from storage.db import Database


def correction_rows(session: orm.Session) -> list[dict[str, Any]]:
    return [
        {"text": mask_text(case.text), "category": corr.to_category, "unit": corr.to_unit, "source": "correction"}
        for case, corr in corrections_repo.latest_per_case(session=session)
    ]


def write_corrections(db: Database, out: Path) -> int:
    """Write the corrections as JSONL to `out`; returns the number of rows."""
    with db.transaction() as s:
        rows = correction_rows(s)
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def training_file(db: Database, out: Path, base: Path | None = None) -> tuple[Path, int]:
    """`base` (default: the shipped nlp/data/train.jsonl) followed by the corrections, as one JSONL file.

    For `flask --app bot nlp train --include-corrections`: train on the returned path instead of the default.
    """
    if base is None:
        from nlp.builtin import TRAIN_FILE

        base = TRAIN_FILE
    extra = out.with_suffix(".corrections.jsonl")
    n = write_corrections(db, extra)
    with out.open("wb") as dst:
        with base.open("rb") as src:
            shutil.copyfileobj(src, dst)
        dst.write(b"\n")
        with extra.open("rb") as src:
            shutil.copyfileobj(src, dst)
    extra.unlink()
    return out, n


corrections_cli = AppGroup("corrections", help="Staff reclassifications kept as training data.")


@corrections_cli.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True), help="JSONL file to write.")
@click.option("--with-builtin", is_flag=True, help="Prepend the shipped training examples (a complete training file).")
def corrections_export(out: str, with_builtin: bool) -> None:
    """Write the console's corrections as JSONL rows {text, category, unit}."""
    rt = runtime()
    if with_builtin:
        _, n = training_file(rt.db, Path(out))
    else:
        n = write_corrections(rt.db, Path(out))
    click.echo(f"wrote {out}: {n} corrections")
