"""Charts as inline SVG, drawn here without any library, each in a <figure> with a table fallback.

Three shapes cover the report: columns (a value per day or bin), horizontal bars (a value per
category, several series side by side) and lines (a value per week). Every figure has an id, its
SVG an ``aria-label``, and the same numbers as a table under a <details> element.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C6D31", "#555555")
WIDTH = 720
Format = Callable[[float], str]


def number(value: float) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "–"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def percent(value: float) -> str:
    return "–" if math.isnan(value) else f"{value * 100:.1f} %"


def _nice_max(value: float) -> tuple[float, float]:
    """A round axis maximum at or above ``value`` and its tick step (about 4-5 ticks)."""
    if value <= 0 or math.isnan(value):
        return 1.0, 0.25
    magnitude = 10 ** math.floor(math.log10(value / 4))
    for factor in (1, 2, 2.5, 5, 10):
        step = magnitude * factor
        if value / step <= 5:
            return step * math.ceil(value / step), step
    return value, value / 4


def _legend(names: Sequence[str], y: float) -> str:
    parts, x = [], 48.0
    for index, name in enumerate(names):
        color = PALETTE[index % len(PALETTE)]
        parts.append(f'<rect x="{x:.0f}" y="{y - 9:.0f}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{x + 14:.0f}" y="{y:.0f}" class="legend">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return "".join(parts)


def _svg(chart_id: str, title: str, height: float, body: str) -> str:
    return (f'<svg viewBox="0 0 {WIDTH} {height:.0f}" width="100%" role="img" '
            f'aria-label="{escape(title)}" id="{escape(chart_id)}-svg" xmlns="http://www.w3.org/2000/svg">'
            f'{body}</svg>')


def figure(chart_id: str, title: str, svg: str, headers: Sequence[str], rows: Sequence[Sequence[str]],
           note: str = "") -> str:
    """The chart, its caption and its numbers as a table."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    return (f'<figure class="chart" id="{escape(chart_id)}" aria-label="{escape(title)}">'
            f"<figcaption>{escape(title)}</figcaption>{svg}{note_html}"
            f"<details><summary>Table</summary><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></details></figure>")


def empty_figure(chart_id: str, title: str) -> str:
    svg = _svg(chart_id, f"{title}: no data", 40, '<text x="8" y="24" class="axis">No data in these logs</text>')
    return figure(chart_id, title, svg, ["note"], [["no data in these logs"]])


def columns(chart_id: str, title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]],
            fmt: Format = number, note: str = "") -> str:
    """Vertical columns: one group per label, one column per series."""
    if not labels:
        return empty_figure(chart_id, title)
    height, left, top, bottom = 280.0, 52.0, 28.0, 40.0
    plot_w, plot_h = WIDTH - left - 12, height - top - bottom
    top_value, step = _nice_max(max((v for vs in series.values() for v in vs if not math.isnan(v)), default=0))
    parts = [_axis_y(left, top, plot_w, plot_h, top_value, step, fmt)]
    group_w = plot_w / len(labels)
    bar_w = max(1.0, group_w * 0.8 / len(series))
    every = max(1, math.ceil(len(labels) / 12))
    for i, label in enumerate(labels):
        x0 = left + i * group_w + group_w * 0.1
        for s, (name, values) in enumerate(series.items()):
            value = values[i]
            h = 0.0 if math.isnan(value) else plot_h * value / top_value
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)} '
                         f'{escape(name)}: {escape(fmt(value))}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{left + (i + 0.5) * group_w:.1f}" y="{height - bottom + 16:.0f}" '
                         f'class="axis" text-anchor="middle">{escape(label)}</text>')
    if len(series) > 1:
        parts.append(_legend(list(series), 14))
    headers = ["", *series]
    rows = [[label, *(fmt(values[i]) for values in series.values())] for i, label in enumerate(labels)]
    return figure(chart_id, title, _svg(chart_id, title, height, "".join(parts)), headers, rows, note)


