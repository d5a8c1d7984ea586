"""A PIN field with its own "show PIN" button: 48 x 48 px and named (Flutter's built-in reveal
button is 40 px and has no name for a screen reader)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile_app.ui import theme
from mobile_app.ui.messages import Messages

Handler = Callable[..., Awaitable[Any] | Any]


@ft.component
def PinField(t: Messages, label: str, value: str, on_change: Handler, on_submit: Handler,
             autofocus: bool = False) -> ft.Control:
    shown, set_shown = ft.use_state(False)

    def toggle() -> None:
        set_shown(not shown)

    return ft.TextField(
        label=label, value=value, on_change=on_change, on_submit=on_submit, password=not shown,
        keyboard_type=ft.KeyboardType.NUMBER, autofocus=autofocus, prefix_icon=ft.Icons.LOCK_OUTLINE,
        suffix=ft.IconButton(ft.Icons.VISIBILITY_OFF if shown else ft.Icons.VISIBILITY, on_click=toggle,
                             tooltip=t("login.hide_pin") if shown else t("login.show_pin"),
                             width=theme.TOUCH, height=theme.TOUCH),
    )
