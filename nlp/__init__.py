"""Understanding citizens' messages: what they want (intent), which behaviour and which unit(s), with calibrated
probabilities, evidence and triage.

Pure: no Flask, no database, nothing from `bot/`, `storage/` or `handlers/`. Callers build `UnitSpec` and
`CategorySpec` from the city's configuration (`specs_from_config`) and get a `Classifier` from
`load_classifier`. Public names are imported lazily, so `import nlp.types` stays cheap for code that only
needs the result types.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from nlp.classifier import Classifier
    from nlp.classifier import LabelClassifier
    from nlp.classifier import LabelPrediction
    from nlp.loading import default_model_dir
    from nlp.loading import load_classifier
    from nlp.loading import load_classifier_from_config
    from nlp.loading import load_label_classifier
    from nlp.model import ModelError
    from nlp.specs import CategorySpec
    from nlp.specs import UnitSpec
    from nlp.specs import specs_from_config
    from nlp.types import Candidate
    from nlp.types import Classification

_EXPORTS = {
    "Candidate": "nlp.types",
    "Classification": "nlp.types",
    "CategorySpec": "nlp.specs",
    "UnitSpec": "nlp.specs",
    "specs_from_config": "nlp.specs",
    "Classifier": "nlp.classifier",
    "LabelClassifier": "nlp.classifier",
    "LabelPrediction": "nlp.classifier",
    "ModelError": "nlp.model",
    "default_model_dir": "nlp.loading",
    "load_classifier": "nlp.loading",
    "load_classifier_from_config": "nlp.loading",
    "load_label_classifier": "nlp.loading",
}

__all__ = [
    "Candidate",
    "CategorySpec",
    "Classification",
    "Classifier",
    "LabelClassifier",
    "LabelPrediction",
    "ModelError",
    "UnitSpec",
    "default_model_dir",
    "load_classifier",
    "load_classifier_from_config",
    "load_label_classifier",
    "specs_from_config",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nlp' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
