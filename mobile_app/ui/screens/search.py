"""Search screen: one field for name, fødselsnummer or birth date (with the cursor in it when the
tab opens), results as you type, their markers, and a refresh of the results shown."""

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
        await app.scans.submit_search()

    async def clear() -> None:
        search.clear()

    async def retry() -> None:
        app.touch()
        await search.retry()

    def opener(patient: PatientSummary):  # type: ignore[no-untyped-def]
        async def open_patient() -> None:
            app.touch()
            await app.open_patient(patient.id, patient, opened_from="search")
        return open_patient

    async def scan() -> None:
        app.touch()
        app.scans.open_scan()

    field = ft.TextField(
        label=t("search.field"), value=search.text, on_change=changed, on_submit=submitted,
        # The cursor is here when Search opens; a scanner's burst typed into it still counts as a scan.
        autofocus=True, key="search",
        on_focus=lambda: app.scans.typing(True, passes_scans=True), on_blur=lambda: app.scans.typing(False),
        prefix_icon=ft.Icons.SEARCH, autocorrect=False, enable_suggestions=False,
        error=problem_text(t, search.input_problem) if search.input_problem else None,
        error_max_lines=3, helper_max_lines=2,
        helper=t("search.hint") if not search.text else None,
        suffix=ft.IconButton(ft.Icons.CLEAR, on_click=clear, tooltip=t("search.clear"), width=theme.TOUCH,
                             height=theme.TOUCH)
        if search.text else None,
    )
    problem = search.problem if search.status is Status.ERROR else None
    fixed = states.stale_above(t, problem=problem, has_data=bool(search.results), fetched_at=search.fetched_at,
                               on_retry=retry)
    # The cursor in the field as soon as Search opens (autofocus alone leaves it on the tab just tapped).
    shown_field: ft.MutableRef[ft.TextField] = ft.use_ref(None)
    shown_field.current = field

    async def focus_field() -> None:
        if shown_field.current is not None:
            await shown_field.current.focus()

    ft.on_mounted(focus_field)
    body = states.status_block(t, loading=search.status is Status.LOADING, has_data=bool(search.results),
                               fetched_at=search.fetched_at, problem=problem, on_retry=retry)
    if search.results:
        count = len(search.results)
        note = t("search.results_capped", count=count) if search.capped else t("search.results", count=count)
        if search.fetched_at:
            note += " · " + t("state.fetched", time=fmt.clock(search.fetched_at))
        body.append(ft.Container(padding=ft.Padding.only(left=16, right=8), content=ft.Row(
            vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
                # A node of its own: merged with the button, a screen reader would hear "Oppdater 3 treff".
                ft.Semantics(container=True, expand=True, content=ft.Text(note, size=14,
                                                                          color=ft.Colors.ON_SURFACE_VARIANT)),
                ft.IconButton(ft.Icons.REFRESH, on_click=retry, tooltip=t("state.refresh"), width=theme.TOUCH,
                              height=theme.TOUCH)])))
        body.extend(patient_row(t, p, today, opener(p), markers=search.markers.get(p.id)) for p in search.results)
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
            *fixed,
            ft.ListView(controls=body, expand=True, spacing=0),
        ],
    )


def stale_time(search: SearchState) -> str:
    return fmt.clock(search.fetched_at)
