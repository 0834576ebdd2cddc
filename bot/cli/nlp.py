"""`flask --app bot nlp classify|train|eval`: the operator's and other tools' interface to `nlp/`.

Works without WeChat secrets: only the city configuration (`bot.settings.load_city_config`) is read. Results
go to stdout (JSON lines or a report), progress and warnings to stderr.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

nlp_cli = AppGroup("nlp", help="Classify complaints, train and evaluate the text models.")


def _progress(message: str) -> None:
    click.echo(f"[nlp] {message}", err=True)


def _city() -> Any:
    from bot.settings import ConfigError
    from bot.settings import load_city_config

    try:
        return load_city_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _model_dir(model: str | None) -> Path:
    from nlp.loading import default_model_dir

    return Path(model) if model else default_model_dir()


def _load_any(model: str | None) -> tuple[str, Any]:
    """("complaint", Classifier) or ("history", LabelClassifier) for `--model`, or the default model."""
    from nlp.loading import ensure_model
    from nlp.model import KIND_HISTORY
    from nlp.model import ModelError
    from nlp.model import read_metadata
    from nlp.specs import options_from_config
    from nlp.specs import specs_from_config

    city = _city()
    units, categories = specs_from_config(city)
    directory = _model_dir(model)
    metadata = read_metadata(directory)
    if model and metadata is None:
        raise click.ClickException(f"no model in {directory} (train one with: flask --app bot nlp train --out {model})")
    try:
        if metadata is not None and metadata.get("kind") == KIND_HISTORY:
            from nlp.loading import load_label_classifier

            return "history", load_label_classifier(directory)
        from nlp.classifier import Classifier

        text_model = ensure_model(units, categories, directory, progress=_progress)
        return "complaint", Classifier(text_model, units, categories, **options_from_config(city))
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None


def _cols(value: str) -> list[str]:
    cols = [c.strip() for c in value.split(",") if c.strip()]
    if not cols:
        raise click.BadParameter("name at least one column")
    return cols


@nlp_cli.command("classify")
@click.option("--model", "model", type=click.Path(file_okay=False), help="Model directory (default: nlp/model).")
def classify_command(model: str | None) -> None:
    """Classify JSON lines {"id", "text"} from stdin; write one JSON line per input to stdout: intent,
    category, unit, every unit with its own grievance ("units"), confidences, evidence and triage.

    A line that is not a JSON object with a string "text" gives {"id", "error"} instead of stopping the run.
    """
    kind, classifier = _load_any(model)
    category_threshold = getattr(classifier, "category_threshold", None)
    if kind == "history":
        category_threshold = _city().nlp.category_threshold
    for lineno, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        record_id: Any = None
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("each line must be a JSON object")
            record_id = obj.get("id", lineno)
            text = obj.get("text")
            if kind == "history":
                out = _classify_history(classifier, obj, record_id, category_threshold)
            else:
                if not isinstance(text, str):
                    raise ValueError('"text" must be a string')
                out = _classification_json(record_id, classifier.classify(text))
        except ValueError as exc:
            out = {"id": record_id if record_id is not None else lineno, "error": str(exc)}
        click.echo(json.dumps(out, ensure_ascii=False))


def _classification_json(record_id: Any, result: Any) -> dict[str, Any]:
    return {
        "id": record_id,
        "intent": result.intent,
        "intent_confidence": result.intent_confidence,
        "category": result.category,
        "unit": result.unit,
        "confidence": result.confidence,
        "triage": result.triage,
        "evidence": list(result.evidence),
        "candidates": {
            "category": [{"code": c.code, "probability": c.probability} for c in result.category_candidates],
            "unit": [{"code": c.code, "probability": c.probability} for c in result.unit_candidates],
        },
        "unit_explicit": result.unit_explicit,
        "category_confidence": result.category_confidence,
        "unit_confidence": result.unit_confidence,
        "units": list(result.units),
        "possible_corruption": bool(result.extra.get("possible_corruption", False)),
    }


def _classify_history(classifier: Any, obj: dict[str, Any], record_id: Any, threshold: float) -> dict[str, Any]:
    cols = classifier.text_cols
    if isinstance(obj.get("text"), str):
        text, title = obj["text"], ""
    elif any(isinstance(obj.get(c), str) for c in cols):
        parts = [str(obj.get(c) or "").strip() for c in cols]
        text = "。".join(p for p in parts if p)
        title = parts[0] if len(cols) > 1 else ""
    else:
        raise ValueError(f'"text" (or {", ".join(cols)}) must be a string')
    prediction = classifier.predict(text, title)
    return {
        "id": record_id,
        "label": prediction.label,
        "confidence": prediction.confidence,
        "triage": prediction.confidence < threshold,
        "evidence": list(prediction.evidence),
        "candidates": [{"code": c.code, "probability": c.probability} for c in prediction.candidates],
    }


@nlp_cli.command("train")
@click.option("--data", type=click.Path(exists=True, dir_okay=False), help="Labelled CSV or JSONL (a city's history).")
@click.option(
    "--text-col", default="text", show_default=True, help="Text column(s), comma-separated (e.g. title,body)."
)
@click.option("--label-col", default="label", show_default=True, help="Label column.")
@click.option("--out", type=click.Path(file_okay=False), help="Output model directory (default: nlp/model).")
@click.option(
    "--cv", type=click.IntRange(min=0), default=0, help="Also report N-fold grouped CV next to the baseline's."
)
@click.option(
    "--cv-ungrouped", is_flag=True, help="With --data: plain stratified folds (near-duplicates may straddle them)."
)
@click.option(
    "--include-corrections",
    is_flag=True,
    help="Add the console's reclassifications (read from the database) to the message model's examples.",
)
@click.option("--force", is_flag=True, help="Replace the live message model even if the candidate scores worse.")
def train_command(
    data: str | None,
    text_col: str,
    label_col: str,
    out: str | None,
    cv: int,
    cv_ungrouped: bool,
    include_corrections: bool,
    force: bool,
) -> None:
    """Train the message model from nlp/data, or with --data a model for that file's labels.

    A message model is a candidate: it replaces the live one in --out only if it scores at least as well on
    nlp/data/heldout.jsonl (both scores are printed); otherwise the live model stays and the command fails.
    """
    from nlp import training

    if include_corrections and data is not None:
        raise click.UsageError("--include-corrections adds to the message model; it cannot be used with --data")
    started = time.monotonic()
    out_dir = _model_dir(out)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            if data is None:
                model = _train_complaints(cv, Path(tmp) / "train.jsonl" if include_corrections else None)
            else:
                model = _train_history(Path(data), _cols(text_col), label_col, cv, not cv_ungrouped)
        except (training.DataError, training.LearnerError) as exc:
            raise click.ClickException(str(exc)) from None
    if data is None:
        _promote(model, out_dir, force)
    model.save(out_dir)
    labels = model.metadata["labels"]
    summary = ", ".join(f"{head}: {len(classes)} classes" for head, classes in labels.items())
    click.echo(f"saved {model.kind} model to {out_dir} ({summary}; {time.monotonic() - started:.1f}s)")


def _promote(candidate: Any, out_dir: Path, force: bool) -> None:
    """Compare the candidate with the live model on the held-out set; stop (exit 1) if it is worse."""
    from nlp.heldout import compare_with_live
    from nlp.heldout import format_summary
    from nlp.specs import options_from_config
    from nlp.specs import specs_from_config

    city = _city()
    units, categories = specs_from_config(city)
    new, old, verdict = compare_with_live(candidate, out_dir, units, categories, options_from_config(city))
    click.echo(format_summary("candidate on heldout.jsonl", new))
    if old is not None:
        click.echo(format_summary(f"live model in {out_dir} on heldout.jsonl", old))
    click.echo(f"promotion: {verdict.message}")
    if not verdict.promote and not force:
        raise click.ClickException(
            f"the candidate scores {verdict.candidate:.4f} on nlp/data/heldout.jsonl, the live model in {out_dir} "
            f"{verdict.live:.4f}: the live model is kept (use --force to replace it anyway)"
        )


def _train_complaints(cv: int, with_corrections: Path | None) -> Any:
    """The message model from the shipped examples, plus the console's corrections when a path is given."""
    from nlp import crossval
    from nlp import training
    from nlp.builtin import TRAIN_FILE
    from nlp.specs import specs_from_config

    units, categories = specs_from_config(_city())
    examples, source = TRAIN_FILE, None
    if with_corrections is not None:
        examples, n = _corrections_file(with_corrections)
        source = f"builtin+corrections ({n})"
        _progress(f"{n} correction(s) from the console added to the training examples")
    if cv:
        results = crossval.cross_validate_messages(units, categories, data=examples, n_folds=cv, progress=_progress)
        click.echo(crossval.format_message_cv(results, cv))
    return training.train_complaint_model(units, categories, data=examples, source=source, progress=_progress)


