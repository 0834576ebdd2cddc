"""The monthly standing's arithmetic (handlers.ranking): each component's score, reweighting over what a unit has,
the minimum sample, shared ranks, the bottom, 约谈 after two months there, months, and the volume file."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handlers import ranking as r
from handlers import ratings

W = {"complaints": 0.15, "findings": 0.15, "satisfaction": 0.2, "ratings": 0.25, "surveys": 0.15, "inspections": 0.1}
NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


def test_each_component_scores_from_0_to_100() -> None:
    f = r.UnitFigures("bdc", complaints=4, volume=4000, findings=4, substantiated=1, rated=5, satisfied=4,
                      ratings=4, rating_sum=18, survey=(72.5, 40), inspections=2, checks_assessed=12,
                      checks_passed=9)  # fmt: skip
    parts = r.components(f, W, surveys_available=True)
    assert parts["complaints"].score == pytest.approx(50.0)  # 1 per 1,000 services → 100 / (1 + 1)
    assert parts["findings"].score == pytest.approx(75.0)  # a quarter substantiated
    assert parts["satisfaction"].score == pytest.approx(80.0)
    assert parts["ratings"].score == pytest.approx(87.5)  # mean 4.5 → (4.5 − 1) × 25
    assert parts["surveys"].score == pytest.approx(72.5)
    assert parts["inspections"].score == pytest.approx(75.0)
    # Everything present: the plain weighted mean; the sample counts judgements, not the volume or the findings.
    expected = (0.15 * 50 + 0.15 * 75 + 0.2 * 80 + 0.25 * 87.5 + 0.15 * 72.5 + 0.1 * 75) / 1.0
    assert r.combined(parts) == pytest.approx(expected)
    assert r.sample(parts) == 4 + 5 + 4 + 40 + 2


def test_missing_components_are_reweighted_over_those_present_and_say_why() -> None:
    f = r.UnitFigures("zwfw", ratings=3, rating_sum=12, inspections=1, checks_assessed=6, checks_passed=3)
    parts = r.components(f, W, surveys_available=False)
    assert r.combined(parts) == pytest.approx((0.25 * 75 + 0.1 * 50) / 0.35)
    assert parts["complaints"].note == "服务量未知，本项不计" and not parts["complaints"].present
    assert parts["surveys"].note == r.NO_SURVEYS
    # A weight of 0 leaves a component out although the unit has it.
    parts = r.components(f, {**W, "inspections": 0}, surveys_available=False)
    assert r.combined(parts) == pytest.approx(75.0) and parts["inspections"].note == r.ZERO_WEIGHT


def test_units_below_the_minimum_sample_are_listed_apart_and_equal_scores_share_a_rank() -> None:
    units = [
        r.UnitFigures("bdc", ratings=4, rating_sum=16),  # 75.0
        r.UnitFigures("gaj", ratings=4, rating_sum=16),  # 75.0
        r.UnitFigures("zwfw", ratings=5, rating_sum=10),  # 25.0
        r.UnitFigures("cgs", ratings=2, rating_sum=10),  # 100.0 but only 2 ratings
        r.UnitFigures("rsj"),  # nothing at all
    ]
    doc = r.standing("2026-11", units, weights=W, min_sample=3, computed_at=NOW, surveys_available=False)
    assert [(row["unit"], row["rank"], row["score"]) for row in doc["rows"]] == [("bdc", 1, 75.0), ("gaj", 1, 75.0),
                                                                                 ("zwfw", 3, 25.0)]  # fmt: skip
    assert [(row["unit"], row["reason"]) for row in doc["apart"]] == [("cgs", "样本不足（2 < 3）"),
                                                                      ("rsj", "无可计分的数据")]  # fmt: skip
    assert r.bottom(doc) == ["zwfw"]


def test_two_months_at_the_bottom_flag_a_unit_for_a_talk() -> None:
    def month(*scores: tuple[str, int]) -> dict:  # type: ignore[type-arg]
        units = [r.UnitFigures(u, ratings=4, rating_sum=s) for u, s in scores]
        return r.standing("m", units, weights=W, min_sample=1, computed_at=NOW, surveys_available=False)

    october = month(("bdc", 20), ("zwfw", 6), ("gaj", 12))
    november = month(("bdc", 18), ("zwfw", 5), ("gaj", 12))
    other = month(("bdc", 18), ("zwfw", 12), ("gaj", 5))
    assert r.flagged_for_talk([october, november]) == ["zwfw"]
    assert r.flagged_for_talk([october, other]) == []
    assert r.flagged_for_talk([october, None]) == []
    assert r.bottom(month(("bdc", 10))) == []  # one unit ranked alone is not "at the bottom"


def test_months() -> None:
    assert r.month_bounds("2026-12", TZ) == (datetime(2026, 12, 1, tzinfo=TZ), datetime(2027, 1, 1, tzinfo=TZ))
    assert r.ended_months(datetime(2027, 1, 4, 1, 0, tzinfo=UTC), TZ) == ["2026-12", "2026-11"]
    # 2026-12-31 17:00 UTC is already 1 January in Beijing.
    assert r.ended_months(datetime(2026, 12, 31, 17, 0, tzinfo=UTC), TZ, 1) == ["2026-12"]
    with pytest.raises(ValueError, match="YYYY-MM"):
        r.parse_month("2026-13")


def test_the_volume_file_names_the_bad_line() -> None:
    text = "# 办件量\nunit,month,volume\nbdc,2026-11,5200\nzwfw,2026-11,12000\nbdc,2026-11,5300\n"
    assert sorted(r.parse_volumes(text, ["bdc", "zwfw"])) == [("bdc", "2026-11", 5300), ("zwfw", "2026-11", 12000)]
    with pytest.raises(r.RankingError, match="第 2 行：未知单位 nowhere"):
        r.parse_volumes("bdc,2026-11,1\nnowhere,2026-11,2\n", ["bdc"])
    with pytest.raises(r.RankingError, match="第 1 行：服务量应为非负整数"):
        r.parse_volumes("bdc,2026-11,-3\n", ["bdc"])


def test_the_ratings_summary_definitions() -> None:
    rows = [("bdc", "3", 5, 2), ("bdc", "3", 4, 1), ("bdc", "3", 3, 1), ("bdc", None, 1, 1), ("zwfw", "1", 2, 1)]
    out = ratings.summarize(rows, [("bdc", "3", 1)], [("bdc", "3", 2), ("gaj", None, 1)], str.upper)
    bdc = next(u for u in out if u["unit"] == "bdc")
    assert (bdc["total"], bdc["satisfaction_rate"], bdc["poor_rate"], bdc["excluded_misjudged"]) == (5, 0.6, 0.2, 1)
    assert bdc["counts"] == {"5": 2, "4": 1, "3": 1, "2": 0, "1": 1} and bdc["praise"] == 2
    assert [w["window"] for w in bdc["windows"]] == ["3", None]
    gaj = next(u for u in out if u["unit"] == "gaj")  # praised, never rated: no rate, not 0 %
    assert (gaj["total"], gaj["satisfaction_rate"], gaj["praise"]) == (0, None, 1)
