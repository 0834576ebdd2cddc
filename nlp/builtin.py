"""What the built-in complaint model is made from: the shipped data files, the recipe version and the
fingerprints that tell a loader whether a saved model still matches them. Cheap to import (no scikit-learn).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from nlp.specs import CategorySpec
from nlp.specs import UnitSpec

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
# The authored corpus (nlp/data/README.md): every built-in model is trained on it, and only on it.
TRAIN_FILE = DATA_DIR / "authored.jsonl"
# Written by other voices; never used for training or tuning, only to measure and to promote a model.
HELDOUT_FILE = DATA_DIR / "heldout.jsonl"
VOCAB_FILE = DATA_DIR / "vocab.txt"
# Bump when a change to the trainer changes what a model contains; saved built-in models then retrain.
RECIPE = "messages-1"


def file_sha256(*paths: Path) -> str:
    """One digest over the names and contents of `paths` (a missing file counts as empty)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.exists() else b"")
    return digest.hexdigest()


def data_sha256() -> str:
    return file_sha256(TRAIN_FILE, VOCAB_FILE)


def specs_sha256(units: Sequence[UnitSpec], categories: Sequence[CategorySpec]) -> str:
    """Fingerprint of the vocabulary a built-in model was trained with (its rules and tokenizer words)."""
    payload = json.dumps(
        [
            sorted([u.code, u.name, sorted(u.aliases), sorted(u.services)] for u in units),
            sorted([c.code, sorted(c.cues)] for c in categories),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def domain_vocabulary(path: Path = VOCAB_FILE) -> list[str]:
    """The domain words shipped in nlp/data/vocab.txt (one per line, # starts a comment)."""
    if not path.exists():
        return []
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(word)
    return words
