"""`flask nlp classify|train|eval` through Flask's CLI runner on a throwaway app (no WeChat secrets)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from bot.cli.nlp import nlp_cli
from bot.settings import load_city_config
from nlp.builtin import HELDOUT_FILE
from nlp.loading import ensure_model
from nlp.model import read_metadata
from nlp.specs import specs_from_config


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The same directory the classifier tests use: trained once per session, then loaded.
    units, categories = specs_from_config(load_city_config())
    directory = tmp_path_factory.getbasetemp() / "nlp-complaint-model"
    ensure_model(units, categories, directory)
    return directory


@pytest.fixture()
def runner() -> FlaskCliRunner:
    app = Flask("nlp-cli-test")
    app.cli.add_command(nlp_cli)
    return app.test_cli_runner()


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_classify_json_lines_with_bad_lines_reported_not_fatal(runner: FlaskCliRunner, model_dir: Path) -> None:
    stdin = "\n".join(
        [
            json.dumps({"id": "a1", "text": "我在车管所换驾照，窗口的人一直在玩手机"}, ensure_ascii=False),
            "this is not json",
            json.dumps({"id": 7, "text": 42}),
            json.dumps(["not", "an", "object"]),
            "",
            json.dumps({"id": "a5", "text": "不是车管所的问题，是派出所办身份证态度很差"}, ensure_ascii=False),
            json.dumps({"id": "a6", "text": "😡😡"}, ensure_ascii=False),
        ]
    )
    result = runner.invoke(args=["nlp", "classify", "--model", str(model_dir)], input=stdin)
    assert result.exit_code == 0, result.output
    out = _lines(result.stdout)
    assert [o["id"] for o in out] == ["a1", 2, 7, 4, "a5", "a6"]
    first = out[0]
    assert set(first) >= {"id", "category", "unit", "confidence", "triage", "evidence", "candidates"}
    assert set(first) >= {"intent", "intent_confidence", "units", "possible_corruption"}
    assert (first["intent"], first["units"]) == ("complaint", ["cgs"]) and 0 < first["intent_confidence"] <= 1
    assert (first["category"], first["unit"], first["triage"]) == ("discipline", "cgs", False)
    assert first["candidates"]["unit"][0] == {
        "code": "cgs",
        "probability": first["candidates"]["unit"][0]["probability"],
    }
    assert all(piece in "我在车管所换驾照，窗口的人一直在玩手机" for piece in first["evidence"])
    assert "error" in out[1] and "error" in out[2] and "error" in out[3]
    assert out[4]["unit"] == "gaj"
    assert (out[5]["category"], out[5]["unit"], out[5]["triage"]) == ("other", None, True)
    assert (out[5]["intent"], out[5]["intent_confidence"], out[5]["units"]) == ("chitchat", 0.0, [])


def test_classify_refuses_a_missing_model_directory(runner: FlaskCliRunner, tmp_path: Path) -> None:
    result = runner.invoke(args=["nlp", "classify", "--model", str(tmp_path / "nothing")], input="")
    assert result.exit_code != 0
    assert "no model" in result.output


def test_eval_reports_metrics_and_confusion(runner: FlaskCliRunner, model_dir: Path, tmp_path: Path) -> None:
    sample = tmp_path / "sample.jsonl"
    lines = HELDOUT_FILE.read_text(encoding="utf-8").splitlines(keepends=True)[:120]
    sample.write_text("".join(lines), encoding="utf-8")
    complaints = sum(json.loads(line)["intent"] == "complaint" for line in lines)
    result = runner.invoke(args=["nlp", "eval", str(sample), "--model", str(model_dir)])
    assert result.exit_code == 0, result.output
    for head in ("intent", "category", "unit"):
        assert f"sample.jsonl {head}" in result.stdout
    assert "吃拿卡要   recall" in result.stdout and "named" in result.stdout and "implied" in result.stdout
    assert "macro-F1=" in result.stdout and "confusion" in result.stdout and "precision" in result.stdout
    as_json = runner.invoke(args=["nlp", "eval", str(sample), "--model", str(model_dir), "--json"])
    report = json.loads(as_json.stdout)
    assert set(report) == {"score", "summary", "intent", "category", "unit"}
    assert report["summary"]["n"] == 120 and report["summary"]["complaints"] == complaints
    for name in ("intent", "category", "unit"):
        head = report[name]
        assert head["n"] == (complaints if name == "category" else 120) and 0 <= head["macro_f1"] <= 1
        assert len(head["confusion"]) == len(head["labels"])
        assert sum(map(sum, head["confusion"])) == head["n"]
        assert set(head["per_class"]) == set(head["labels"])


def _history_csv(path: Path) -> Path:
    topics = {
        "交通运输": ["公交车绕路", "出租车拒载", "客运站脏乱", "公路坑洼没人修", "地铁晚点"],
        "教育文体": ["学校乱收费", "老师补课收钱", "幼儿园招生不公", "体育馆不开放", "图书馆开放时间太短"],
        "环境保护": ["化工厂偷排污水", "养殖场臭气熏天", "饭店油烟扰民", "工地扬尘严重", "河道污染鱼死了"],
    }
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "title", "body", "label"])
        n = 0
        for label, problems in topics.items():
            for place in ("A1区", "A2区", "A3区", "B区"):
                for problem in problems:
                    writer.writerow([n, f"{place}{problem}", f"{place}有{problem}的情况，请尽快处理。", label])
                    n += 1
    return path


def test_train_history_then_classify_and_eval_with_it(runner: FlaskCliRunner, tmp_path: Path) -> None:
    data = _history_csv(tmp_path / "history.csv")
    out = tmp_path / "history-model"
    args = ["nlp", "train", "--data", str(data), "--text-col", "title,body", "--label-col", "label"]
    result = runner.invoke(args=[*args, "--out", str(out), "--cv", "3"])
    assert result.exit_code == 0, result.output
    assert "3-fold near-duplicate-grouped CV: macro-F1" in result.stdout
    assert "baseline (char 1-4-gram TF-IDF + LinearSVC, same folds)" in result.stdout
    assert "saved history model" in result.stdout
    assert "[nlp]" in result.stderr  # progress goes to stderr
    assert read_metadata(out)["label_col"] == "label"

    stdin = json.dumps({"id": 1, "text": "出租车司机拒载还绕路"}, ensure_ascii=False) + "\n"
    stdin += json.dumps({"id": 2, "title": "化工厂", "body": "半夜偷排污水"}, ensure_ascii=False) + "\n"
    classified = _lines(runner.invoke(args=["nlp", "classify", "--model", str(out)], input=stdin).stdout)
    assert [c["label"] for c in classified] == ["交通运输", "环境保护"]
    assert all("category" not in c and "unit" not in c for c in classified)
    assert set(classified[0]) >= {"id", "label", "confidence", "triage", "evidence", "candidates"}

    evaluated = runner.invoke(args=["nlp", "eval", str(data), "--model", str(out), "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.stdout)["label"]["accuracy"] > 0.9


def test_train_history_reports_a_missing_column(runner: FlaskCliRunner, tmp_path: Path) -> None:
    data = _history_csv(tmp_path / "history.csv")
    result = runner.invoke(args=["nlp", "train", "--data", str(data), "--text-col", "content", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "content" in result.output


def test_train_complaint_model_from_the_shipped_data(runner: FlaskCliRunner, tmp_path: Path, model_dir: Path) -> None:
    out = tmp_path / "complaint-model"
    result = runner.invoke(args=["nlp", "train", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "saved complaint model" in result.stdout
    metadata = read_metadata(out)
    assert metadata is not None and metadata["source"] == "builtin"
    # Deterministic: the CLI builds the same model the loader built for the session.
    assert (out / "model.npz").read_bytes() == (model_dir / "model.npz").read_bytes()
    assert metadata == read_metadata(model_dir)
