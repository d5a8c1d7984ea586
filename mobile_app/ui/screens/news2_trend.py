"""NEWS2 over time: a chart of the complete scores with the low band (0-4) shaded, medium scores as
orange circles and high ones as red squares, a summary in words, and every set in a table, newest
first (partial sets and sets waiting to be sent marked)."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.models import LabFlag
from mobile_app.domain.news2 import Band
from mobile_app.domain.news2_trend import News2Point
from mobile_app.domain.trend import TrendPoint
from mobile_app.domain.vitals import response_of
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.lab import chip
from mobile_app.ui.components.patient import scrolling, use_collapsing_banner, with_banner
from mobile_app.ui.components.trend_chart import ABNORMAL, BAND, lab_trend_chart
from mobile_app.ui.components.vitals import news2_head, response_style
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.news2_trend import TABLE_PAGE, News2TrendState

LOW_BAND = (0.0, 4.0)
_FLAGS = {Band.HIGH: LabFlag.CRITICAL_HIGH, Band.MEDIUM: LabFlag.HIGH, Band.LOW_MEDIUM: LabFlag.HIGH,
          Band.LOW: LabFlag.NORMAL}


def chart_points(points: list[News2Point]) -> list[TrendPoint]:
    """The complete scores as chart points, flagged by band (shape and colour as on the lab charts)."""
    return [TrendPoint(p.time, float(p.total), _FLAGS[p.band], p.time.isoformat()) for p in points]


def summary(t: Messages, trend: News2TrendState) -> str:
    drawn = trend.drawn
    if not drawn:
        return t("news2trend.none")
    highest = max(drawn, key=lambda p: (p.total, p.time))
    return t("news2trend.summary", count=len(trend.points), start=fmt.day(trend.points[0].time),
             end=fmt.day(trend.points[-1].time), high=highest.total, high_date=fmt.day_time(highest.time))


def _row(t: Messages, point: News2Point) -> ft.Control:
    icon, fg, bg = response_style(response_of(point.band, point.total, point.complete))
    head = news2_head(t, point.total, point.complete)
    notes: list[str] = []
    if not point.complete:
        notes.append(t("news2trend.partial", parameters=", ".join(t(f"news2.param.{p.value}") for p in point.missing)))
    if point.threes:
        notes.append(t("news2trend.threes", parameters=", ".join(t(f"news2.param.{p.value}") for p in point.threes)))
    if point.scale == 2:
        notes.append(t("news2.scale_used", scale=2))
    if point.pending:
        notes.append(t("news2trend.pending"))
    marker = chip(f"{head} · {t(f'news2.band.{point.band.value}')}", fg, bg, icon) if point.complete \
        else chip(head, ft.Colors.ON_SURFACE_VARIANT, ft.Colors.SURFACE_CONTAINER_HIGHEST, ft.Icons.HELP_OUTLINE)
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=16, vertical=6),
        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Column(spacing=2, controls=[
            ft.Row(controls=[ft.Text(fmt.day_time(point.time), size=14, expand=True), marker]),
            *([ft.Text(" · ".join(notes), size=14, color=ft.Colors.ON_SURFACE_VARIANT)] if notes else []),
        ]))


def legend(t: Messages) -> ft.Control:
    items: list[ft.Control] = [
        ft.Row(tight=True, spacing=4, controls=[
            ft.Container(width=16, height=10, bgcolor=ft.Colors.with_opacity(0.25, BAND)),
            ft.Text(t("news2trend.legend.low"), size=14)]),
        ft.Row(tight=True, spacing=4, controls=[ft.Container(width=8, height=8, bgcolor=ABNORMAL, border_radius=4),
                                                ft.Text(t("news2trend.legend.medium"), size=14)]),
        ft.Row(tight=True, spacing=4, controls=[ft.Container(width=9, height=9, bgcolor=theme.CRITICAL),
                                                ft.Text(t("news2trend.legend.high"), size=14)]),
    ]
    return ft.Container(padding=ft.Padding.symmetric(horizontal=16),
                        content=ft.Row(items, wrap=True, spacing=12, run_spacing=4))


@shows(News2TrendState)
@ft.component
def News2TrendScreen(app: AppState, trend: News2TrendState, t: Messages) -> ft.Control:
    collapsed, scrolled = use_collapsing_banner()

    async def retry() -> None:
        app.touch()
        await trend.load()

    async def more() -> None:
        app.touch()
        trend.show_more()

    text = summary(t, trend)
    controls: list[ft.Control] = states.status_block(
        t, loading=trend.status is Status.LOADING, has_data=trend.loaded is not None, fetched_at=None,
        problem=trend.problem if trend.status is Status.ERROR else None, on_retry=retry)
    if trend.loaded is not None or trend.points:
        controls += [
            lab_trend_chart(t, chart_points(trend.drawn), None, *LOW_BAND, text),
            legend(t),
            ft.Container(padding=ft.Padding.only(left=16, right=16, top=8), content=ft.Text(text, size=14)),
            states.section(t("news2trend.table")),
            *(_row(t, p) for p in trend.table()),
        ]
    if trend.more:
        controls.append(ft.Container(padding=12, alignment=ft.Alignment.CENTER, content=ft.OutlinedButton(
            t("news2trend.more", count=min(trend.more, TABLE_PAGE), left=trend.more), icon=ft.Icons.EXPAND_MORE,
            on_click=more, height=theme.TOUCH)))
    content = scrolling(ft.ListView(controls, expand=True, padding=ft.Padding.only(bottom=16)), scrolled)
    return with_banner(t, trend.banner, app.ctx.today(), collapsed, content)
