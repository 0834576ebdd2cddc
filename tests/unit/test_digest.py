"""Digest figures against a hand-counted fixture."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from bot.settings import load_city_config
from handlers.digest import CaseFacts
from handlers.digest import Digest
from handlers.digest import RevealLine
from handlers.digest import pct
from handlers.digest import rank
from handlers.digest import render
from handlers.digest import unit_stats

START = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Monday 23 November 00:00 Beijing
END = START + timedelta(days=7)
AS_OF = END + timedelta(hours=9)


def at(day: int, hour: int = 2) -> datetime:
    return START + timedelta(days=day, hours=hour)


FACTS = [
    # bdc: 3 received; sign: 2 on time of 3; answer: 1 on time of 2 decided (third not due yet)
    CaseFacts("1", "bdc", "attitude", "closed", at(0), sign_due=at(1), signed_at=at(0, 5), answer_due=at(5),
              answered_at=at(4), rated_at=at(4, 5), satisfied=True),
    CaseFacts("2", "bdc", "access", "escalated", at(1), sign_due=at(2), signed_at=at(3), answer_due=at(6)),
    CaseFacts("3", "bdc", "other", "signed", at(2), sign_due=at(3), signed_at=at(2, 3), answer_due=at(20)),
    # cgs: 1 received, signed late, answered on time, rated unsatisfied
    CaseFacts("4", "cgs", "corruption", "reopened", at(0), sign_due=at(1), signed_at=at(1, 5), answer_due=at(3),
              answered_at=at(2), rated_at=at(3), satisfied=False),
    # received last week, rated this week: counts for satisfaction only
    CaseFacts("5", "cgs", "attitude", "closed", START - timedelta(days=3), rated_at=at(1), satisfied=True),
    # not received in the period and not open: ignored
    CaseFacts("6", "gjj", "other", "closed", START - timedelta(days=30)),
    # no unit (triage): not counted against anyone
    CaseFacts("7", None, "other", "triage", at(1)),
]  # fmt: skip


def test_hand_counted_figures() -> None:
    stats = unit_stats(FACTS, start=START, end=END, as_of=AS_OF, units=["bdc", "cgs", "gjj", "zwfw"])
    bdc, cgs, gjj = stats["bdc"], stats["cgs"], stats["gjj"]
    assert (bdc.received, bdc.sign_counted, bdc.signed_on_time) == (3, 3, 2)
    assert (bdc.answer_counted, bdc.answered_on_time) == (2, 1)
    assert (bdc.rated, bdc.satisfied, bdc.overdue) == (1, 1, 1)
    assert (cgs.received, cgs.signed_on_time, cgs.answered_on_time, cgs.rated, cgs.satisfied) == (1, 0, 1, 2, 1)
    assert gjj.received == 0 and gjj.response_rate is None
    assert pct(bdc.response_rate) == "67%" and pct(cgs.satisfaction_rate) == "50%" and pct(None) == "—"
    assert [s.unit for s in rank(stats.values())] == ["bdc", "cgs", "gjj", "zwfw"]


def test_the_office_paper_lists_the_weeks_reveals_and_a_supervisors_does_not() -> None:
    city = load_city_config()
    stats = unit_stats(FACTS, start=START, end=END, as_of=AS_OF, units=["bdc"])
    line = RevealLine("ZY2611230001", "陈（office1）", "王（office2）", "市民要求回访，电话13912345678需核实")
    d = Digest("2026-W48", START, END, AS_OF, stats, rank(stats.values()), reveals=[line])
    paper = render(d, city)
    assert "查看反映人身份 1 次（双人审批）：" in paper
    assert (
        "  ZY2611230001：申请人 陈（office1），批准人 王（office2），理由：市民要求回访，电话139****5678需核实" in paper
    )
    assert "13912345678" not in paper
    assert "查看反映人身份" not in render(d, city, for_supervisor="sup_bdc")
    assert "查看反映人身份 0 次（双人审批）：无" in render(Digest("2026-W48", START, END, AS_OF, stats, []), city)