def _corrections_file(out: Path) -> tuple[Path, int]:
    """The shipped examples followed by the corrections (latest per case, masked) as one JSONL file."""
    from bot.console.corrections import training_file
    from bot.runtime import runtime

    try:
        rt = runtime()
    except Exception as exc:  # noqa: BLE001 - name what is missing rather than train without the corrections
        raise click.ClickException(f"--include-corrections reads the database (DATABASE_URL): {exc}") from None
    return training_file(rt.db, out)


def _train_history(path: Path, text_cols: list[str], label_col: str, cv: int, grouped: bool) -> Any:
    """A model for a city's own labelled history file (one label column)."""
    from nlp import crossval
    from nlp import training

    _progress(f"reading {path}")
    records = training.read_table(path, text_cols=text_cols, label_cols=[label_col])
    _progress(f"{len(records)} labelled rows")
    corpus = training.history_corpus(records, progress=_progress)
    groups = crossval.history_groups(records, _progress)
    if cv:
        result = crossval.cross_validate_history(
            records, text_cols=text_cols, label_col=label_col, n_folds=cv, corpus=corpus, progress=_progress,
            groups=groups if grouped else None,
        )  # fmt: skip
        kind = "near-duplicate-grouped" if grouped else "stratified (ungrouped)"
        click.echo(f"{cv}-fold {kind} CV: macro-F1 {result.report.macro_f1:.4f} accuracy {result.report.accuracy:.4f}")
        if result.baseline is not None:
            click.echo(
                f"{cv}-fold {kind} CV, baseline (char 1-4-gram TF-IDF + LinearSVC, same folds): "
                f"macro-F1 {result.baseline.macro_f1:.4f} accuracy {result.baseline.accuracy:.4f}"
            )
    return training.train_history_model(
        records, text_cols=text_cols, label_col=label_col, source=str(path.resolve()), corpus=corpus,
        groups=groups, progress=_progress,
    )  # fmt: skip


