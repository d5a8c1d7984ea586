"""The appointment book ("Timebok"): a day of mine, a colleague's or a clinic's appointments (time,
patient, type, location, status); the day changed by a swipe, the arrows or the date picker; another
book found by name; and "Registrer som møtt" with "Angre" for 10 seconds."""

from __future__ import annotations

from datetime import date, datetime

import flet as ft

from mobile_app.domain.worklists import Appointment, BookOwner
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.lab import chip
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.book import BookState

_SWIPE = 300.0  # px/s: a horizontal fling faster than this changes the day
_STATUS_COLOURS = {"arrived": (theme.CONFIRM_FG, theme.CONFIRM_BG), "noshow": (theme.WARNING_FG, theme.WARNING_BG),
                   "cancelled": (theme.WARNING_FG, theme.WARNING_BG)}


def _day_text(t: Messages, day: date, today: date) -> str:
    text = fmt.day(day)
    return f"{t('book.today')}, {text}" if day == today else text


@shows(BookState)
@ft.component
def BookScreen(app: AppState, book: BookState, t: Messages) -> ft.Control:
    today = app.ctx.today()
    day = book.shown_day

    async def previous() -> None:
        app.touch()
        await book.previous_day()

    async def following() -> None:
        app.touch()
        await book.next_day()

    async def to_today() -> None:
        app.touch()
        await book.today()

    async def swiped(e: ft.DragEndEvent[ft.GestureDetector]) -> None:
        speed = e.primary_velocity or 0.0
        if abs(speed) < _SWIPE:
            return
        app.touch()
        await (book.previous_day() if speed > 0 else book.next_day())

    async def picked(e: ft.Event[ft.DatePicker]) -> None:
        app.touch()
        value = e.control.value
        book.picking = False
        if isinstance(value, datetime):
            await book.go_to(value.date())
        elif isinstance(value, date):
            await book.go_to(value)

    async def dismissed(e: ft.Event[ft.DialogControl]) -> None:
        book.picking = False

    async def pick() -> None:
        app.touch()
        book.picking = True

    async def other() -> None:
        app.touch()
        book.open_search()

    async def mine() -> None:
        app.touch()
        await book.choose(None)

    ft.use_dialog(ft.DatePicker(open=True, value=datetime(day.year, day.month, day.day), on_change=picked,
                                on_dismiss=dismissed, help_text=t("book.pick_day", day=fmt.day(day)),
                                first_date=datetime(today.year - 1, 1, 1), last_date=datetime(today.year + 2, 12, 31))
                  if book.picking else None)

    whose = book.whose
    title = t("book.mine") if book.mine else t("book.of", name=whose.name if whose else "")
    head_buttons: list[ft.Control] = [ft.OutlinedButton(t("book.other"), icon=ft.Icons.PERSON_SEARCH, on_click=other,
                                                        height=theme.TOUCH)]
    if not book.mine:
        head_buttons.append(ft.TextButton(t("book.back_to_mine"), icon=ft.Icons.PERSON, on_click=mine,
                                          height=theme.TOUCH))
    head = ft.Column(spacing=4, controls=[
        ft.Text(title, size=18, weight=ft.FontWeight.W_600),
        ft.Row(head_buttons, wrap=True, spacing=8),
    ])
    day_row = ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, spacing=0, controls=[
        ft.IconButton(ft.Icons.CHEVRON_LEFT, on_click=previous, tooltip=t("book.previous_day"), width=theme.TOUCH,
                      height=theme.TOUCH),
        ft.TextButton(_day_text(t, day, today), icon=ft.Icons.CALENDAR_MONTH, on_click=pick, expand=True,
                      height=theme.TOUCH, tooltip=t("book.pick_day", day=fmt.day(day))),
        ft.IconButton(ft.Icons.CHEVRON_RIGHT, on_click=following, tooltip=t("book.next_day"), width=theme.TOUCH,
                      height=theme.TOUCH),
        *([ft.TextButton(t("book.today"), on_click=to_today, height=theme.TOUCH)] if day != today else []),
    ])
    top: list[ft.Control] = [ft.Container(ft.Column([head, day_row], spacing=4),
                                          padding=ft.Padding.only(left=16, right=8, top=8))]
    if book.searching:
        top.append(_search_panel(app, book, t))
    if book.can_undo:
        top.append(_undo_bar(app, book, t))
    body: list[ft.Control] = []
    if book.problem is not None:
        body.append(ft.Container(ft.Text(problem_text(t, book.problem), color=theme.WARNING_FG, size=14),
                                 bgcolor=theme.WARNING_BG, padding=12))
    rows = book.rows
    if book.status is Status.LOADING and not rows:
        body.append(states.loading(t))
    elif book.status is Status.READY and not rows:
        body.append(states.empty(t("book.empty"), ft.Icons.EVENT_AVAILABLE))
    elif rows:
        counted = t("book.count_one") if len(rows) == 1 else t("book.count", count=len(rows))
        body.append(ft.Container(ft.Text(counted, size=14,
                                         color=ft.Colors.ON_SURFACE_VARIANT),
                                 padding=ft.Padding.only(left=16, bottom=4)))
    body.extend(_row(app, book, appointment, t) for appointment in book.appointments)
    return ft.Column(expand=True, spacing=0, controls=[
        *top,
        ft.GestureDetector(on_horizontal_drag_end=swiped, expand=True,
                           content=ft.ListView(controls=body, expand=True)),
    ])


