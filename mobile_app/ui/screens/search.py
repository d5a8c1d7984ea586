"""Search screen: one field for name, fødselsnummer or birth date, results as you type."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.models import PatientSummary
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.patient import patient_row
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.search import SearchState


@ft.component
def SearchScreen(app: AppState, search: SearchState, t: Messages) -> ft.Control:
    today = app.ctx.today()

    async def changed(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        search.change(e.control.value or "")

    async def submitted(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        await app.submit_search()

    async def clear() -> None:
        search.clear()

    async def retry() -> None:
        await search.retry()

    def opener(patient: PatientSummary):  # type: ignore[no-untyped-def]
        async def open_patient() -> None:
            app.touch()
            await app.open_patient(patient.id, patient, opened_from="search")
        return open_patient

    async def scan() -> None:
        app.touch()
        app.open_scan()

    field = ft.TextField(
        label=t("search.field"), value=search.text, on_change=changed, on_submit=submitted,
        on_focus=lambda: app.typing(True), on_blur=lambda: app.typing(False),
        prefix_icon=ft.Icons.SEARCH, autocorrect=False, enable_suggestions=False,
        error=problem_text(t, search.input_problem) if search.input_problem else None,
        error_max_lines=3, helper_max_lines=2,
        helper=t("search.hint") if not search.text else None,
        suffix=ft.IconButton(ft.Icons.CLEAR, on_click=clear, tooltip=t("search.clear"))
        if search.text else None,
    )
    body = states.status_block(
        t, loading=search.status is Status.LOADING, has_data=bool(search.results), fetched_at=search.fetched_at,
        problem=search.problem if search.status is Status.ERROR else None, on_retry=retry)
    if search.results:
        count = len(search.results)
        note = t("search.results_capped", count=count) if search.capped else t("search.results", count=count)
        body.append(ft.Container(ft.Text(note, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                                 padding=ft.Padding.symmetric(horizontal=16)))
        body.extend(patient_row(t, p, today, opener(p)) for p in search.results)
    elif search.status is Status.READY and search.searched_text:
        body.append(states.empty(t("search.empty"), ft.Icons.PERSON_SEARCH))
    return ft.Column(
        expand=True,
        spacing=0,
        controls=[
            ft.Container(
                padding=ft.Padding.only(left=12, right=12, top=8, bottom=4),
                content=ft.Row([ft.Container(field, expand=True),
                                ft.IconButton(ft.Icons.QR_CODE_SCANNER, on_click=scan, tooltip=t("search.scan"),
                                              width=theme.TOUCH, height=theme.TOUCH)]),
            ),
            ft.ListView(controls=body, expand=True, spacing=0),
        ],
    )


def stale_time(search: SearchState) -> str:
    return fmt.clock(search.fetched_at)
