"""The small card that offers the SUS questionnaire now and then: answer now, or "not now"."""

from __future__ import annotations

import flet as ft

from mobile_app.ui import theme
from mobile_app.ui.components.states import Handler
from mobile_app.ui.messages import Messages


def sus_offer_card(t: Messages, on_answer: Handler, on_dismiss: Handler) -> ft.Control:
    return ft.Card(margin=ft.Margin.symmetric(horizontal=8, vertical=4), content=ft.Container(
        padding=12,
        content=ft.Column(spacing=4, controls=[
            ft.Row([ft.Icon(ft.Icons.RATE_REVIEW_OUTLINED, color=ft.Colors.PRIMARY),
                    ft.Text(t("sus.offer"), expand=True)]),
            ft.Row(wrap=True, spacing=8, alignment=ft.MainAxisAlignment.END, controls=[
                ft.TextButton(t("sus.not_now"), on_click=on_dismiss, height=theme.TOUCH),
                ft.FilledTonalButton(t("sus.answer_now"), on_click=on_answer, height=theme.TOUCH),
            ]),
        ]),
    ))
