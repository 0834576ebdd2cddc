"""Benchmark of `nlp/`: cold start, warm throughput, per-message latency and RSS, against a baseline.

The baseline, measured in the same run on the same messages, is what one would write first: a bare
scikit-learn pipeline (character 1-4-gram TF-IDF + LinearSVC on the complaints' categories, pickled with
joblib) with no tokenizer, rules, intent or unit head, calibration or evidence. The messages are those of
nlp/data/heldout.jsonl (never used for training), cycled. Optionally (`--rjieba`, if installed) it checks whether rjieba could
replace jieba: same tokens with our dictionary, and how much faster.

Usage: .venv/bin/python bench/nlp.py [--model DIR] [--messages N] [--repeat N] [--json]
Every measurement runs in a fresh subprocess so imports and caches are counted honestly.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MESSAGES_FILE = ROOT / "nlp" / "data" / "heldout.jsonl"

# Runs in a fresh interpreter: process start → first classification, then warm timings on stdin's messages.
# ru_maxrss survives fork+exec (it would report this parent's peak); VmHWM belongs to the child's own memory.
PEAK_RSS = r"""
def peak_rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

OURS = (
    PEAK_RSS
    + r"""
import json, sys, time
from pathlib import Path
if sys.argv[2] == "settings":  # the app's way: validated CityConfig (pydantic)
    from bot.settings import load_city_config
    city = load_city_config()
else:  # nlp on its own: the same YAML, duck-typed (specs_from_config reads attributes)
    import yaml
    from types import SimpleNamespace
    def ns(value):
        if isinstance(value, dict):
            return SimpleNamespace(**{k: ns(v) for k, v in value.items()})
        return [ns(v) for v in value] if isinstance(value, list) else value
    with open("config.yaml", encoding="utf-8") as fh:
        city = ns(yaml.safe_load(fh))
t_import = time.perf_counter()
from nlp import load_classifier_from_config
clf = load_classifier_from_config(city, model_dir=Path(sys.argv[1]))
clf.classify("我昨天去车管所换驾照，窗口的人一直在玩手机")
first = time.perf_counter()
print(json.dumps({"ready": True}), flush=True)
messages = json.loads(sys.stdin.read())
for text in messages[:300]:  # warm: the interpreter specialises the hot paths on first use
    clf.classify(text)
times = []
for text in messages:
    t = time.perf_counter_ns()
    clf.classify(text)
    times.append(time.perf_counter_ns() - t)
long_text = "我昨天去车管所换驾照，" + "然后那个窗口的人就是说让我等着" * 1300 + "工作人员态度特别差"
t = time.perf_counter_ns(); clf.classify(long_text); long_ns = time.perf_counter_ns() - t
print(json.dumps({"in_process_load_ms": (first - t_import) * 1000, "times_ns": times, "long_ns": long_ns,
                  "long_chars": len(long_text), "rss_mb": peak_rss_mb()}))
"""
)

BASELINE = (
    PEAK_RSS
    + r"""
import json, sys, time
t_import = time.perf_counter()
import joblib
pipe = joblib.load(sys.argv[1])
pipe.predict(["我昨天去车管所换驾照，窗口的人一直在玩手机"])
first = time.perf_counter()
print(json.dumps({"ready": True}), flush=True)
messages = json.loads(sys.stdin.read())
for text in messages[:300]:
    pipe.predict([text])
times = []
for text in messages:
    t = time.perf_counter_ns()
    pipe.predict([text])
    times.append(time.perf_counter_ns() - t)
print(json.dumps({"in_process_load_ms": (first - t_import) * 1000, "times_ns": times, "long_ns": None,
                  "rss_mb": peak_rss_mb()}))
"""
)


def _messages(n: int) -> list[str]:
    lines = MESSAGES_FILE.read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    return [texts[i % len(texts)] for i in range(n)]


