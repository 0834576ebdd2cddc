"""What a message wants, which units have their own grievance, readable evidence and the costly error.

The fixed examples below were written for these tests, not taken from nlp/data (a test checks that none of
them is a near-duplicate of a corpus message).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_city_config
from nlp import Classifier
from nlp import specs_from_config
from nlp.builtin import HELDOUT_FILE
from nlp.builtin import TRAIN_FILE
from nlp.datasets import read_messages
from nlp.dedup import jaccard
from nlp.dedup import shingles
from nlp.loading import ensure_model
from nlp.model import TextModel
from nlp.specs import options_from_config
from nlp.text import fold_digits
from nlp.text import normalize
from nlp.types import INTENTS

CITY = load_city_config()
UNITS, CATEGORIES = specs_from_config(CITY)

INTENT_EXAMPLES = {
    "complaint": [
        "你们效率真高啊，一个证办了三个月",  # sarcasm is a complaint
        "税务局窗口的大姐把我的发票甩在地上，叫我自己捡",
        "派出所办户口迁移，第四次去还是说缺材料，每次说的都不一样",
        "市民之家的小王很耐心，可她们科长把我的材料扔了出来",  # praise of a clerk, complaint about her boss
        "戶籍室的民警態度很差，還把我的身分證丟在桌上",  # traditional characters
    ],
    "praise": [
        "感谢不动产登记中心的周师傅，周末加班帮我们把证办好了",
        "公积金中心的小姑娘服务特别好，点赞！",
        "謝謝派出所的民警幫我找回了錢包",  # traditional characters
    ],
    "suggestion": [
        "建议医保局在乡镇卫生院也设一个报销窗口，老人不用进城跑",
        "希望车管所的预约系统周六也能多放一些号",
    ],
    "consult": [
        "请问补办身份证需要带户口本吗？",
        "退休手续在哪里办，要准备哪些东西",
    ],
    "query": [
        "我前天反映的那个事有人处理了吗",
        "我投诉的工单到底有没有进展，一个多礼拜了",
    ],
    "chitchat": ["哈喽，今天有人值班没", "晚上好呀", "你是人工客服吗"],
    "abuse": ["一帮吃白饭的饭桶，滚", "你们这些当官的都是骗子"],
}


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The same directory the other nlp tests use: trained once per session, then loaded.
    directory = tmp_path_factory.getbasetemp() / "nlp-complaint-model"
    ensure_model(UNITS, CATEGORIES, directory)
    return directory


@pytest.fixture(scope="session")
def clf(model_dir: Path) -> Classifier:
    return Classifier(TextModel.load(model_dir), UNITS, CATEGORIES, **options_from_config(CITY))


def test_the_examples_are_not_taken_from_the_corpus() -> None:
    corpus = [shingles(r.text) for path in (TRAIN_FILE, HELDOUT_FILE) for r in read_messages(path)]
    for texts in INTENT_EXAMPLES.values():
        for text in texts:
            mine = shingles(text)
            assert max(jaccard(mine, other) for other in corpus) <= 0.5, text


@pytest.mark.parametrize(("intent", "text"), [(i, t) for i, texts in INTENT_EXAMPLES.items() for t in texts])
def test_each_intent_on_fixed_examples(clf: Classifier, intent: str, text: str) -> None:
    result = clf.classify(text)
    assert result.intent in INTENTS
    assert result.intent == intent, (text, result.intent, result.intent_confidence)
    assert 0.5 < result.intent_confidence <= 1


def test_traditional_and_simplified_agree_on_intent(clf: Classifier) -> None:
    a, b = clf.classify("謝謝派出所的民警幫我找回了錢包"), clf.classify("谢谢派出所的民警帮我找回了钱包")
    assert (a.intent, a.unit) == (b.intent, b.unit) == ("praise", "gaj")
    assert a.intent_confidence == pytest.approx(b.intent_confidence)


def test_mixed_praise_is_a_complaint_about_the_unit(clf: Classifier) -> None:
    result = clf.classify("市民之家的小王很耐心，可她们科长把我的材料扔了出来")
    assert (result.intent, result.unit) == ("complaint", "zwfw")
    # Without the turn, the same praise is praise.
    assert clf.classify("市民之家的小王很耐心，帮我把材料都理好了").intent == "praise"


@pytest.mark.parametrize("text", ["", "  ", "🙂🙂", "？"])
def test_the_empty_message_is_chitchat_with_no_confidence(clf: Classifier, text: str) -> None:
    result = clf.classify(text)
    assert (result.intent, result.intent_confidence, result.triage, result.units) == ("chitchat", 0.0, True, ())
    assert result.extra["triage_reason"] == "no text"


def test_two_units_with_their_own_grievances_are_both_listed(clf: Classifier) -> None:
    result = clf.classify("房管局让我跑了三趟，税务局又说要发票，两边推来推去，谁都不管")
    assert set(result.units) == {"bdc", "swj"}
    assert result.units[0] == result.unit  # strongest first, and it is the unit
    assert result.intent == "complaint"


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("不是车管所的问题，是派出所开无犯罪记录证明拖了一个月", "gaj"),  # a negated unit has no grievance
        ("车管所窗口的人上班一直在玩手机", "cgs"),
    ],
)
def test_one_unit_is_one_unit(clf: Classifier, text: str, unit: str) -> None:
    result = clf.classify(text)
    assert result.units == (unit,) and result.unit == unit


def test_no_unit_means_no_units(clf: Classifier) -> None:
    result = clf.classify("你好")
    assert result.unit is None and result.units == ()


def _word_spans(clf: Classifier, text: str) -> set[tuple[int, int]]:
    """Every span of one whole jieba word, or of two adjacent ones, as the classifier's tokenizer cuts `text`."""
    words = [(s, e) for w, s, e in clf.tokenizer.tokenize(fold_digits(normalize(text)), HMM=False) if w.strip()]
    spans = set(words)
    spans |= {(a[0], b[1]) for a, b in zip(words, words[1:], strict=False) if a[1] == b[0]}
    norm = normalize(text)
    spans |= {(h.start, h.end) for h in (*clf.lexicon.unit_hits(norm), *clf.lexicon.cue_hits(norm))}
    return spans


