"""``LabTrendChart``: one analyte over time with flet-charts, the reference range shaded.

The x axis is days since the first point, labelled with dates; y is the value. The reference
band is an invisible line at the upper limit whose area is filled down to the lower limit.
Abnormal points are drawn as orange circles, critical ones as larger red squares (shape as well as
colour), and the chart carries a text summary for screen readers. Only the downsampled points
(``TrendState.drawn``) are sent to the client, so years of results draw as fast as a week's.
"""

from __future__ import annotations

import math
from datetime import datetime

import flet as ft
import flet_charts as fch

from mobile_app.domain.trend import TrendPoint
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.messages import Messages

BAND = "#2E7D32"  # reference band (green), drawn translucent
LINE = "#1F5F8B"  # the hospital blue of the theme
ABNORMAL = "#E65100"  # orange: high or low
HEIGHT = 240
FEW = 60  # up to this many points, every measurement gets a dot
DAY = 86400.0


def _x(moment: datetime, start: datetime) -> float:
    return (moment - start).total_seconds() / DAY


def _marker(point: TrendPoint, dots: bool) -> fch.ChartPointShape | None:
    """Critical: a red square; high or low: an orange circle; normal: a small dot when there are
    few points (each measurement visible), else nothing (a smooth line)."""
    if point.flag.is_critical:
        return fch.ChartSquarePoint(color=theme.CRITICAL, size=9, stroke_color="#FFFFFF", stroke_width=1)
    if point.flag.is_abnormal:
        return fch.ChartCirclePoint(color=ABNORMAL, radius=4 if dots else 2.5, stroke_color="#FFFFFF",
                                    stroke_width=1 if dots else 0)
    return fch.ChartCirclePoint(color=LINE, radius=2.5) if dots else None


def _date_labels(start: datetime, end: datetime, count: int = 4) -> tuple[list[fch.ChartAxisLabel], float]:
    """Dates at ``count`` evenly spaced ticks, and the spacing that puts the axis ticks there."""
    span = _x(end, start)
    step = max(span, 1.0 / 24) / (count - 1)
    labels = []
    for i in range(count):
        moment = start + (end - start) * (i / (count - 1))
        labels.append(fch.ChartAxisLabel(value=step * i, label=ft.Container(
            ft.Text(fmt.axis_label(moment, span), size=14), padding=ft.Padding.only(top=4))))
    return labels, step


def nice_step(span: float, ticks: int = 4) -> float:
    """A round tick spacing (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` ticks."""
    raw = span / ticks if span > 0 else 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(f * power for f in (1, 2, 2.5, 5, 10) if f * power >= raw))


def y_range(points: list[TrendPoint], low: float | None, high: float | None) -> tuple[float, float, float]:
    """(bottom, top, tick spacing): every value and the reference range, on round numbers."""
    values = [p.value for p in points] + [v for v in (low, high) if v is not None]
    bottom, top = min(values), max(values)
    if top == bottom:
        bottom, top = bottom - (abs(bottom) * 0.1 or 1.0), top + (abs(top) * 0.1 or 1.0)
    step = nice_step(top - bottom)
    floor_, ceil_ = math.floor(bottom / step) * step, math.ceil(top / step) * step
    if floor_ == bottom and bottom != 0:
        floor_ -= step
    if ceil_ == top:
        ceil_ += step
    return (max(floor_, 0.0) if bottom >= 0 else floor_), ceil_, step


def _band(low: float | None, high: float | None, min_x: float, max_x: float, min_y: float,
          max_y: float) -> list[fch.LineChartData]:
    if low is None and high is None:
        return []
    top = high if high is not None else max_y
    bottom = low if low is not None else min_y

    def flat(y: float) -> list[fch.LineChartDataPoint]:
        return [fch.LineChartDataPoint(min_x, y, show_tooltip=False),
                fch.LineChartDataPoint(max_x, y, show_tooltip=False)]

    series = [fch.LineChartData(points=flat(top), color=ft.Colors.TRANSPARENT, stroke_width=0,
                                below_line_bgcolor=ft.Colors.with_opacity(0.16, BAND),
                                below_line_cutoff_y=bottom, point=False)]
    for edge in (low, high):
        if edge is not None:
            series.append(fch.LineChartData(points=flat(edge), color=ft.Colors.with_opacity(0.7, BAND),
                                            stroke_width=1, dash_pattern=[4, 4], point=False))
    return series


