"""Lock screen: shows no patient data; the same user unlocks with the PIN, or leaves."""

from __future__ import annotations

import flet as ft

from mobile_app.ui import theme
from mobile_app.ui.components.pin_field import PinField
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.login import LockState


@ft.component
def LockScreen(app: AppState, lock: LockState, t: Messages) -> ft.Control:
    async def set_pin(e: ft.Event[ft.TextField]) -> None:
        lock.pin = e.control.value or ""

    async def unlock() -> None:
        await app.flow.submit_unlock()

    async def switch_user() -> None:
        await app.flow.logout()

    controls: list[ft.Control] = [
        ft.Container(height=32),
        ft.Icon(ft.Icons.LOCK, size=56, color=ft.Colors.PRIMARY),
        ft.Text(t("lock.title"), size=28, weight=ft.FontWeight.BOLD),
        # Why it is locked: only an idle lock says the app was not in use.
        ft.Text(t(f"lock.body.{app.flow.locked_by}", name=app.flow.user_name), text_align=ft.TextAlign.CENTER),
        PinField(t, t("lock.pin"), lock.pin, set_pin, unlock, autofocus=True),
    ]
    if lock.problem is not None:
        controls.append(ft.Text(problem_text(t, lock.problem), color=ft.Colors.ERROR))
    controls += [
        ft.FilledButton(t("lock.unlock"), icon=ft.Icons.LOCK_OPEN, on_click=unlock, disabled=lock.busy,
                        height=theme.TOUCH, width=400),
        ft.Row(alignment=ft.MainAxisAlignment.SPACE_BETWEEN, controls=[
            ft.TextButton(t("lock.switch_user"), icon=ft.Icons.SWITCH_ACCOUNT, on_click=switch_user,
                          height=theme.TOUCH),
            ft.TextButton(t("lock.logout"), icon=ft.Icons.LOGOUT, on_click=switch_user, height=theme.TOUCH),
        ]),
    ]
    return ft.SafeArea(expand=True, content=ft.Container(
        padding=24,
        content=ft.Column(controls, horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=16,
                          scroll=ft.ScrollMode.AUTO)))
