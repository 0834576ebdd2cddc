"""Near-duplicate similarity: paraphrases of one incident score high, different incidents low."""

from __future__ import annotations

from nlp.similarity import DEFAULT_THRESHOLD
from nlp.similarity import similar
from nlp.similarity import similarity


def test_paraphrases_of_one_incident_are_similar() -> None:
    a = "昨天上午在不动产登记中心3号窗口办房产证，工作人员态度很差还骂人"
    b = "昨天下午我也在不动产登记中心3号窗口办房产证，那个工作人员态度差骂人"
    assert similarity(a, b) >= DEFAULT_THRESHOLD
    assert similarity(a, a) > 0.99


def test_different_incidents_are_not() -> None:
    a = "昨天上午在不动产登记中心3号窗口办房产证，工作人员态度很差还骂人"
    assert similarity(a, "车管所换驾照的时候有人暗示要塞红包") < 0.2
    assert similarity(a, "") == 0.0 and similarity("😀😀", "😀😀") == 0.0


def test_traditional_and_simplified_forms_match() -> None:
    assert similarity("不動產登記中心態度很差", "不动产登记中心态度很差") > 0.99


def test_similar_orders_and_filters() -> None:
    base = "社保局窗口让我来回跑了五趟，材料要了又要"
    found = similar(base, [("x", "车管所的人打游戏"), ("y", "社保局窗口让我来回跑了三趟，材料要了又要"), ("z", base)])
    assert [m.key for m in found] == ["z", "y"]
