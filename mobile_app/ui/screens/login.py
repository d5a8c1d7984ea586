"""Login screen: username and PIN, with a clear message for each way it can fail."""

from __future__ import annotations

import flet as ft

from mobile_app.ui import theme
from mobile_app.ui.components.pin_field import PinField
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.login import LoginState


@ft.component
def LoginScreen(app: AppState, login: LoginState, t: Messages) -> ft.Control:
    async def set_username(e: ft.Event[ft.TextField]) -> None:
        login.username = e.control.value or ""

    async def set_pin(e: ft.Event[ft.TextField]) -> None:
        login.pin = e.control.value or ""

    async def submit() -> None:
        await app.submit_login()

    messages: list[ft.Control] = []
    if login.notice is not None:
        messages.append(_note(problem_text(t, login.notice), ft.Icons.INFO_OUTLINE, ft.Colors.PRIMARY))
    if login.problem is not None:
        messages.append(_note(problem_text(t, login.problem), ft.Icons.ERROR_OUTLINE, ft.Colors.ERROR))
    return ft.SafeArea(
        expand=True,
        content=ft.Container(
            padding=24,
            content=ft.Column(
                scroll=ft.ScrollMode.AUTO,
                spacing=16,
                controls=[
                    ft.Container(height=24),
                    ft.Row([ft.Icon(ft.Icons.LOCAL_HOSPITAL, size=40, color=ft.Colors.PRIMARY),
                            ft.Text(t("app.name"), size=34, weight=ft.FontWeight.BOLD)]),
                    ft.Text(t("app.tagline"), color=ft.Colors.ON_SURFACE_VARIANT),
                    ft.Container(height=8),
                    ft.TextField(
                        label=t("login.username"), value=login.username, on_change=set_username,
                        autofocus=True, autocorrect=False, enable_suggestions=False,
                        prefix_icon=ft.Icons.PERSON_OUTLINE, on_submit=submit,
                        capitalization=ft.TextCapitalization.NONE,
                    ),
                    PinField(t, t("login.pin"), login.pin, set_pin, submit),
                    *messages,
                    ft.FilledButton(
                        t("login.busy") if login.busy else t("login.submit"),
                        icon=ft.Icons.LOGIN, on_click=submit, disabled=login.busy,
                        height=theme.TOUCH, width=400,
                    ),
                    ft.Text(t("login.demo_hint"), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
                ],
            ),
        ),
    )


def _note(text: str, icon: ft.IconData, color: str) -> ft.Control:
    return ft.Row([ft.Icon(icon, color=color), ft.Text(text, color=color, expand=True)],
                  vertical_alignment=ft.CrossAxisAlignment.START)
