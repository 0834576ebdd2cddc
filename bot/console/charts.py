"""Server-rendered SVG charts for the dashboard: no chart library, no script, nothing fetched at run time.

The SVG uses presentation attributes only (no `style`), so the page's CSP (style-src 'self') holds; every label
is escaped. Values may be None (no data that week): lines break there instead of dropping to zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup
from markupsafe import escape

PALETTE = ("#1f5fa8", "#c2410c", "#15803d", "#7c3aed", "#b91c1c")
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 30, 34


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[float | None]
    color: str = PALETTE[0]


def _fmt(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _frame(title: str, labels: Sequence[str], y_ticks: Sequence[tuple[float, str]], y_max: float) -> list[str]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for value, text in y_ticks:
        y = TOP + plot_h - (value / y_max) * plot_h if y_max else TOP + plot_h
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y)}" y2="{_fmt(y)}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{_fmt(y + 4)}" font-size="11" text-anchor="end" fill="#6b7280">'
                     f"{escape(text)}</text>")  # fmt: skip
    step = max(1, len(labels) // 6)
    for i, label in enumerate(labels):
        if i % step == 0 or i == len(labels) - 1:
            x = LEFT + (i + 0.5) * plot_w / max(1, len(labels))
            parts.append(f'<text x="{_fmt(x)}" y="{HEIGHT - 12}" font-size="11" text-anchor="middle" '
                         f'fill="#6b7280">{escape(label)}</text>')  # fmt: skip
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts, x = [], LEFT
    for s in series:
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{escape(s.color)}"/>')
        parts.append(f'<text x="{x + 16}" y="18" font-size="12" fill="#111827">{escape(s.name)}</text>')
        x += 28 + 13 * len(s.name)
    return parts


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, percent: bool = True) -> Markup:
    """Lines over weeks; `percent` values are shares in [0, 1] shown as 0–100 %."""
    values = [v for s in series for v in s.values if v is not None]
    y_max = 1.0 if percent else max([1.0, *values]) * 1.1
    ticks = [(y_max * k / 4, f"{k * 25}%" if percent else _fmt(y_max * k / 4)) for k in range(5)]
    parts = _frame(title, labels, ticks, y_max)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    for s in series:
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, value in enumerate(s.values):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = LEFT + (i + 0.5) * plot_w / max(1, len(labels))
            y = TOP + plot_h - (value / y_max) * plot_h
            segment.append(f"{_fmt(x)},{_fmt(y)}")
            label = f"{labels[i]} {s.name} {value * 100:.0f}%" if percent else f"{labels[i]} {s.name} {_fmt(value)}"
            parts.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="3" fill="{escape(s.color)}">'
                         f"<title>{escape(label)}</title></circle>")  # fmt: skip
        if segment:
            segments.append(segment)
        for seg in segments:
            parts.append(f'<polyline points="{" ".join(seg)}" fill="none" stroke="{escape(s.color)}" '
                         f'stroke-width="2"/>')  # fmt: skip
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """Grouped bars of counts per week (received, overdue …)."""
    values = [v or 0 for s in series for v in s.values]
    step = max(1, math.ceil(max([1.0, *values]) / 4))  # whole-number ticks: these are counts of cases
    y_max = step * 4
    ticks = [(float(step * k), str(step * k)) for k in range(5)]
    parts = _frame(title, labels, ticks, y_max)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bar = slot * 0.7 / max(1, len(series))
    for j, s in enumerate(series):
        for i, value in enumerate(s.values):
            v = value or 0
            h = (v / y_max) * plot_h
            x = LEFT + i * slot + slot * 0.15 + j * bar
            parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(TOP + plot_h - h)}" width="{_fmt(bar)}" height="{_fmt(h)}" '
                         f'fill="{escape(s.color)}"><title>{escape(f"{labels[i]} {s.name} {_fmt(v)}")}</title></rect>')  # fmt: skip
    parts += _legend(series)
    parts.append("</svg>")
    return Markup("".join(parts))