def _run(script: str, arg: str, messages: list[str], *extra: str) -> dict:
    """Start a fresh interpreter; cold start = spawn until it reports its first classification."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", script, arg, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdin is not None and proc.stdout is not None
    ready = proc.stdout.readline()
    cold = time.perf_counter() - started
    if not ready:
        raise RuntimeError(proc.stderr.read() if proc.stderr else "benchmark child failed")
    out, err = proc.communicate(json.dumps(messages, ensure_ascii=False))
    if proc.returncode != 0:
        raise RuntimeError(err)
    result = json.loads(out.strip().splitlines()[-1])
    result["cold_s"] = cold
    return result


def _summary(runs: list[dict]) -> dict:
    times = sorted(t for run in runs[-1:] for t in run["times_ns"])
    n = len(times)
    total_s = sum(times) / 1e9
    return {
        "cold_start_s": statistics.median(r["cold_s"] for r in runs),
        "cold_start_runs_s": [round(r["cold_s"], 3) for r in runs],
        "in_process_load_ms": statistics.median(r["in_process_load_ms"] for r in runs),
        "per_second": n / total_s,
        "p50_ms": times[n // 2] / 1e6,
        "p99_ms": times[min(n - 1, int(n * 0.99))] / 1e6,
        "mean_ms": total_s * 1000 / n,
        "long_ms": runs[-1]["long_ns"] / 1e6 if runs[-1].get("long_ns") else None,
        "long_chars": runs[-1].get("long_chars"),
        "rss_mb": max(r["rss_mb"] for r in runs),
    }


def _baseline_model(directory: Path) -> Path:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    from nlp.training import read_messages

    records = [r for r in read_messages() if "category" in r.labels]
    pipe = make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True), LinearSVC(C=1.0, random_state=0)
    )
    pipe.fit([r.text for r in records], [r.labels["category"] for r in records])
    path = directory / "baseline.joblib"
    joblib.dump(pipe, path)
    return path


def _rjieba(model_dir: Path, messages: list[str]) -> dict:
    """Can rjieba carry our dictionary, and does it then cut like our jieba.Tokenizer? How fast?"""
    try:
        import rjieba
    except ImportError:
        return {"available": False, "note": "rjieba not installed (pip install rjieba==0.2.2 to measure)"}
    from nlp.model import TextModel
    from nlp.text import fold_digits
    from nlp.text import normalize
    from nlp.tokenizer import tokenizer_for

    model = TextModel.load(model_dir)
    words = model.metadata.get("user_words", [])
    t = time.perf_counter()
    ours = tokenizer_for(model.dictionary, model.jieba_total, words)
    ours_init = time.perf_counter() - t
    t = time.perf_counter()
    rj = rjieba.Jieba.empty()
    # The frequencies our tokenizer ended up with (dictionary words and the city's words, after add_word), and
    # a placeholder word (a private-use character never seen in normalised text) carrying the rest of the full
    # dictionary's total: jieba-rs then scores every word exactly as jieba does.
    final = {line.split(" ")[0]: 0 for line in model.dictionary.splitlines() if line}
    final.update(dict.fromkeys(words, 0))
    for word in sorted(final):
        final[word] = ours.FREQ[word]
        rj.add_word(word, final[word], None)
    rest = ours.total - sum(final.values())
    if rest > 0:
        rj.add_word("\ue000", rest, None)
    rj_init = time.perf_counter() - t
    texts = [fold_digits(normalize(m)) for m in messages]
    t = time.perf_counter()
    a = [list(ours.cut(x, HMM=False)) for x in texts]
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    b = [rj.cut(x, False) for x in texts]
    rj_s = time.perf_counter() - t
    same = sum(x == y for x, y in zip(a, b, strict=True))
    return {
        "available": True,
        "custom_dictionary": "yes: Jieba.empty() + add_word(word, freq, tag) per instance",
        "identical_token_lists": f"{same}/{len(texts)}",
        "init_ms": {"jieba": ours_init * 1000, "rjieba": rj_init * 1000},
        "cut_us_per_message": {"jieba": ours_s / len(texts) * 1e6, "rjieba": rj_s / len(texts) * 1e6},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model directory (default: nlp/model)")
    parser.add_argument("--messages", type=int, default=3000, help="warm messages per run")
    parser.add_argument("--repeat", type=int, default=3, help="cold starts to take the median of")
    parser.add_argument("--rjieba", action="store_true", help="also measure rjieba with our dictionary")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    from bot.settings import load_city_config
    from nlp.loading import default_model_dir
    from nlp.loading import ensure_model
    from nlp.specs import specs_from_config

    model_dir = args.model or default_model_dir()
    units, categories = specs_from_config(load_city_config())
    ensure_model(units, categories, model_dir)  # a fresh clone trains here, outside the measurement
    messages = _messages(args.messages)
    with tempfile.TemporaryDirectory() as tmp:
        baseline_path = _baseline_model(Path(tmp))
        ours = _summary([_run(OURS, str(model_dir), messages, "yaml") for _ in range(args.repeat)])
        app_cold = [_run(OURS, str(model_dir), messages[:1], "settings")["cold_s"] for _ in range(args.repeat)]
        base = _summary([_run(BASELINE, str(baseline_path), messages) for _ in range(args.repeat)])
    report = {
        "nlp": ours,
        "baseline_char_tfidf_linearsvc": base,
        "ratio_nlp_over_baseline": {
            "cold_start": ours["cold_start_s"] / base["cold_start_s"],
            "p50": ours["p50_ms"] / base["p50_ms"],
            "per_second": ours["per_second"] / base["per_second"],
            "rss": ours["rss_mb"] / base["rss_mb"],
        },
        "cold_start_with_bot_settings_s": statistics.median(app_cold),
        "messages": len(messages),
        "cpu_count": os.cpu_count(),
    }
    if args.rjieba:
        report["rjieba"] = _rjieba(model_dir, messages[:1000])
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    print(f"messages per warm run: {len(messages)} (nlp/data/heldout.jsonl, cycled); {os.cpu_count()} CPUs")
    print(f"{'':28}{'nlp':>12}{'baseline':>12}{'ratio':>8}")
    rows = [
        ("cold start (s)", "cold_start_s", "cold_start"),
        ("warm classifications/s", "per_second", "per_second"),
        ("p50 per message (ms)", "p50_ms", "p50"),
        ("p99 per message (ms)", "p99_ms", None),
        ("peak RSS (MB)", "rss_mb", "rss"),
    ]
    for label, key, ratio in rows:
        r = f"{report['ratio_nlp_over_baseline'][ratio]:8.2f}" if ratio else ""
        print(f"{label:<28}{ours[key]:12.3f}{base[key]:12.3f}{r}")
    print("cold start = process start to first classification (nlp: reading config.yaml with PyYAML included)")
    print(f"cold start runs (s): nlp {ours['cold_start_runs_s']}, baseline {base['cold_start_runs_s']}")
    print(
        "cold start when the config is read through bot.settings (pydantic CityConfig) first (s): "
        f"{report['cold_start_with_bot_settings_s']:.3f}"
    )
    print(
        f"of which import nlp + load model + first classification (ms): nlp {ours['in_process_load_ms']:.0f}, "
        f"baseline (import sklearn + joblib.load + first predict) {base['in_process_load_ms']:.0f}"
    )
    print(f"one {ours['long_chars']}-character message (ms): {ours['long_ms']:.1f}")
    if "rjieba" in report:
        print("rjieba:", json.dumps(report["rjieba"], ensure_ascii=False))


if __name__ == "__main__":
    main()
