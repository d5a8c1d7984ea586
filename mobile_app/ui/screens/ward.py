"""Ward list: the user's wards, beds with their markers, hide empty beds and the order (by bed,
NEWS2 or new results; both kept on the EPJ for the user), refresh; a tap opens the patient.

The settings and a failed refresh's bar are above the list, so they stay in sight while it scrolls."""

from __future__ import annotations

from datetime import date

import flet as ft

from mobile_app.domain.models import WardBed
from mobile_app.domain.ward_list import BedOrder, bed_markers
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.markers import marker_lines, spoken
from mobile_app.ui.components.patient import Handler, critical_chip
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
                await app.open_patient(bed.patient.id, bed.patient, opened_from="ward",
                                       critical=bed.has_critical_info)
        return open_patient

    header: list[ft.Control] = []
    if ward.wards:
        # The dropdown names neither itself nor its value to a screen reader: the label says both.
        header.append(ft.Semantics(label=t("ward.chosen", ward=ward.ward_name), expand=True, content=ft.Dropdown(
            label=t("ward.choose"), value=ward.ward_id, expand=True, on_select=choose,
            options=[ft.DropdownOption(key=w.id, text=w.name) for w in ward.wards],
        )))
    header.append(ft.IconButton(ft.Icons.REFRESH, on_click=refresh, tooltip=t("state.refresh"),
                                width=theme.TOUCH, height=theme.TOUCH))
    problem = ward.problem if ward.status is Status.ERROR else None
    fixed = states.stale_above(t, problem=problem, has_data=bool(ward.beds), fetched_at=ward.fetched_at,
                               on_retry=refresh)
    body = states.status_block(t, loading=ward.status is Status.LOADING, has_data=bool(ward.beds),
                               fetched_at=ward.fetched_at, problem=problem, on_retry=refresh)
    if ward.status is Status.READY and not ward.wards:
        body.append(states.empty(t("ward.no_wards"), ft.Icons.BED_OUTLINED))
    if ward.beds:
        summary = t("ward.summary", occupied=ward.occupied, beds=len(ward.beds))
        if ward.fetched_at:
            summary += " · " + t("state.fetched", time=fmt.clock(ward.fetched_at))
        body.append(ft.Container(ft.Text(summary, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
                                 padding=ft.Padding.symmetric(horizontal=16, vertical=4)))
        body.extend(_bed_row(t, bed, today, opener(bed)) for bed in ward.shown)
    return ft.Column(expand=True, spacing=0, controls=[
        ft.Container(ft.Row(header), padding=ft.Padding.only(left=12, right=12, top=8, bottom=4)),
        *([_settings(app, ward, t)] if ward.beds else []),
        *fixed,
        ft.ListView(controls=body, expand=True),
    ])


def _settings(app: AppState, ward: WardState, t: Messages) -> ft.Control:
    """The order of the beds and whether empty beds are shown (the user's own, kept on the EPJ)."""
    async def order(e: ft.Event[ft.SegmentedButton]) -> None:
        app.touch()
        ward.set_order(BedOrder((e.control.selected or [BedOrder.BED.value])[0]))

    async def hide(e: ft.Event[ft.Switch]) -> None:
        app.touch()
        ward.set_hide_empty(bool(e.control.value))

    empty = len(ward.beds) - ward.occupied
    rows: list[ft.Control] = [
        ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, expand=True, controls=[
            ft.Text(t("ward.sort_label"), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
            ft.SegmentedButton(
                selected=[ward.prefs.order.value], on_change=order, show_selected_icon=False, expand=True,
                style=theme.segmented_style(),
                segments=[ft.Segment(value=o.value, label=ft.Text(t(f"ward.sort.{o.value}"))) for o in BedOrder])]),
        ft.Switch(label=t("ward.hide_empty", count=empty), value=ward.prefs.hide_empty, on_change=hide,
                  height=theme.TOUCH, label_position=ft.LabelPosition.LEFT),
    ]
    if ward.prefs_problem is not None:
        rows.append(ft.Text(t(ward.prefs_problem.key), color=ft.Colors.ERROR, size=14))
    return ft.Container(padding=ft.Padding.only(left=12, right=12), content=ft.Column(
        spacing=0, controls=[ft.Row([rows[0]]), ft.Row([rows[1]], alignment=ft.MainAxisAlignment.END), *rows[2:]]))


def _bed_box(bed: WardBed) -> ft.Control:
    return ft.Container(
        width=52, height=44, border_radius=8, alignment=ft.Alignment.CENTER,
        bgcolor=ft.Colors.PRIMARY_CONTAINER if bed.patient else ft.Colors.SURFACE_CONTAINER_HIGHEST,
        content=ft.Text(bed.bed_label, weight=ft.FontWeight.BOLD, size=15,
                        color=ft.Colors.ON_PRIMARY_CONTAINER if bed.patient else ft.Colors.ON_SURFACE),
    )


def _bed_row(t: Messages, bed: WardBed, today: date, on_open: Handler) -> ft.Control:
    if bed.patient is None:
        return ft.ListTile(leading=_bed_box(bed), min_height=theme.TOUCH,
                           title=ft.Text(t("ward.empty_bed"), color=ft.Colors.ON_SURFACE_VARIANT),
                           subtitle=ft.Text(bed.bed_name, size=14))
    patient = bed.patient
    days = fmt.days_since(bed.admitted, today)
    line = [fmt.age(t, patient, today), fmt.gender(t, patient.gender)]
    if days is not None:
        line.append(t("patient.day_count", days=days))
    markers = bed_markers(bed)
    title: list[ft.Control] = [ft.Text(patient.name, weight=ft.FontWeight.W_600, expand=True)]
    if bed.has_critical_info:
        title.append(critical_chip(t, compact=True))
    facts = " · ".join(x for x in line if x)
    # One label for a screen reader, in the order a nurse reads the row (not the bed box's text first).
    label = ". ".join(x for x in (bed.bed_name, patient.name, facts, bed.reason or "", spoken(t, markers)) if x)
    return ft.Semantics(label=label, button=True, container=True, exclude_semantics=True, on_tap=on_open,
                        content=ft.ListTile(
        leading=_bed_box(bed),
        title=ft.Row(title, spacing=6),
        subtitle=ft.Column(tight=True, spacing=2, controls=[
            ft.Text(facts + (f"\n{bed.reason}" if bed.reason else ""), size=14), *marker_lines(t, markers)]),
        is_three_line=True,
        on_click=on_open,
        min_height=theme.TOUCH + 16,
    ))
