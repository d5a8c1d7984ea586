"""Thrombosis risk (Padua Prediction Score): the score and its risk on top, live, then the eleven
risk factors as check boxes with their points, and Lagre vurdering. The newest earlier assessment
is shown with its date."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.padua import PaduaItem
from mobile_app.services.outbox_items import ItemState
from mobile_app.ui import theme
from mobile_app.ui.components.outbox import item_status
from mobile_app.ui.components.patient import scrolling, use_collapsing_banner, with_banner
from mobile_app.ui.components.recording import thrombosis_line
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.thrombosis import ThrombosisFormState


def score_card(t: Messages, form: ThrombosisFormState) -> ft.Control:
    score = form.score
    fg, bg, icon = ((theme.WARNING_FG, theme.WARNING_BG, ft.Icons.WARNING_AMBER) if score.high_risk
                    else (theme.CONFIRM_FG, theme.CONFIRM_BG, ft.Icons.CHECK_CIRCLE_OUTLINE))
    risk = t("padua.high") if score.high_risk else t("padua.low")
    advice = t("padua.high_advice") if score.high_risk else t("padua.low_advice")
    return ft.Semantics(label=f"{t('padua.score', total=score.total)} {risk}. {advice}", container=True,
                        live_region=True, content=ft.Container(
        bgcolor=bg, padding=ft.Padding.symmetric(horizontal=12, vertical=8), key="padua-score",
        content=ft.Column(spacing=2, controls=[
            ft.Row(spacing=8, controls=[ft.Icon(icon, color=fg, size=24),
                                        ft.Text(t("padua.score", total=score.total), color=fg, size=20,
                                                weight=ft.FontWeight.BOLD),
                                        ft.Text(risk, color=fg, size=16, weight=ft.FontWeight.W_600)]),
            ft.Text(advice, color=fg, size=14)])))


@shows(ThrombosisFormState)
@ft.component
def ThrombosisScreen(app: AppState, form: ThrombosisFormState, t: Messages) -> ft.Control:
    collapsed, scrolled = use_collapsing_banner()

    def toggler(item: PaduaItem):  # type: ignore[no-untyped-def]
        async def toggle(e: ft.Event[ft.Checkbox]) -> None:
            app.touch()
            form.toggle(item, bool(e.control.value))
        return toggle

    def flipper(item: PaduaItem):  # type: ignore[no-untyped-def]
        async def flip() -> None:
            app.touch()
            form.toggle(item, not form.present.get(item, False))
        return flip

    async def save() -> None:
        app.touch()
        item = await form.save()
        if item is not None and item.state is not ItemState.FAILED:
            app.after_recorded(form)

    rows: list[ft.Control] = [ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=8),
                                           content=ft.Text(t("padua.intro"), size=14))]
    if form.earlier is not None:
        rows.append(ft.Container(padding=ft.Padding.symmetric(horizontal=16, vertical=4), content=ft.Column(
            spacing=2, controls=[ft.Text(t("padua.earlier"), size=14, weight=ft.FontWeight.BOLD),
                                 thrombosis_line(t, form.earlier, True)])))
    for item, points in form.items:
        label = t("padua.item", text=t(f"padua.item.{item.value}"), points=points)
        # The whole row is the tap target (at least 48 px), and its text wraps on a small phone.
        rows.append(ft.ListTile(
            key=f"padua-{item.value}", min_height=theme.TOUCH, dense=True, on_click=flipper(item),
            leading=ft.Checkbox(value=form.present.get(item, False), on_change=toggler(item), semantics_label=label,
                                visual_density=ft.VisualDensity.STANDARD, width=theme.TOUCH, height=theme.TOUCH),
            title=ft.Text(label, size=15)))
    status: list[ft.Control] = []
    if form.problem is not None:
        status.append(ft.Text(problem_text(t, form.problem), color=ft.Colors.ERROR, weight=ft.FontWeight.W_600))
    if form.saved is not None and form.saved.state is ItemState.FAILED:
        status.append(ft.Text(item_status(t, form.saved), color=ft.Colors.ERROR, size=14))
    body = ft.Column(spacing=0, expand=True, controls=[
        score_card(t, form),
        ft.Container(scrolling(ft.ListView(rows, expand=True, padding=ft.Padding.only(bottom=12)), scrolled),
                     expand=True, key="items"),
        ft.Container(key="save-bar", padding=ft.Padding.only(left=16, right=16, top=6, bottom=10),
                     border=ft.Border.only(top=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
                     content=ft.Column(spacing=4, controls=[
                         *status,
                         ft.FilledButton(t("padua.save"), icon=ft.Icons.SAVE, on_click=save, disabled=form.busy,
                                         height=56, width=10_000)])),
    ])
    return with_banner(t, form.banner, app.ctx.today(), collapsed, body)
