"""Loading, empty, error and "data is old" states, shared by every screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import flet as ft

from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.base import Problem

Handler = Callable[..., Awaitable[Any] | Any]


def problem_text(t: Messages, problem: Problem) -> str:
    """The problem in words; counts of a thousand or more are written the Norwegian way (20 057)."""
    params = {key: fmt.count(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 1000
              else value for key, value in problem.params.items()}
    if "reason_key" in params:
        params["reason"] = t(params.pop("reason_key"))
    return t(problem.key, **params)


def loading(t: Messages) -> ft.Control:
    return loading_view(t)


def loading_view(t: Messages) -> ft.Control:
    return ft.Container(
        padding=24,
        alignment=ft.Alignment.CENTER,
        content=ft.Column(
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[ft.ProgressRing(semantics_label=t("state.loading")), ft.Text(t("state.loading"))],
        ),
    )


def empty(text: str, icon: ft.IconData = ft.Icons.INBOX_OUTLINED) -> ft.Control:
    return ft.Container(
        padding=24,
        alignment=ft.Alignment.CENTER,
        content=ft.Column(
            horizontal_alignment=ft.CrossAxisAlignment.CENTER,
            controls=[ft.Icon(icon, size=40, color=ft.Colors.OUTLINE),
                      ft.Text(text, text_align=ft.TextAlign.CENTER, color=ft.Colors.ON_SURFACE_VARIANT)],
        ),
    )


def error(t: Messages, problem: Problem, on_retry: Handler | None) -> ft.Control:
    controls: list[ft.Control] = [
        ft.Icon(ft.Icons.CLOUD_OFF if problem.key == "state.offline" else ft.Icons.ERROR_OUTLINE,
                size=40, color=ft.Colors.ERROR),
        ft.Text(problem_text(t, problem), text_align=ft.TextAlign.CENTER),
    ]
    if on_retry is not None and problem.retryable:
        controls.append(ft.FilledTonalButton(t("state.retry"), icon=ft.Icons.REFRESH, on_click=on_retry,
                                             height=theme.TOUCH))
    return ft.Container(padding=24, alignment=ft.Alignment.CENTER,
                        content=ft.Column(horizontal_alignment=ft.CrossAxisAlignment.CENTER,
                                          controls=controls))


def stale_bar(t: Messages, problem: Problem, fetched_at: datetime | None,
              on_retry: Handler | None) -> ft.Control:
    """Shown above data that could not be refreshed: says why and how old the data is."""
    text = problem_text(t, problem)
    if fetched_at is not None:
        text = f"{text} {t('state.stale', time=fmt.clock(fetched_at))}"
    row: list[ft.Control] = [
        ft.Icon(ft.Icons.CLOUD_OFF, color=theme.WARNING_FG),
        ft.Text(text, color=theme.WARNING_FG, expand=True, size=14),
    ]
    if on_retry is not None and problem.retryable:
        row.append(ft.TextButton(t("state.retry"), on_click=on_retry, height=theme.TOUCH,
                                 style=ft.ButtonStyle(color=theme.WARNING_FG)))
    return ft.Container(bgcolor=theme.WARNING_BG, padding=ft.Padding.symmetric(horizontal=12, vertical=4),
                        content=ft.Row(row, vertical_alignment=ft.CrossAxisAlignment.CENTER))


def section(title: str) -> ft.Control:
    return ft.Container(
        padding=ft.Padding.only(left=16, right=16, top=16, bottom=4),
        content=ft.Text(title, weight=ft.FontWeight.BOLD, size=14, color=ft.Colors.PRIMARY),
    )


def status_block(t: Messages, *, loading: bool, problem: Problem | None, has_data: bool,
                 fetched_at: datetime | None, on_retry: Handler | None) -> list[ft.Control]:
    """What a list screen shows in its list before the data: a spinner on first load, or the error
    when there is nothing to show yet. (Old data's bar goes above the list: ``stale_above``.)"""
    if problem is not None and not has_data:
        return [error(t, problem, on_retry)]
    if loading and not has_data and problem is None:
        return [loading_view(t)]
    return []


def stale_above(t: Messages, *, problem: Problem | None, has_data: bool, fetched_at: datetime | None,
                on_retry: Handler | None) -> list[ft.Control]:
    """Above a list, outside its scrolling (so it stays in sight): why the data shown is old."""
    if problem is None or not has_data:
        return []
    return [stale_bar(t, problem, fetched_at, on_retry)]
