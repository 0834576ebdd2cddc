"""The classifier's segmentation runs in rjieba, and it must be jieba's: the same tokens with the same spans on
every message the models are trained and judged on (a difference would silently change the features)."""

from __future__ import annotations

import json

from nlp.builtin import DATA_DIR
from nlp.features import _tokens
from nlp.features import is_wordlike
from nlp.text import fold_digits
from nlp.text import normalize
from nlp.tokenizer import Segmenter
from nlp.tokenizer import prune_dictionary
from nlp.tokenizer import tokenizer_for


def _texts() -> list[str]:
    out = []
    for name in ("authored.jsonl", "heldout.jsonl"):
        for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(fold_digits(normalize(json.loads(line)["text"])))
    return out


def test_rjieba_segments_every_shipped_message_exactly_like_jieba() -> None:
    texts = _texts()
    assert len(texts) > 3000
    words = prune_dictionary(texts)
    dictionary = "".join(f"{w} {f}\n" for w, f in words.items())
    seg = tokenizer_for(dictionary, 60_101_967, ["不动产登记中心", "换驾照", "好差评"])
    assert isinstance(seg, Segmenter)
    differ = [t for t in texts if seg.tokenize(t) != list(seg.jieba.tokenize(t, HMM=False))]
    assert differ == [], differ[:3]


def test_the_full_dictionarys_total_decides_the_route_not_the_pruned_sum() -> None:
    # Without the pad word rjieba would score words against the pruned dictionary's smaller total; jieba uses the
    # full one (60 million). A text where that changes the route must still come out as jieba cuts it.
    text = "昨天上午去市民之家办营业执照工作人员态度特别差让我跑了三趟还没办好"
    words = prune_dictionary([text])
    dictionary = "".join(f"{w} {f}\n" for w, f in words.items())
    for total in (sum(words.values()) + 1, 60_101_967, 10**10):
        seg = tokenizer_for(dictionary, total, [])
        assert seg.tokenize(text) == list(seg.jieba.tokenize(text, HMM=False)), total


def test_hmm_is_left_to_jieba() -> None:
    words = prune_dictionary(["他来到了网易杭研大厦"])
    seg = tokenizer_for("".join(f"{w} {f}\n" for w, f in words.items()), 60_101_967, [])
    assert seg.tokenize("他来到了网易杭研大厦", HMM=True) == list(seg.jieba.tokenize("他来到了网易杭研大厦", HMM=True))


def _tokens_as_before(tokenizer: Segmenter, segments: list[tuple[int, str]]) -> list[tuple[str, int, int]]:
    """`nlp.features._tokens` as it was written before it became a comprehension: the reference it must equal."""
    out: list[tuple[str, int, int]] = []
    for offset, segment in segments:
        if out:
            out.append(("", offset, offset))
        for word, start, end in tokenizer.tokenize(segment, HMM=False):
            out.append((word, start + offset, end + offset) if is_wordlike(word) else ("", offset, offset))
    return out


def test_feature_tokens_are_what_they_were_on_every_shipped_message() -> None:
    texts = _texts()
    seg = tokenizer_for("".join(f"{w} {f}\n" for w, f in prune_dictionary(texts).items()), 60_101_967, [])
    assert isinstance(seg, Segmenter)
    # Segments as prepare() passes them, with offsets: one whole text, and a text cut in windows (long messages).
    for text in texts:
        for segments in ([(0, text)], [(0, text[:40]), (60, text[60:100]), (120, text[120:])]):
            assert _tokens(seg, segments, False) == _tokens_as_before(seg, segments), text