def _axis_y(left: float, top: float, plot_w: float, plot_h: float, top_value: float, step: float,
            fmt: Format) -> str:
    parts = []
    ticks = round(top_value / step)
    for t in range(ticks + 1):
        value = t * step
        y = top + plot_h - plot_h * value / top_value
        parts.append(f'<line x1="{left:.0f}" x2="{left + plot_w:.0f}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                     f'<text x="{left - 6:.0f}" y="{y + 4:.1f}" class="axis" text-anchor="end">'
                     f"{escape(fmt(value))}</text>")
    return "".join(parts)


def bars(chart_id: str, title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]],
         fmt: Format = number, note: str = "", scale_max: float | None = None) -> str:
    """Horizontal bars: one row per label, one bar per series."""
    if not labels:
        return empty_figure(chart_id, title)
    left, right, top, bar_h = 170.0, 70.0, 30.0 if len(series) > 1 else 8.0, 14.0
    row_h = bar_h * len(series) + 10
    height = top + row_h * len(labels) + 8
    plot_w = WIDTH - left - right
    peak = scale_max or max((v for vs in series.values() for v in vs if not math.isnan(v)), default=0) or 1.0
    parts = []
    for i, label in enumerate(labels):
        y0 = top + i * row_h
        parts.append(f'<text x="{left - 8:.0f}" y="{y0 + row_h / 2 + 2:.1f}" class="axis" '
                     f'text-anchor="end">{escape(label)}</text>')
        for s, (name, values) in enumerate(series.items()):
            value = values[i]
            w = 0.0 if math.isnan(value) else plot_w * min(value, peak) / peak
            y = y0 + s * bar_h + 4
            parts.append(f'<rect x="{left:.0f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2:.0f}" '
                         f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)} {escape(name)}: '
                         f'{escape(fmt(value))}</title></rect>'
                         f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 4:.1f}" class="value">'
                         f"{escape(fmt(value))}</text>")
    if len(series) > 1:
        parts.append(_legend(list(series), 16))
    headers = ["", *series]
    rows = [[label, *(fmt(values[i]) for values in series.values())] for i, label in enumerate(labels)]
    return figure(chart_id, title, _svg(chart_id, title, height, "".join(parts)), headers, rows, note)


def lines(chart_id: str, title: str, labels: Sequence[str], series: Mapping[str, Sequence[float]],
          fmt: Format = number, note: str = "", extra: Mapping[str, Sequence[float]] | None = None) -> str:
    """One line per series over ``labels`` (NaN leaves a gap); ``extra`` columns go in the table only."""
    if not labels:
        return empty_figure(chart_id, title)
    height, left, top, bottom, inset = 280.0, 52.0, 28.0, 40.0, 48.0
    plot_w, plot_h = WIDTH - left - 16, height - top - bottom
    top_value, step = _nice_max(max((v for vs in series.values() for v in vs if not math.isnan(v)), default=0))
    parts = [_axis_y(left, top, plot_w, plot_h, top_value, step, fmt)]
    dx = (plot_w - 2 * inset) / max(1, len(labels) - 1)
    left += inset
    every = max(1, math.ceil(len(labels) / 8))
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(f'<text x="{left + i * dx:.1f}" y="{height - bottom + 16:.0f}" class="axis" '
                         f'text-anchor="middle">{escape(label)}</text>')
    for s, (name, values) in enumerate(series.items()):
        color = PALETTE[s % len(PALETTE)]
        segment: list[str] = []
        for i, value in enumerate([*values, math.nan]):
            if math.isnan(value):
                if len(segment) > 1:
                    parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                                 f'points="{" ".join(segment)}"/>')
                segment = []
                continue
            x, y = left + i * dx, top + plot_h - plot_h * value / top_value
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{escape(labels[i])} '
                         f"{escape(name)}: {escape(fmt(value))}</title></circle>")
    parts.append(_legend(list(series), 14))
    columns = {**series, **(extra or {})}
    headers = ["", *columns]
    rows = [[label, *(fmt(values[i]) for values in columns.values())] for i, label in enumerate(labels)]
    return figure(chart_id, title, _svg(chart_id, title, height, "".join(parts)), headers, rows, note)