def _search_panel(app: AppState, book: BookState, t: Messages) -> ft.Control:
    async def typed(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        await book.search(e.control.value or "")

    async def close() -> None:
        app.touch()
        book.close_search()

    def chooser(owner: BookOwner):  # type: ignore[no-untyped-def]
        async def choose() -> None:
            app.touch()
            await book.choose(owner)
        return choose

    controls: list[ft.Control] = [ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
        ft.TextField(label=t("book.search"), value=book.query, on_change=typed, autofocus=True, expand=True,
                     prefix_icon=ft.Icons.SEARCH),
        ft.IconButton(ft.Icons.CLOSE, on_click=close, tooltip=t("task.hand_back_cancel"), width=theme.TOUCH,
                      height=theme.TOUCH),
    ])]
    if len(book.query.strip()) < 2:
        controls.append(ft.Text(t("book.search_hint"), size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    elif not book.found:
        controls.append(ft.Text(t("book.no_match"), size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    for owner in book.found:
        clinic = owner.kind == "Location"
        controls.append(ft.ListTile(
            leading=ft.Icon(ft.Icons.LOCAL_HOSPITAL if clinic else ft.Icons.PERSON),
            title=ft.Text(owner.name), subtitle=ft.Text(t("book.clinic") if clinic else owner.detail or "", size=14),
            on_click=chooser(owner), min_height=theme.TOUCH, tooltip=t("book.choose", name=owner.name)))
    return ft.Container(ft.Column(controls, spacing=4), padding=ft.Padding.symmetric(horizontal=12, vertical=4),
                        bgcolor=ft.Colors.SURFACE_CONTAINER_LOW)


def _undo_bar(app: AppState, book: BookState, t: Messages) -> ft.Control:
    appointment = next((a for a in book.appointments if a.id == book.undo_id), None)
    name = (appointment.patient_name if appointment else None) or t("book.patient_unknown")

    async def undo() -> None:
        app.touch()
        await book.undo()

    return ft.Container(bgcolor=theme.CONFIRM_BG, padding=ft.Padding.only(left=12, right=4, top=4, bottom=4),
                        content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
        ft.Icon(ft.Icons.CHECK_CIRCLE, color=theme.CONFIRM_FG),
        ft.Text(t("book.arrived", name=name), color=theme.CONFIRM_FG, size=14, expand=True),
        ft.TextButton(t("book.undo"), icon=ft.Icons.UNDO, on_click=undo, height=theme.TOUCH,
                      tooltip=t("book.undo.label", name=name), style=ft.ButtonStyle(color=theme.CONFIRM_FG)),
    ]))


def _row(app: AppState, book: BookState, appointment: Appointment, t: Messages) -> ft.Control:
    shown = book.shown(appointment)
    name = shown.patient_name or t("book.patient_unknown")
    start = fmt.clock(shown.start) if shown.start else ""
    period = f"{start}–{fmt.clock(shown.end)}" if shown.end else start

    async def open_patient() -> None:
        app.touch()
        await app.open_appointment_patient(shown)

    async def arrive() -> None:
        app.touch()
        await book.register_arrival(appointment)

    status = t(f"book.status.{shown.status}") if t.has(f"book.status.{shown.status}") else shown.status
    colours = _STATUS_COLOURS.get(shown.status, (ft.Colors.ON_SECONDARY_CONTAINER, ft.Colors.SECONDARY_CONTAINER))
    who = f"{name} · {fmt.identifier(shown.patient_identifier)}" if shown.patient_identifier else name
    where = " · ".join(x for x in (shown.kind, shown.location,
                                   shown.practitioner_name if not book.mine and book.owner
                                   and book.owner.kind == "Location" else None) if x)
    why = shown.reason if shown.reason else t("book.hidden_reason") if shown.subsetted else ""
    label = ". ".join(x for x in (t("book.open_patient", name=name), period, status, where, why) if x)
    summary = ft.Semantics(label=label, button=True, container=True, exclude_semantics=True, on_tap=open_patient,
                           content=ft.Container(on_click=open_patient, ink=True, content=ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.START, controls=[
            ft.Text(period, size=15, weight=ft.FontWeight.W_600, width=96),
            ft.Column(spacing=2, expand=True, controls=[
                ft.Row([ft.Text(who, size=15, weight=ft.FontWeight.W_600, expand=True),
                        chip(status, colours[0], colours[1])], spacing=6),
                ft.Text(where, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
                *([ft.Text(why, size=14, italic=shown.subsetted, color=ft.Colors.ON_SURFACE_VARIANT)] if why else []),
            ]),
            ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT),
        ])))
    controls: list[ft.Control] = [summary]
    failure = book.failure(appointment)
    if failure is not None:
        controls.append(ft.Text(problem_text(t, failure), size=14, color=theme.CRITICAL_TEXT))
    if book.sending(appointment):
        controls.append(ft.Text(t("task.sending"), size=14, italic=True, color=ft.Colors.ON_SURFACE_VARIANT))
    if book.may_arrive(appointment):
        controls.append(ft.Row([ft.FilledButton(t("book.arrive"), icon=ft.Icons.HOW_TO_REG, on_click=arrive,
                                                height=theme.TOUCH,
                                                tooltip=t("book.arrive.label", name=name, time=start))]))
    return ft.Container(padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
                        content=ft.Column(spacing=6, controls=controls))
