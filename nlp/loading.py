"""Where models live and how a process gets one: load the default model, or build it from `nlp/data/`.

The default directory is `nlp/model/` (gitignored), overridable by `ZHIYONG_MODEL_DIR` or an argument. A
fresh clone has no model: the first `load_classifier` trains it deterministically from the shipped examples
(a few seconds) and saves it; later processes load it in a fraction of a second.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nlp.builtin import RECIPE
from nlp.builtin import data_sha256
from nlp.builtin import specs_sha256
from nlp.classifier import Classifier
from nlp.classifier import LabelClassifier
from nlp.model import FORMAT_VERSION
from nlp.model import KIND_COMPLAINT
from nlp.model import ModelError
from nlp.model import TextModel
from nlp.model import read_metadata
from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.specs import options_from_config
from nlp.specs import specs_from_config

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
MODEL_ENV = "ZHIYONG_MODEL_DIR"


def default_model_dir() -> Path:
    """`$ZHIYONG_MODEL_DIR`, or `nlp/model/` inside the repository."""
    return Path(os.environ.get(MODEL_ENV) or PACKAGE_DIR / "model")


def stale_reason(metadata: dict[str, Any], units: Sequence[UnitSpec], categories: Sequence[CategorySpec]) -> str | None:
    """Why a built-in model no longer matches the shipped data, code or city vocabulary (None if it does).

    Only models built from `nlp/data/` are checked: a model trained from other data is the operator's.
    """
    if metadata.get("kind") != KIND_COMPLAINT or metadata.get("source") != "builtin":
        return None
    if metadata.get("format") != FORMAT_VERSION:
        return f"model format {metadata.get('format')!r}, current is {FORMAT_VERSION}"
    if metadata.get("recipe") != RECIPE:
        return f"trained by recipe {metadata.get('recipe')!r}, current is {RECIPE!r}"
    if metadata.get("data_sha256") != data_sha256():
        return "nlp/data changed since it was trained"
    if metadata.get("specs_sha256") != specs_sha256(units, categories):
        return "the units or categories in the configuration changed since it was trained"
    return None


def ensure_model(
    units: Sequence[UnitSpec],
    categories: Sequence[CategorySpec],
    model_dir: Path | None = None,
    *,
    progress: Any = None,
) -> TextModel:
    """The complaint model in `model_dir`, trained from nlp/data and saved there first if missing or stale."""
    directory = Path(model_dir) if model_dir is not None else default_model_dir()
    metadata = read_metadata(directory)
    reason = "no model yet" if metadata is None else stale_reason(metadata, units, categories)
    if reason is None:
        return TextModel.load(directory)
    from nlp import training  # scikit-learn is imported only when we actually train

    logger.warning("training the complaint model into %s (%s)", directory, reason)
    model = training.train_complaint_model(units, categories, progress=progress or (lambda _m: None))
    try:
        model.save(directory)
    except OSError as exc:
        # A read-only deployment still works; it just trains at every start.
        logger.warning("could not save the model to %s: %s", directory, exc)
    return model


def load_classifier(
    units: Sequence[UnitSpec],
    categories: Sequence[CategorySpec],
    *,
    model_dir: Path | None = None,
    category_threshold: float,
    unit_threshold: float,
    **thresholds: float,
) -> Classifier:
    """A ready classifier (tokenizer initialised, model loaded), building the default model if needed.

    `thresholds` are the classifier's other thresholds (corruption_threshold, possible_corruption_threshold).
    """
    model = ensure_model(units, categories, model_dir)
    return Classifier(
        model, units, categories, category_threshold=category_threshold, unit_threshold=unit_threshold, **thresholds
    )


def load_classifier_from_config(city: Any, *, model_dir: Path | None = None) -> Classifier:
    """`load_classifier` with units, categories and thresholds taken from a `CityConfig`."""
    units, categories = specs_from_config(city)
    return load_classifier(units, categories, model_dir=model_dir, **options_from_config(city))


def load_label_classifier(model_dir: Path) -> LabelClassifier:
    """A history model (one label head) from `model_dir`; raises ModelError if there is none."""
    return LabelClassifier(TextModel.load(Path(model_dir)))


__all__ = [
    "MODEL_ENV",
    "ModelError",
    "default_model_dir",
    "ensure_model",
    "load_classifier",
    "load_classifier_from_config",
    "load_label_classifier",
    "stale_reason",
]