@nlp_cli.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--model", "model", type=click.Path(file_okay=False), help="Model directory (default: nlp/model).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
@click.option("--text-col", default=None, help="Text column(s) of a CSV (default: the model's, or text).")
@click.option(
    "--label-col",
    default=None,
    help="Label column(s) of a CSV: the history model's label (default: as trained), or category[,unit].",
)
def eval_command(file: str, model: str | None, as_json: bool, text_col: str | None, label_col: str | None) -> None:
    """Accuracy, macro-F1, per-class P/R/F1 and confusion of a model on FILE.

    On labelled messages (JSONL such as nlp/data/heldout.jsonl) also intent recall, 吃拿卡要 recall and unit
    accuracy for named, implied and absent units.
    """
    from nlp import training
    from nlp.evaluation import evaluate
    from nlp.evaluation import format_report
    from nlp.heldout import evaluate_messages
    from nlp.heldout import format_summary

    kind, classifier = _load_any(model)
    path = Path(file)
    reports = {}
    try:
        if (
            kind == "complaint"
            and path.suffix.lower() in (".jsonl", ".json", ".ndjson")
            and not (text_col or label_col)
        ):
            evaluation = evaluate_messages(classifier, training.read_messages(path))
            if as_json:
                click.echo(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2))
            else:
                click.echo(format_summary(path.name, evaluation))
                for head in ("intent", "category", "unit"):
                    click.echo("\n" + format_report(f"{path.name} {head}", getattr(evaluation, head)))
            return
        if kind == "complaint":
            # CSV columns map positionally: --label-col category[,unit]
            cols = _cols(label_col or "category")
            records = training.read_table(path, text_cols=_cols(text_col or "text"), label_cols=cols)
            results = [classifier.classify(r.text) for r in records]
            for head, key in zip(("category", "unit"), cols, strict=False):
                if head == "unit":
                    reports[head] = evaluate(
                        [_unit_label(r.labels[key]) for r in records], [_unit_label(res.unit) for res in results]
                    )
                else:
                    reports[head] = evaluate([r.labels[key] for r in records], [res.category for res in results])
        else:
            cols = _cols(text_col) if text_col else classifier.text_cols
            label = label_col or classifier.model.metadata["label_col"]
            records = training.read_table(path, text_cols=cols, label_cols=[label])
            predicted = [classifier.predict(r.text, r.title).label for r in records]
            reports["label"] = evaluate([r.labels[label] for r in records], predicted)
    except (training.DataError, training.LearnerError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({head: r.to_json() for head, r in reports.items()}, ensure_ascii=False, indent=2))
    else:
        click.echo("\n\n".join(format_report(f"{path.name} {head}", r) for head, r in reports.items()))


def _unit_label(code: str | None) -> str:
    from nlp.model import NO_UNIT

    return "none" if code in (None, NO_UNIT) else code


@nlp_cli.command("data-report")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def data_report_command(as_json: bool) -> None:
    """The authored corpus in figures: lengths, voices, traits (dictated, traditional, typo, multi-issue …),
    near-duplicates across authored.jsonl + heldout.jsonl, and the two labellings' agreement (kappa)."""
    from nlp.builtin import HELDOUT_FILE
    from nlp.builtin import TRAIN_FILE
    from nlp.corpus_report import corpus_report
    from nlp.corpus_report import format_corpus_report

    report = corpus_report(TRAIN_FILE, HELDOUT_FILE)
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else format_corpus_report(report))
