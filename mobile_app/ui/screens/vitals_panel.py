"""The overview's part of the structured registrations, under its vital signs: record a set, open
the NEWS2 trend, a note while a set waits to be sent, and the thrombosis risk with its date (or
that the stay has no assessment) with "Vurder tromboserisiko" for the roles that assess it."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.padua import is_current
from mobile_app.domain.roles import Action
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.recording import thrombosis_line
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.patient import PatientState


def _pad(control: ft.Control) -> ft.Control:
    return ft.Container(control, padding=ft.Padding.symmetric(horizontal=16, vertical=4))


def recording_panel(app: AppState, screen: PatientState, t: Messages) -> list[ft.Control]:
    async def record() -> None:
        app.touch()
        app.open_vitals_form(screen)

    async def trend() -> None:
        app.touch()
        app.open_news2_trend(screen)

    async def assess() -> None:
        app.touch()
        app.open_thrombosis_form(screen)

    controls: list[ft.Control] = []
    if screen.vitals_waiting:
        controls.append(_pad(ft.Container(
            bgcolor=theme.WARNING_BG, border_radius=6, padding=ft.Padding.symmetric(horizontal=6, vertical=4),
            content=ft.Row(spacing=6, controls=[
                ft.Icon(ft.Icons.SCHEDULE_SEND, color=theme.WARNING_FG, size=18),
                ft.Text(t("vitals.waiting"), color=theme.WARNING_FG, size=14, expand=True)]))))
    buttons: list[ft.Control] = []
    if app.ctx.outbox is not None and app.ctx.may(Action.RECORD_VITAL_SIGNS):
        buttons.append(ft.FilledButton(t("vitals.record"), icon=ft.Icons.MONITOR_HEART, on_click=record,
                                       height=theme.TOUCH, key="record-vitals"))
    buttons.append(ft.OutlinedButton(t("vitals.trend"), icon=ft.Icons.SHOW_CHART, on_click=trend,
                                     height=theme.TOUCH, key="news2-trend"))
    controls.append(_pad(ft.Row(buttons, wrap=True, spacing=8, run_spacing=8)))
    overview = screen.overview
    risk = screen.thrombosis_risk
    admitted = overview.stay.start if overview is not None and overview.stay is not None else None
    controls.append(states.section(t("padua.section")))
    controls.append(_pad(thrombosis_line(t, risk, is_current(risk, admitted))))
    if app.ctx.outbox is not None and app.ctx.may(Action.ASSESS_THROMBOSIS_RISK):
        controls.append(_pad(ft.OutlinedButton(t("padua.record"), icon=ft.Icons.CHECKLIST, on_click=assess,
                                               height=theme.TOUCH, key="assess-thrombosis")))
    return controls
