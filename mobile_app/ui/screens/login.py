"""Login screen: "Logg inn" opens the EPJ's own login page; then the user picks a session PIN.

Each way the login can fail has its own message (LoginState). The page opens in the system browser
(a new tab when the app runs in a browser); the app waits for its answer on a loopback address.
"""

from __future__ import annotations

import flet as ft

from mobile_app.ui import theme
from mobile_app.ui.components.pin_field import PinField
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.login import LoginState, LoginStep


async def open_in_browser(url: str) -> None:
    """Show the EPJ's login page: the system browser, or a new tab in web mode."""
    await ft.UrlLauncher().launch_url(url, web_only_window_name="_blank")


@ft.component
def LoginScreen(app: AppState, login: LoginState, t: Messages) -> ft.Control:
    messages: list[ft.Control] = []
    if login.notice is not None:
        messages.append(_note(problem_text(t, login.notice), ft.Icons.INFO_OUTLINE, ft.Colors.PRIMARY))
    if login.problem is not None:
        messages.append(_note(problem_text(t, login.problem), ft.Icons.ERROR_OUTLINE, ft.Colors.ERROR))
    if login.step is LoginStep.CHOOSE_PIN:
        body = _choose_pin(app, login, t)
    elif login.step is LoginStep.WAITING:
        body = _waiting(login, t)
    else:
        body = _start(app, t)
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
                    *messages,
                    *body,
                ],
            ),
        ),
    )


def _start(app: AppState, t: Messages) -> list[ft.Control]:
    async def open_page() -> None:
        await app.open_login_page(open_in_browser)

    return [
        ft.Text(t("login.intro")),
        ft.FilledButton(t("login.submit"), icon=ft.Icons.LOGIN, on_click=open_page, height=theme.TOUCH,
                        width=400),
        ft.Text(t("login.demo_hint"), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
    ]


def _waiting(login: LoginState, t: Messages) -> list[ft.Control]:
    return [
        ft.Row([ft.ProgressRing(width=24, height=24), ft.Text(t("login.waiting"), expand=True)]),
        ft.OutlinedButton(t("login.cancel"), icon=ft.Icons.CLOSE, on_click=login.cancel, height=theme.TOUCH,
                          width=400),
    ]


def _choose_pin(app: AppState, login: LoginState, t: Messages) -> list[ft.Control]:
    async def set_pin(e: ft.Event[ft.TextField]) -> None:
        login.pin = e.control.value or ""

    async def set_pin_again(e: ft.Event[ft.TextField]) -> None:
        login.pin_again = e.control.value or ""

    async def submit() -> None:
        await app.submit_login()

    return [
        ft.Text(t("login.choose_pin_title"), size=22, weight=ft.FontWeight.BOLD),
        ft.Text(t("login.choose_pin_body", name=login.who)),
        PinField(t, t("login.pin"), login.pin, set_pin, submit, autofocus=True),
        PinField(t, t("login.pin_again"), login.pin_again, set_pin_again, submit),
        ft.FilledButton(t("login.busy") if login.busy else t("login.begin"), icon=ft.Icons.LOGIN,
                        on_click=submit, disabled=login.busy, height=theme.TOUCH, width=400),
        ft.TextButton(t("login.cancel"), icon=ft.Icons.CLOSE, on_click=login.cancel, height=theme.TOUCH),
    ]


def _note(text: str, icon: ft.IconData, color: str) -> ft.Control:
    return ft.Row([ft.Icon(icon, color=color), ft.Text(text, color=color, expand=True)],
                  vertical_alignment=ft.CrossAxisAlignment.START)
