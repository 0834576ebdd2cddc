"""nlp/ without a model: normalisation, windows over long texts, explicit rules and negation, the tokenizer,
and the package's import boundary."""

from __future__ import annotations

import ast
import logging
import os
import stat
import tempfile
from pathlib import Path

import jieba
import pytest

from nlp.rules import Lexicon
from nlp.rules import rule_tokens
from nlp.specs import CategorySpec
from nlp.specs import UnitSpec
from nlp.specs import specs_from_config
from nlp.text import has_content
from nlp.text import model_segments
from nlp.text import normalize
from nlp.tokenizer import build_tokenizer
from nlp.tokenizer import cache_dir
from nlp.tokenizer import prune_dictionary
from nlp.tokenizer import tokenizer_for

NLP_DIR = Path(__file__).resolve().parents[2] / "nlp"

UNITS = (
    UnitSpec("cgs", "市公安局交警支队车辆管理所", ("车管所", "交警支队"), ("换驾照", "驾驶证")),
    UnitSpec("gaj", "市公安局", ("公安局", "派出所"), ("身份证", "户口")),
    UnitSpec("bdc", "市不动产登记中心", ("房管局", "不动产中心"), ("房产证", "过户")),
    UnitSpec("cgj", "市城市管理执法局", ("城管",), ("摆摊",)),
)
CATEGORIES = (
    CategorySpec("attitude", "脸难看", ("态度", "吼")),
    CategorySpec("obstruction", "事难办", ("推诿", "一次性告知")),
    CategorySpec("other", "其他", ("建议",)),
)


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon(UNITS, CATEGORIES)


def _units(lexicon: Lexicon, text: str) -> list[tuple[str, str, bool]]:
    return [(h.code, h.kind, h.negated) for h in lexicon.unit_hits(normalize(text))]


def test_normalize_is_length_preserving_simplified_half_width_lower_case() -> None:
    text = "我們去車管所換駕照，ＡＢＣ１２３號窗口\u3000態度很兇😡"
    norm = normalize(text)
    assert len(norm) == len(text)
    assert norm == "我们去车管所换驾照,abc123号窗口 态度很凶😡"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "😡😡😡", "👍🏻", "？？！！", "……"])
def test_has_content_is_false_without_letters_digits_or_hanzi(text: str) -> None:
    assert not has_content(normalize(text))


def test_model_segments_keep_short_text_whole_and_window_long_text_around_focus() -> None:
    assert model_segments("短消息", 600) == [(0, "短消息")]
    text = "啊" * 10_000 + "房管局收红包" + "啊" * 10_000
    focus = [(10_000, 10_003)]
    segments = model_segments(text, 600, focus)
    assert sum(len(s) for _, s in segments) <= 600
    assert segments[0][0] == 0 and segments[-1][0] + len(segments[-1][1]) == len(text)
    assert any("房管局收红包" in s for _, s in segments)
    for offset, segment in segments:
        assert text[offset : offset + len(segment)] == segment


def test_explicit_names_aliases_and_service_words(lexicon: Lexicon) -> None:
    assert _units(lexicon, "在车管所换驾照") == [("cgs", "alias", False), ("cgs", "service", False)]
    assert _units(lexicon, "去房管局办房产证") == [("bdc", "alias", False), ("bdc", "service", False)]
    assert _units(lexicon, "派出所") == [("gaj", "alias", False)]


def test_longest_name_wins_over_the_alias_inside_it(lexicon: Lexicon) -> None:
    # 市公安局交警支队车辆管理所 contains 公安局 (another unit's alias): the full name must win.
    assert _units(lexicon, "市公安局交警支队车辆管理所的人") == [("cgs", "name", False)]


def test_traditional_characters_match(lexicon: Lexicon) -> None:
    assert _units(lexicon, "我在車管所換駕照") == [("cgs", "alias", False), ("cgs", "service", False)]


@pytest.mark.parametrize(
    ("text", "negated"),
    [
        ("不是车管所的问题，是派出所", "cgs"),
        ("不是房管局的问题", "bdc"),
        ("我说的不是房管局", "bdc"),
        ("这事不怪城管，派出所", "cgj"),
        ("跟城管没关系，派出所乱来", "cgj"),
        ("车管所那边没问题，派出所太慢", "cgs"),
        ("并不是车管所，而是派出所", "cgs"),
    ],
)
def test_negated_mentions_are_flagged(lexicon: Lexicon, text: str, negated: str) -> None:
    hits = lexicon.unit_hits(normalize(text))
    assert {h.code for h in hits if h.negated} == {negated}
    assert all(not h.negated for h in hits if h.code != negated)


def test_rhetorical_question_is_not_a_negation(lexicon: Lexicon) -> None:
    assert _units(lexicon, "这不是车管所该管的吗？") == [("cgs", "alias", False)]


