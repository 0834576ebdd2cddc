"""The Monday paper's pure parts: ranking only units with enough cases, the narrative, the digest as sent."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from handlers import digest as figures
from handlers import digest_paper as paper
from tests.builders import city

START = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)
END = START + timedelta(days=7)


def stats(unit: str, received: int, on_time: int, overdue: int = 0) -> figures.UnitStats:
    return figures.UnitStats(unit, received=received, sign_counted=received, signed_on_time=on_time, overdue=overdue)


def digest(units: list[figures.UnitStats], **kw) -> figures.Digest:  # type: ignore[no-untyped-def]
    by_code = {s.unit: s for s in units}
    return figures.Digest("2026-W48", START, END, END, by_code, figures.rank(units), min_cases=3, **kw)


def test_only_units_with_enough_cases_are_ranked_and_the_rates_count_what_was_found() -> None:
    d = digest([stats("bdc", 5, 5), stats("gaj", 2, 2), stats("cgs", 0, 0)],
               findings={"verified": 1, "partly": 1, "unfounded": 2},
               held=[figures.HeldLine("ZY1", "bdc", "窗口负责人", "admonition", "confirmed"),
                     figures.HeldLine("ZY2", "bdc", None, "none", "pending")])  # fmt: skip
    assert [s.unit for s in d.ranked] == ["bdc"] and [s.unit for s in d.unranked] == ["gaj", "cgs"]
    assert d.substantiation_rate == 0.5 and d.held_count == 1
    text = figures.render(d, city())
    assert " 1. 市不动产登记中心" in text and " 2. " not in text
    assert "件数不足 3 件、未参与排名：市公安局（2件）" in text
    assert "ZY1 市不动产登记中心 诫勉谈话（窗口负责人）" in text and "ZY2 市不动产登记中心 不予问责（待确认）" in text


def test_the_narrative_without_a_week_before_and_with_one() -> None:
    now = digest([stats("bdc", 4, 1, overdue=2), stats("gaj", 3, 3)])
    alone = paper.narrative(now, None, city())
    assert alone[0] == "本期共收到群众反映 7 件。" and not any("排名" in line and "→" in line for line in alone)
    assert "目前超期未办结 2 件：市不动产登记中心 2 件，请督促办理。" in alone
    assert alone[-1] == "本期没有记录问责。"
    before = digest([stats("bdc", 4, 4), stats("gaj", 4, 1)])
    lines = paper.narrative(now, before, city())
    assert "本期共收到群众反映 7 件，比上周减少 1 件（上周 8 件）。" in lines
    assert "排名上升：市公安局（第2→第1名）；排名下降：市不动产登记中心（第1→第2名）。" in lines


def test_a_digest_survives_the_round_trip_through_json() -> None:
    import json

    d = digest([stats("bdc", 5, 4, overdue=1)], findings={"verified": 2},
               held=[figures.HeldLine("ZY1", "bdc", "窗口负责人", "admonition", "pending")],
               reveals=[figures.RevealLine("ZY1", "a", "b", "理由")], narrative=["一句话。"])  # fmt: skip
    d.overdue, d.hot_spots = ["ZY1"], [{"unit": "bdc", "window": None, "reporters": 3}]
    back = paper.from_dict(json.loads(json.dumps(paper.to_dict(d), ensure_ascii=False)))
    assert back == d
    assert figures.render(back, city()) == figures.render(d, city())
