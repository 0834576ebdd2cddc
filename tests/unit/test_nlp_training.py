"""Training: the history trainer on a small CSV, determinism, TF-IDF and metrics against scikit-learn."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlp.crossval import cross_validate_history
from nlp.crossval import history_groups
from nlp.evaluation import evaluate
from nlp.evaluation import format_report
from nlp.features import BlockSpec
from nlp.loading import load_label_classifier
from nlp.model import TextModel
from nlp.training import DataError
from nlp.training import Record
from nlp.training import count_blocks
from nlp.training import fit_blocks
from nlp.training import read_messages
from nlp.training import read_table
from nlp.training import train_history_model
from nlp.training import transform

ROOT = Path(__file__).resolve().parents[2]

# Three policy areas with their own vocabulary, like a city's 12345 history (title, body, label).
TOPICS = {
    "交通运输": (["公交车", "出租车", "地铁", "客运站", "公路"], ["绕路", "拒载", "晚点", "线路取消", "路面坑洼"]),
    "教育文体": (
        ["学校", "幼儿园", "老师", "体育馆", "图书馆"],
        ["乱收费", "补课", "招生不公", "开放时间太短", "校车超载"],
    ),
    "环境保护": (
        ["化工厂", "养殖场", "河道", "饭店", "工地"],
        ["偷排污水", "臭气熏天", "油烟扰民", "扬尘严重", "噪音扰民"],
    ),
}


def _rows() -> list[dict[str, str]]:
    rows = []
    for label, (places, problems) in TOPICS.items():
        for i, place in enumerate(places):
            for j, problem in enumerate(problems):
                n = len(rows)
                title = f"A{i}区{place}{problem}"
                body = (
                    "" if (i + j) % 4 == 0 else f"我们小区旁边的{place}{problem}已经{j + 2}个月了，请有关部门尽快处理。"
                )
                rows.append({"id": f"r{n}", "title": title, "body": body, "label": label})
    rows.append({"id": "nolabel", "title": "没有标签的一行", "body": "应当被跳过", "label": ""})
    rows.append({"id": "notext", "title": "", "body": "", "label": "交通运输"})
    return rows


def _write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "title", "body", "label"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def history_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write_csv(tmp_path_factory.mktemp("history") / "history.csv", _rows())


def test_read_table_joins_text_columns_and_skips_unusable_rows(history_csv: Path) -> None:
    records = read_table(history_csv, text_cols=["title", "body"], label_cols=["label"])
    assert len(records) == 75  # the row without a label and the row without text are skipped
    first = records[0]
    assert first.title == "A0区公交车绕路" and first.text.startswith("A0区公交车绕路")
    assert records[1].text == "A0区公交车拒载。我们小区旁边的公交车拒载已经3个月了，请有关部门尽快处理。"
    assert {r.labels["label"] for r in records} == set(TOPICS)


def test_read_table_accepts_excel_encodings(tmp_path: Path) -> None:
    for encoding in ("utf-8-sig", "gb18030"):
        path = _write_csv(tmp_path / f"{encoding}.csv", _rows()[:3], encoding)
        records = read_table(path, text_cols=["title", "body"], label_cols=["label"])
        assert [r.labels["label"] for r in records] == ["交通运输"] * 3


def test_read_table_names_missing_columns(history_csv: Path) -> None:
    with pytest.raises(DataError, match="content"):
        read_table(history_csv, text_cols=["content"], label_cols=["label"])


def test_read_messages_reports_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "车管所", "category": "access", "unit": "cgs"}\n{"text": 5}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:2"):
        read_messages(path)
    path.write_text('{"text": "谢谢", "intent": "thanks"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:1: 'intent' must be one of"):
        read_messages(path)
    path.write_text('{"text": "窗口没人", "intent": "complaint", "unit": null}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl:1: a complaint needs"):
        read_messages(path)


def test_read_messages_defaults_a_correction_row_to_a_complaint(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    rows = [
        {"text": "窗口没人", "category": "access", "unit": "zwfw", "source": "correction"},
        {"text": "谢谢民警", "intent": "praise", "category": None, "unit": "gaj", "units": ["gaj"], "voice": "v1"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    first, second = read_messages(path)
    assert first.labels == {"intent": "complaint", "unit": "zwfw", "category": "access"}
    assert first.extra["units"] == ["zwfw"] and first.extra["source"] == "correction"
    assert second.labels == {"intent": "praise", "unit": "gaj"}  # no category: not the category head's business


def _train(path: Path) -> TextModel:
    records = read_table(path, text_cols=["title", "body"], label_cols=["label"])
    return train_history_model(records, text_cols=["title", "body"], label_col="label", source=str(path))


def test_history_model_learns_the_labels(history_csv: Path, tmp_path: Path) -> None:
    model = _train(history_csv)
    model.save(tmp_path / "m")
    clf = load_label_classifier(tmp_path / "m")
    assert clf.text_cols == ["title", "body"]
    unseen = {
        "交通运输": "出租车司机拒载还骂人",
        "教育文体": "幼儿园乱收费，一学期多交两千",
        "环境保护": "化工厂半夜偷排污水，河里的鱼都死了",
    }
    for label, text in unseen.items():
        prediction = clf.predict(text)
        assert prediction.label == label
        assert prediction.candidates[0].code == label and 0 < prediction.confidence <= 1
        assert all(piece in text for piece in prediction.evidence)


def test_history_model_with_two_labels_and_one_text_column(tmp_path: Path) -> None:
    rows = [r for r in _rows() if r["label"] in ("交通运输", "环境保护")]
    path = _write_csv(tmp_path / "two.csv", rows)
    records = read_table(path, text_cols=["title"], label_cols=["label"])
    model = train_history_model(records, text_cols=["title"], label_col="label", source=str(path))
    assert model.heads["label"].classes == ("交通运输", "环境保护")
    assert all(b.spec.field == "text" for b in model.blocks)  # one text column: no title blocks
    model.save(tmp_path / "m")
    assert load_label_classifier(tmp_path / "m").predict("化工厂偷排污水").label == "环境保护"


def test_history_cross_validation(history_csv: Path) -> None:
    records = read_table(history_csv, text_cols=["title", "body"], label_cols=["label"])
    result = cross_validate_history(records, text_cols=["title", "body"], label_col="label", n_folds=3)
    assert result.report.n == len(records) and result.report.macro_f1 > 0.8
    assert result.baseline is not None and result.baseline.n == len(records)
    grouped = cross_validate_history(
        records, text_cols=["title", "body"], label_col="label", n_folds=3, groups=history_groups(records)
    )
    assert grouped.report.n == len(records)


def test_training_is_deterministic_across_runs_and_hash_seeds(history_csv: Path, tmp_path: Path) -> None:
    a = _train(history_csv)
    b = _train(history_csv)
    assert np.array_equal(a.coef, b.coef) and a.metadata == b.metadata
    # Set iteration order depends on PYTHONHASHSEED: a fresh interpreter with another seed must agree too.
    script = (
        "import sys; from pathlib import Path; from nlp.training import read_table, train_history_model\n"
        "p = Path(sys.argv[1]); r = read_table(p, text_cols=['title', 'body'], label_cols=['label'])\n"
        "train_history_model(r, text_cols=['title', 'body'], label_col='label', source=str(p)).save(Path(sys.argv[2]))"
    )
    seed = "12345" if os.environ.get("PYTHONHASHSEED") != "12345" else "54321"
    env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-c", script, str(history_csv), str(tmp_path / "other")], check=True, env=env)
    a.save(tmp_path / "here")
    other = TextModel.load(tmp_path / "other")
    assert np.array_equal(other.coef, a.coef) and other.metadata == TextModel.load(tmp_path / "here").metadata
    for name in ("metadata.json", "dict.txt"):
        assert (tmp_path / "other" / name).read_bytes() == (tmp_path / "here" / name).read_bytes()


def test_tfidf_from_counts_matches_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from nlp.features import Prepared

    texts = [["a", "b", "a"], ["b", "c"], ["c", "c", "d"], ["a", "e"], ["b", "b", "b"]]
    docs = [Prepared("", {}, {}, rules=t) for t in texts]
    spec = BlockSpec("r", "rules", min_df=2)
    counts = count_blocks([spec], docs)
    train = np.array([0, 1, 2, 3])
    ours = transform(counts, fit_blocks(counts, train), np.arange(5)).toarray()
    vectorizer = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, min_df=2)
    vectorizer.fit([texts[i] for i in train])
    theirs = vectorizer.transform(texts).toarray()
    assert np.allclose(ours, theirs)


def test_evaluate_matches_scikit_learn() -> None:
    from sklearn.metrics import accuracy_score
    from sklearn.metrics import confusion_matrix
    from sklearn.metrics import f1_score
    from sklearn.metrics import precision_recall_fscore_support

    truth = ["a", "a", "b", "b", "c", "c", "c", "d"]
    pred = ["a", "b", "b", "b", "c", "a", "e", "d"]
    report = evaluate(truth, pred)
    labels = sorted(set(truth) | set(pred))
    assert report.labels == tuple(labels)
    assert report.accuracy == pytest.approx(accuracy_score(truth, pred))
    assert report.macro_f1 == pytest.approx(f1_score(truth, pred, average="macro", zero_division=0))
    p, r, f, s = precision_recall_fscore_support(truth, pred, labels=labels, zero_division=0)
    for i, label in enumerate(labels):
        assert (report.per_class[label].precision, report.per_class[label].recall) == pytest.approx((p[i], r[i]))
        assert report.per_class[label].f1 == pytest.approx(f[i]) and report.per_class[label].support == s[i]
    assert np.array_equal(np.array(report.confusion), confusion_matrix(truth, pred, labels=labels))
    text = format_report("test", report)
    assert "macro-F1=" in text and "confusion" in text
    assert json.loads(json.dumps(report.to_json()))["macro_f1"] == round(report.macro_f1, 4)


def test_export_check_passes_on_the_training_matrix_and_catches_a_mismatch(history_csv: Path) -> None:
    from nlp.features import prepare
    from nlp.fitting import _check_export
    from nlp.tokenizer import tokenizer_for

    model = _train(history_csv)
    records = read_table(history_csv, text_cols=["title", "body"], label_cols=["label"])
    tok = tokenizer_for(model.dictionary, model.jieba_total, model.metadata["user_words"])
    docs = [prepare(tok, r.text, title=r.title, max_chars=model.max_chars) for r in records]
    counts = count_blocks([b.spec for b in model.blocks], docs)
    everything = np.arange(len(docs))
    x = transform(counts, fit_blocks(counts, everything), everything)
    _check_export(model, docs, x)  # the numpy path reproduces what the classifier was fitted on
    # A uniform change would be normalised away; any real difference in the weights must be caught.
    model.blocks[0].idf = model.blocks[0].idf * (1 + 0.1 * (np.arange(len(model.blocks[0].idf)) % 2))
    heads = list(model.heads.values())
    changed = TextModel(model.blocks, heads, model.coef, model.intercept, model.metadata, model.dictionary)
    with pytest.raises(AssertionError):
        _check_export(changed, docs, x)


def test_records_default_to_no_title() -> None:
    assert Record("文本", {"label": "x"}).title == ""