def test_negation_does_not_reach_across_a_clause(lexicon: Lexicon) -> None:
    assert _units(lexicon, "不是我说，车管所太慢了") == [("cgs", "alias", False)]


def test_cue_words_and_emphatic_denial(lexicon: Lexicon) -> None:
    hits = lexicon.cue_hits(normalize("态度倒是没问题，就是没有一次性告知"))
    assert [(h.code, h.term, h.negated) for h in hits] == [
        ("attitude", "态度", True),
        ("obstruction", "一次性告知", False),  # “没有一次性告知” is itself the complaint
    ]


def test_rule_tokens_mark_the_unit_after_a_contrast(lexicon: Lexicon) -> None:
    text = normalize("派出所那边很快就办好了，可是车管所一直推诿")
    tokens = rule_tokens(lexicon.unit_hits(text), lexicon.cue_hits(text), text)
    assert "named:gaj" in tokens and "named:cgs" in tokens
    assert "last:cgs" in tokens and "contrast:cgs" in tokens
    assert "contrast:gaj" not in tokens


def test_specs_from_config_duck_types_the_city_config() -> None:
    class Obj:
        def __init__(self, **kw: object) -> None:
            self.__dict__.update(kw)

    city = Obj(
        units=[Obj(code="cgs", name="车管所", aliases=["交警"], services=["换驾照"], parent=None)],
        categories=[Obj(code="other", name="其他", cues=["建议"], sign_days=1)],
    )
    units, categories = specs_from_config(city)
    assert units == (UnitSpec("cgs", "车管所", ("交警",), ("换驾照",)),)
    assert categories == (CategorySpec("other", "其他", ("建议",)),)


def test_tokenizer_is_our_own_instance_with_city_words_and_a_private_cache() -> None:
    texts = ["我在车管所换驾照，工作人员态度很差", "提取公积金要跑好几趟"]
    dictionary = prune_dictionary(texts)
    text = "".join(f"{w} {f}\n" for w, f in dictionary.items())
    tok = tokenizer_for(text, 60_101_967, ["不动产登记中心", "换驾照"]).jieba
    assert tok is not jieba.dt
    assert "换驾照" in tok.FREQ and "换驾照" not in jieba.dt.FREQ
    assert list(tok.cut("去不动产登记中心", HMM=False)) == ["去", "不动产登记中心"]
    directory = Path(tok.tmp_dir)
    assert directory.is_relative_to(Path(tempfile.gettempdir()))
    assert not directory.is_relative_to(NLP_DIR.parent)
    assert stat.S_IMODE(directory.stat().st_mode) & 0o077 == 0
    assert logging.getLogger("jieba").getEffectiveLevel() >= logging.WARNING


def test_pruned_dictionary_segments_like_the_full_one() -> None:
    texts = [
        "昨天上午去市民之家办营业执照，工作人员态度特别差，让我跑了三趟还没办好",
        "孩子入学的材料交了三遍，每次都说缺点东西，互相推诿",
        "城管把老人的菜摊直接掀了，没收了三轮车也不给开单子",
    ]
    full = jieba.Tokenizer()
    full.tmp_dir = str(cache_dir())
    full.initialize()
    words = prune_dictionary(texts)
    assert 0 < len(words) < 2000
    path = Path(tempfile.mkdtemp()) / "dict.txt"
    path.write_text("".join(f"{w} {f}\n" for w, f in words.items()), encoding="utf-8")
    small = build_tokenizer(path, full.total, [])
    for text in texts:
        assert list(small.cut(text, HMM=False)) == list(full.cut(text, HMM=False))


def test_cache_dir_refuses_a_directory_others_can_write(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    planted = tmp_path / f"zhiyong-jieba-{os.getuid()}"
    planted.mkdir(mode=0o777)
    planted.chmod(0o777)
    chosen = cache_dir()
    assert chosen != planted
    assert stat.S_IMODE(chosen.stat().st_mode) & 0o077 == 0


FORBIDDEN = ("flask", "wechatpy", "sqlalchemy", "apscheduler", "requests", "bot", "storage", "handlers")


def test_nlp_imports_nothing_from_the_outside_world() -> None:
    offenders = []
    for path in sorted(NLP_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_the_table_remembers_untouched_characters_without_changing_any_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from nlp import text as nlp_text

    plain = {k: v for k, v in nlp_text._table().items() if k != v}  # what it maps, as a plain dict
    sample = "車管所的ＡＢ窗口③号 态度差😀𠀀\u3000OK"
    assert normalize(sample) == sample.translate(plain) == "车管所的ab窗口3号 态度差😀𠀀 ok"
    assert nlp_text._table()[ord("态")] == ord("态")  # remembered as itself
    monkeypatch.setattr(nlp_text, "_REMEMBER", 0)  # full: still right, just not remembered
    assert normalize("鬱") == "郁" and normalize("龘") == "龘" and ord("龘") not in nlp_text._table()