def lab_trend_chart(t: Messages, drawn: list[TrendPoint], unit: str | None, low: float | None,
                    high: float | None, summary: str) -> ft.Control:
    """The chart of the drawn points (oldest first), or a short text when there is nothing to draw."""
    if not drawn:
        return ft.Container(padding=16, content=ft.Text(t("trend.no_points"), color=ft.Colors.ON_SURFACE_VARIANT))
    start, end = drawn[0].time, drawn[-1].time
    labels, x_step = _date_labels(start, end)
    max_x = x_step * (len(labels) - 1)
    min_y, max_y, y_step = y_range(drawn, low, high)
    suffix = f" {fmt.unit(unit)}" if unit else ""
    line = fch.LineChartData(
        color=LINE, stroke_width=2, point=False, curved=False,
        points=[fch.LineChartDataPoint(
            _x(p.time, start), p.value, point=_marker(p, len(drawn) <= FEW),
            tooltip=f"{p.comparator or ''}{fmt.number(p.value)}{suffix}\n{fmt.day_time(p.time)}")
            for p in drawn])
    chart = fch.LineChart(
        data_series=[*_band(low, high, 0.0, max_x, min_y, max_y), line],
        min_x=0, max_x=max_x, min_y=min_y, max_y=max_y,
        animation=0, interactive=True, height=HEIGHT,  # no animation: the chart is there at once
        tooltip=fch.LineChartTooltip(bgcolor=ft.Colors.INVERSE_SURFACE, fit_inside_horizontally=True,
                                     fit_inside_vertically=True, max_width=160),
        horizontal_grid_lines=fch.ChartGridLines(color=ft.Colors.with_opacity(0.15, ft.Colors.ON_SURFACE),
                                                 width=1, interval=y_step),
        left_axis=fch.ChartAxis(label_size=44, label_spacing=y_step),
        bottom_axis=fch.ChartAxis(labels=labels, label_spacing=x_step, label_size=30),
        border=ft.Border.all(1, ft.Colors.OUTLINE_VARIANT),
    )
    return ft.Semantics(label=summary, container=True, content=ft.Container(
        chart, padding=ft.Padding.only(left=4, right=28, top=12, bottom=4)))


def legend(t: Messages, has_band: bool) -> ft.Control:
    """What the marks mean, in words: shape and colour are never the only key."""
    items: list[ft.Control] = [
        ft.Row(tight=True, spacing=4, controls=[ft.Container(width=16, height=2, bgcolor=LINE),
                                                ft.Text(t("trend.legend.value"), size=14)]),
        ft.Row(tight=True, spacing=4, controls=[
            ft.Container(width=8, height=8, bgcolor=ABNORMAL, border_radius=4),
            ft.Text(t("trend.legend.abnormal"), size=14)]),
        ft.Row(tight=True, spacing=4, controls=[ft.Container(width=9, height=9, bgcolor=theme.CRITICAL),
                                                ft.Text(t("trend.legend.critical"), size=14)]),
    ]
    if has_band:
        items.append(ft.Row(tight=True, spacing=4, controls=[
            ft.Container(width=16, height=10, bgcolor=ft.Colors.with_opacity(0.25, BAND)),
            ft.Text(t("trend.legend.reference"), size=14)]))
    return ft.Container(padding=ft.Padding.symmetric(horizontal=16), content=ft.Row(items, wrap=True, spacing=12,
                                                                                     run_spacing=4))
