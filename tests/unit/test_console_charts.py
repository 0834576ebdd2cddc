"""The dashboard's SVG charts: gaps for weeks without data, escaped labels, no style attributes (CSP)."""

from __future__ import annotations

from bot.console.charts import Series
from bot.console.charts import bar_chart
from bot.console.charts import line_chart


def test_line_chart_breaks_at_missing_weeks_and_escapes_labels() -> None:
    svg = str(line_chart("<b>标题</b>", ["45周", "46周", "47周", "48周"], [Series("率<x>", [0.5, None, 0.8, 1.0])]))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2  # the gap splits the line instead of dropping to zero
    assert svg.count("<circle") == 3
    assert "<b>" not in svg and "&lt;b&gt;标题&lt;/b&gt;" in svg and "率&lt;x&gt;" in svg
    assert "style=" not in svg and "<script" not in svg


def test_bar_chart_uses_whole_number_ticks() -> None:
    svg = str(bar_chart("收到", ["1", "2", "3"], [Series("收到", [3, 14, 0])]))
    assert svg.count("<rect") == 3 + 1  # three bars and one legend swatch
    assert ">16</text>" in svg and ">4</text>" in svg and ">3.5</text>" not in svg


def test_an_empty_chart_still_renders() -> None:
    assert "<svg" in str(line_chart("空", [], [Series("a", [])]))
    assert "<svg" in str(bar_chart("空", [], [Series("a", [])]))
