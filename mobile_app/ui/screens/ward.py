"""Ward list: the user's wards, beds in room order, markers, refresh; tap opens the patient."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.models import WardBed
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.lab import chip
from mobile_app.ui.components.patient import critical_chip
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.ward import WardState


@ft.component
def WardScreen(app: AppState, ward: WardState, t: Messages) -> ft.Control:
    today = app.ctx.today()

    async def refresh() -> None:
        app.touch()
        await ward.refresh()

    async def choose(e: ft.Event[ft.Dropdown]) -> None:
        app.touch()
        if e.control.value:
            await ward.select(e.control.value)

    def opener(bed: WardBed):  # type: ignore[no-untyped-def]
        async def open_patient() -> None:
            app.touch()
            if bed.patient is not None:
                await app.open_patient(bed.patient.id, bed.patient, opened_from="ward")
        return open_patient

    header: list[ft.Control] = []
    if ward.wards:
        header.append(ft.Dropdown(
            label=t("ward.choose"), value=ward.ward_id, expand=True, on_select=choose,
            options=[ft.DropdownOption(key=w.id, text=w.name) for w in ward.wards],
        ))
    header.append(ft.IconButton(ft.Icons.REFRESH, on_click=refresh, tooltip=t("state.refresh"),
                                width=theme.TOUCH, height=theme.TOUCH))
    body = states.status_block(
        t, loading=ward.status is Status.LOADING, has_data=bool(ward.beds), fetched_at=ward.fetched_at,
        problem=ward.problem if ward.status is Status.ERROR else None, on_retry=refresh)
    if ward.status is Status.READY and not ward.wards:
        body.append(states.empty(t("ward.no_wards"), ft.Icons.BED_OUTLINED))
    if ward.beds:
        summary = t("ward.summary", occupied=ward.occupied, beds=len(ward.beds))
        if ward.fetched_at:
            summary += " · " + t("state.fetched", time=fmt.clock(ward.fetched_at))
        body.append(ft.Container(ft.Text(summary, size=12, color=ft.Colors.ON_SURFACE_VARIANT),
                                 padding=ft.Padding.symmetric(horizontal=16, vertical=4)))
        body.extend(_bed_row(t, bed, today, opener(bed)) for bed in ward.beds)
    return ft.Column(expand=True, spacing=0, controls=[
        ft.Container(ft.Row(header), padding=ft.Padding.only(left=12, right=12, top=8, bottom=4)),
        ft.ListView(controls=body, expand=True),
    ])


def new_results_chip(t: Messages) -> ft.Control:
    """Unsigned results from the last 48 hours: icon and text, not colour alone."""
    return chip(t("ward.new_results"), ft.Colors.ON_TERTIARY_CONTAINER, ft.Colors.TERTIARY_CONTAINER, ft.Icons.SCIENCE)


def news2_chip(t: Messages, score: int) -> ft.Control:
    """NEWS2 with its number always written; 5 or more adds a warning icon, 7 or more is red."""
    if score >= 7:
        return chip(t("ward.news2", score=score), "#FFFFFF", theme.CRITICAL, ft.Icons.WARNING_ROUNDED)
    if score >= 5:
        return chip(t("ward.news2", score=score), theme.WARNING_FG, theme.WARNING_BG, ft.Icons.WARNING_AMBER)
    return chip(t("ward.news2", score=score), ft.Colors.ON_SURFACE_VARIANT, ft.Colors.SURFACE_CONTAINER_HIGHEST)


def _bed_chips(t: Messages, bed: WardBed) -> list[ft.Control]:
    chips = [news2_chip(t, bed.news2)] if bed.news2 is not None else []
    return [*chips, new_results_chip(t)] if bed.has_new_results else chips


def _ward_note(t: Messages, text: str) -> ft.Control:
    """The ward note under the patient, two lines at most, named as such for screen readers."""
    return ft.Row(spacing=4, vertical_alignment=ft.CrossAxisAlignment.START, controls=[
        ft.Icon(ft.Icons.STICKY_NOTE_2_OUTLINED, size=16, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Text(text, size=12, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS, expand=True,
                semantics_label=f"{t('notes.ward-note')}: {text}", italic=True),
    ])


def _bed_row(t: Messages, bed: WardBed, today, on_open) -> ft.Control:  # type: ignore[no-untyped-def]
    bed_box = ft.Container(
        width=52, height=44, border_radius=8, alignment=ft.Alignment.CENTER,
        bgcolor=ft.Colors.PRIMARY_CONTAINER if bed.patient else ft.Colors.SURFACE_CONTAINER_HIGHEST,
        content=ft.Text(bed.bed_label, weight=ft.FontWeight.BOLD, size=15),
    )
    if bed.patient is None:
        return ft.ListTile(leading=bed_box, title=ft.Text(t("ward.empty_bed"), color=ft.Colors.ON_SURFACE_VARIANT),
                           subtitle=ft.Text(bed.bed_name, size=12), min_height=theme.TOUCH)
    patient = bed.patient
    days = fmt.days_since(bed.admitted, today)
    line = [fmt.age(t, patient, today), fmt.gender(t, patient.gender)]
    if days is not None:
        line.append(t("patient.day_count", days=days))
    markers: list[ft.Control] = []
    if bed.has_critical_info:
        markers.append(critical_chip(t, compact=True))
    return ft.ListTile(
        leading=bed_box,
        title=ft.Row([ft.Text(patient.name, weight=ft.FontWeight.W_600, expand=True), *markers], spacing=6),
        subtitle=ft.Column(tight=True, spacing=2, controls=[
            ft.Text(" · ".join(x for x in line if x) + (f"\n{bed.reason}" if bed.reason else ""), size=13),
            *([ft.Row(chips, spacing=6, wrap=True)] if (chips := _bed_chips(t, bed)) else []),
            *([_ward_note(t, bed.ward_note)] if bed.ward_note else [])]),
        is_three_line=bool(bed.reason) or bed.has_new_results or bed.news2 is not None or bool(bed.ward_note),
        on_click=on_open,
        min_height=theme.TOUCH + 16,
    )
