"""The SUS questionnaire: ten statements answered 1 to 5, "Send svar" or "Ikke nå", then a thank-you."""

from __future__ import annotations

import flet as ft

from mobile_app.ui import theme
from mobile_app.ui.components.states import Handler, problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.sus import SUS_ITEM_COUNT, SUS_SCALE, SusState


@shows(SusState)
@ft.component
def SusScreen(app: AppState, state: SusState, t: Messages) -> ft.Control:
    async def submit() -> None:
        app.touch()
        state.submit()

    async def not_now() -> None:
        app.touch()
        state.dismiss()
        app.nav.back()

    async def finish() -> None:
        app.touch()
        app.nav.back()

    if state.done:
        return _thanks(t, finish)
    flagged = set(state.missing) if state.problem is not None else set()
    statements: list[ft.Control] = [ft.Text(t("sus.intro"))]
    statements.extend(_statement(app, state, t, index, index + 1 in flagged) for index in range(SUS_ITEM_COUNT))
    # The buttons (and why sending failed) stay in view below the scrolling statements: leaving is one tap.
    footer: list[ft.Control] = []
    if state.problem is not None:
        footer.append(ft.Row([ft.Icon(ft.Icons.ERROR_OUTLINE, color=ft.Colors.ERROR),
                              ft.Text(problem_text(t, state.problem), color=ft.Colors.ERROR, expand=True)]))
    footer.append(ft.Row(wrap=True, spacing=8, alignment=ft.MainAxisAlignment.END, controls=[
        ft.TextButton(t("sus.not_now"), on_click=not_now, height=theme.TOUCH),
        ft.FilledButton(t("sus.submit"), icon=ft.Icons.SEND, on_click=submit, height=theme.TOUCH),
    ]))
    return ft.Column(expand=True, spacing=0, controls=[
        ft.ListView(padding=16, spacing=12, controls=statements, expand=True),
        ft.Divider(height=1),
        ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=8),
                     content=ft.Column(spacing=4, controls=footer)),
    ])


def _statement(app: AppState, state: SusState, t: Messages, index: int, flagged: bool) -> ft.Control:
    """One statement with its five choices; each choice's label ("1 – Helt uenig") is its accessible name."""

    async def choose(e: ft.Event[ft.RadioGroup]) -> None:
        app.touch()
        if e.control.value:
            state.answer(index, int(e.control.value))

    number = index + 1
    answer = state.answers[index]
    return ft.Container(
        padding=ft.Padding.symmetric(horizontal=8, vertical=4),
        border=ft.Border.all(1, ft.Colors.ERROR) if flagged else None,
        border_radius=8,
        content=ft.Column(spacing=0, controls=[
            ft.Text(f"{number}. {t(f'sus.q{number}')}", weight=ft.FontWeight.W_600),
            ft.RadioGroup(
                value=str(answer) if answer is not None else None,
                on_change=choose,
                content=ft.Column(spacing=0, controls=[
                    ft.Radio(value=str(value), label=t(f"sus.scale.{value}"),
                             visual_density=ft.VisualDensity.COMPACT)
                    for value in SUS_SCALE
                ]),
            ),
        ]),
    )


def _thanks(t: Messages, on_finish: Handler) -> ft.Control:
    return ft.Container(
        padding=24,
        alignment=ft.Alignment.CENTER,
        content=ft.Column(horizontal_alignment=ft.CrossAxisAlignment.CENTER, spacing=12, controls=[
            ft.Icon(ft.Icons.CHECK_CIRCLE, size=48, color=theme.CONFIRM_FG),
            ft.Text(t("sus.thanks"), size=20, weight=ft.FontWeight.BOLD, text_align=ft.TextAlign.CENTER),
            ft.Text(t("sus.thanks_body"), text_align=ft.TextAlign.CENTER),
            ft.FilledButton(t("sus.done"), on_click=on_finish, height=theme.TOUCH),
        ]),
    )
