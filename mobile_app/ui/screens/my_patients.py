"""My patients: a large "Skann armbånd" button, the stays I take part in, then the patients I opened
recently, with the same markers as the ward list."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.models import PatientSummary
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.patient import patient_row
from mobile_app.ui.components.sus_offer import sus_offer_card
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.my_patients import MyPatientsState


@ft.component
def MyPatientsScreen(app: AppState, my: MyPatientsState, t: Messages) -> ft.Control:
    today = app.ctx.today()

    async def refresh() -> None:
        app.touch()
        await my.refresh()

    def opener(patient: PatientSummary):  # type: ignore[no-untyped-def]
        async def open_patient() -> None:
            app.touch()
            await app.open_patient(patient.id, patient, opened_from="my_patients")
        return open_patient

    problem = my.problem if my.status is Status.ERROR else None
    fixed = states.stale_above(t, problem=problem, has_data=my.fetched_at is not None, fetched_at=my.fetched_at,
                               on_retry=refresh)
    body = states.status_block(t, loading=my.status is Status.LOADING, has_data=my.fetched_at is not None,
                               fetched_at=my.fetched_at, problem=problem, on_retry=refresh)

    async def answer_sus() -> None:
        app.touch()
        app.sus.open()

    async def dismiss_sus() -> None:
        app.touch()
        app.sus.dismiss()

    turned_off = app.ctx.turned_off()
    if turned_off:  # the EPJ's server cannot do some of what the user's role is offered: say so once, here
        actions = ", ".join(t(f"action.{action.value}") for action in turned_off)
        body.insert(0, ft.Container(
            padding=ft.Padding.symmetric(horizontal=16, vertical=8),
            content=ft.Row(spacing=8, vertical_alignment=ft.CrossAxisAlignment.START, controls=[
                ft.Icon(ft.Icons.INFO_OUTLINE, color=ft.Colors.PRIMARY, size=20),
                ft.Text(t("my.turned_off", actions=actions), size=14, expand=True)])))
    if app.sus.shown:  # the evaluators' questionnaire, easy to say no to
        body.insert(0, sus_offer_card(t, answer_sus, dismiss_sus))
    if my.fetched_at is not None:
        body.append(states.section(t("my.in_care")))
        if my.in_care:
            body.extend(patient_row(t, p, today, opener(p), markers=my.markers.get(p.id)) for p in my.in_care)
        else:
            body.append(ft.Container(ft.Text(t("my.none_in_care"), color=ft.Colors.ON_SURFACE_VARIANT),
                                     padding=ft.Padding.symmetric(horizontal=16, vertical=8)))
        body.append(states.section(t("my.recent")))
        if my.recent:
            body.extend(patient_row(t, p, today, opener(p), markers=my.markers.get(p.id)) for p in my.recent)
        else:
            body.append(ft.Container(ft.Text(t("my.none_recent"), color=ft.Colors.ON_SURFACE_VARIANT),
                                     padding=ft.Padding.symmetric(horizontal=16, vertical=8)))

    async def scan() -> None:
        app.touch()
        app.scans.open_scan()

    # The way in at the bedside: large, first, in reach of a thumb (a scanner's burst works here too).
    scan_button = ft.FilledTonalButton(t("search.scan"), icon=ft.Icons.QR_CODE_SCANNER, on_click=scan, height=56,
                                       expand=True)
    header = ft.Row([
        ft.Text(t("state.fetched", time=fmt.clock(my.fetched_at)) if my.fetched_at else "",
                size=14, color=ft.Colors.ON_SURFACE_VARIANT, expand=True),
        ft.IconButton(ft.Icons.REFRESH, on_click=refresh, tooltip=t("state.refresh"),
                      width=theme.TOUCH, height=theme.TOUCH),
    ])
    return ft.Column(expand=True, spacing=0, controls=[
        ft.Container(ft.Row([scan_button]), padding=ft.Padding.only(left=12, right=12, top=8)),
        ft.Container(header, padding=ft.Padding.only(left=16, right=12, top=4)),
        *fixed,
        ft.ListView(controls=body, expand=True),
    ])