def _pieces_are_whole_words(clf: Classifier, text: str) -> None:
    allowed = _word_spans(clf, text)
    for piece in clf.classify(text).evidence:
        places = {(i, i + len(piece)) for i in range(len(text)) if text.startswith(piece, i)}
        assert places & allowed, f"{piece!r} is not a whole word or cue phrase of {text!r}"


def test_evidence_is_whole_words_never_fragments(clf: Classifier) -> None:
    text = "那个时候我去车管所换驾照，他们一直在玩手机，等了两个小时"
    _pieces_are_whole_words(clf, text)
    evidence = clf.classify(text).evidence
    assert "车管所" in evidence and "玩手机" in evidence
    assert not any(piece in ("时候我", "候我去", "个时候") for piece in evidence)


def test_evidence_is_whole_words_on_unseen_messages(clf: Classifier) -> None:
    records = read_messages(HELDOUT_FILE)
    assert len(records) > 600
    for record in records[::4]:
        _pieces_are_whole_words(clf, record.text)


def test_evidence_of_other_intents_explains_the_intent(clf: Classifier) -> None:
    assert "请问" in clf.classify("请问补办身份证需要带户口本吗？").evidence
    assert "建议" in clf.classify("建议医保局在乡镇卫生院也设一个报销窗口").evidence


BRIBE = "办事员说这个事不好办，又暗示我意思意思就能快点"


def test_a_clear_bribe_is_corruption(clf: Classifier) -> None:
    result = clf.classify(BRIBE)
    assert result.category == "corruption" and not result.extra["possible_corruption"]
    assert "意思意思" in result.evidence


def test_a_possible_bribe_goes_to_triage_not_to_a_wrong_category(model_dir: Path, clf: Classifier) -> None:
    """Between the two thresholds 吃拿卡要 is neither chosen (no 纪委 on a weak guess) nor lost: triage."""
    p = next(c.probability for c in clf.classify(BRIBE).category_candidates if c.code == "corruption")
    options = {
        **options_from_config(CITY),
        "corruption_threshold": min(1.0, p + 0.01),
        "possible_corruption_threshold": p - 0.01,
    }
    cautious = Classifier(TextModel.load(model_dir), UNITS, CATEGORIES, **options)
    result = cautious.classify(BRIBE)
    assert result.category != "corruption"
    assert result.extra["possible_corruption"] is True and result.triage
    assert "possible corruption" in str(result.extra["triage_reason"])
    # Above the lower threshold only when it really is that likely.
    options["possible_corruption_threshold"] = min(1.0, p + 0.005)
    relaxed = Classifier(TextModel.load(model_dir), UNITS, CATEGORIES, **options).classify(BRIBE)
    assert relaxed.extra["possible_corruption"] is False


def test_a_complaint_without_a_bribe_is_not_flagged(clf: Classifier) -> None:
    result = clf.classify("车管所窗口的人上班一直在玩手机")
    assert result.extra["possible_corruption"] is False and result.category == "discipline"


def test_the_thresholds_come_from_the_configuration() -> None:
    options = options_from_config(CITY)
    assert options["corruption_threshold"] == CITY.nlp.corruption_threshold
    assert options["possible_corruption_threshold"] == CITY.nlp.possible_corruption_threshold
    assert options["possible_corruption_threshold"] < options["corruption_threshold"]
