"""History of one analyte: who and what, the trend chart with its reference band, a summary in
words (lowest, highest, how many abnormal), and every value in a table, newest first."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.models import LabResult
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import lab as widgets
from mobile_app.ui.components import states
from mobile_app.ui.components.patient import scrolling, use_collapsing_banner, with_banner
from mobile_app.ui.components.trend_chart import lab_trend_chart, legend
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.trend import TABLE_PAGE, TrendState


def summary(t: Messages, trend: TrendState) -> str:
    """The chart in words, for the screen and for screen readers."""
    span, lowest, highest = trend.span, trend.lowest, trend.highest
    if span is None or lowest is None or highest is None:
        return t("trend.no_points")
    parts = [
        t("trend.count", count=len(trend.points), start=fmt.day(span[0]), end=fmt.day(span[1])),
        t("trend.extremes", low=fmt.with_unit(fmt.number(lowest.value), trend.unit),
          low_date=fmt.day(lowest.time), high=fmt.with_unit(fmt.number(highest.value), trend.unit),
          high_date=fmt.day(highest.time)),
        t("trend.abnormal", count=len(trend.abnormal)),
    ]
    return " ".join(parts)


def _range_text(t: Messages, trend: TrendState) -> str:
    low, high = trend.reference
    if low is not None and high is not None:
        text = f"{fmt.number(low)}–{fmt.number(high)}"
    elif high is not None:
        text = f"≤ {fmt.number(high)}"
    elif low is not None:
        text = f"≥ {fmt.number(low)}"
    else:
        return t("trend.no_reference")
    return t("trend.reference", range=fmt.with_unit(text, trend.unit))


def _table_row(t: Messages, result: LabResult) -> ft.Control:
    marker = widgets.flag_chip(t, result.flag)
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=16, vertical=6),
        bgcolor=theme.CRITICAL_ROW if result.flag.is_critical else None,
        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
            ft.Text(fmt.day_time(result.time), size=14, expand=True),
            ft.Text(widgets.value_text(t, result), size=15, weight=ft.FontWeight.BOLD,
                    color=theme.CRITICAL_TEXT if result.flag.is_critical else None),
            ft.Container(marker, width=104, alignment=ft.Alignment.CENTER_RIGHT) if marker is not None
            else ft.Container(width=104),
        ]),
    )


@shows(TrendState)
@ft.component
def TrendScreen(app: AppState, trend: TrendState, t: Messages) -> ft.Control:
    async def more() -> None:
        app.touch()
        trend.show_more()

    collapsed, scrolled = use_collapsing_banner()
    low, high = trend.reference
    text = summary(t, trend)
    drawn = trend.drawn
    heading: list[ft.Control] = [ft.Text(trend.name, size=20, weight=ft.FontWeight.BOLD)]
    if trend.banner is None:
        heading.append(ft.Text(trend.patient_name, size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    controls: list[ft.Control] = [
        ft.Container(padding=ft.Padding.only(left=16, right=16, top=12), content=ft.Column(spacing=2, controls=[
            *heading,
            ft.Text(_range_text(t, trend), size=14),
        ])),
        lab_trend_chart(t, drawn, trend.unit, low, high, text),
        legend(t, low is not None or high is not None),
        ft.Container(padding=ft.Padding.only(left=16, right=16, top=8), content=ft.Column(spacing=2, controls=[
            ft.Text(text, size=14),
            *([ft.Text(t("trend.drawn", drawn=len(drawn), count=len(trend.points)), size=14,
                       color=ft.Colors.ON_SURFACE_VARIANT)] if len(drawn) < len(trend.points) else []),
        ])),
        states.section(t("trend.table")),
    ]
    controls.extend(_table_row(t, r) for r in trend.table())
    if trend.more:
        controls.append(ft.Container(padding=12, alignment=ft.Alignment.CENTER, content=ft.OutlinedButton(
            t("trend.more", count=min(trend.more, TABLE_PAGE), left=trend.more), icon=ft.Icons.EXPAND_MORE,
            on_click=more, height=theme.TOUCH)))
    content = scrolling(ft.ListView(controls, expand=True, padding=ft.Padding.only(bottom=16)), scrolled)
    return with_banner(t, trend.banner, app.ctx.today(), collapsed, content)
