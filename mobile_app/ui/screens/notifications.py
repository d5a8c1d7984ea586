"""Notification centre: new lab results for followed patients, messages and tasks to me, newest
first. Unread ones are bold with a dot and the word "Ny"; a tap marks one read and opens the
patient's lab tab, the patient, or (about no patient) the text itself."""

from __future__ import annotations

from datetime import date

import flet as ft

from mobile_app.domain.models import Notification, NotificationKind, PatientSummary
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.lab import Handler, chip, when
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.notifications import NotificationsState

_ICONS = {NotificationKind.LAB_RESULT: ft.Icons.SCIENCE_OUTLINED, NotificationKind.MESSAGE: ft.Icons.MAIL_OUTLINE,
          NotificationKind.TASK: ft.Icons.TASK_ALT}


@ft.component
def NotificationsScreen(app: AppState, notes: NotificationsState, t: Messages) -> ft.Control:
    today = app.ctx.today()
    patients = app.known_patients()

    async def refresh() -> None:
        app.touch()
        await notes.refresh()

    def opener(item: Notification):  # type: ignore[no-untyped-def]
        async def open_item() -> None:
            app.touch()
            await app.open_notification(item)
        return open_item

    head: list[ft.Control] = [ft.Text(
        t("notif.last_updated", time=fmt.clock(notes.last_success)) if notes.last_success else
        t("state.loading") if notes.status is Status.LOADING else "", size=14,
        color=ft.Colors.ON_SURFACE_VARIANT, expand=True)]
    if notes.unread:
        head.insert(0, chip(t("notif.unread_count", count=notes.unread), ft.Colors.ON_PRIMARY, ft.Colors.PRIMARY))
    head.append(ft.IconButton(ft.Icons.REFRESH, on_click=refresh, tooltip=t("state.refresh"),
                              width=theme.TOUCH, height=theme.TOUCH))
    body: list[ft.Control] = []
    fixed: list[ft.Control] = []  # above the list: in sight while it scrolls
    if notes.problem is not None:
        stale = t("notif.stale", time=fmt.clock(notes.last_success)) if notes.last_success else t("notif.failed")
        fixed.append(ft.Container(
            bgcolor=theme.WARNING_BG, padding=ft.Padding.symmetric(horizontal=12, vertical=8),
            content=ft.Row([ft.Icon(ft.Icons.CLOUD_OFF, color=theme.WARNING_FG),
                            ft.Text(f"{problem_text(t, notes.problem)} {stale}", color=theme.WARNING_FG,
                                    size=14, expand=True)])))
    elif notes.status is Status.LOADING and not notes.items and notes.last_success is None:
        body.append(states.loading(t))
    if not notes.items and notes.last_success is not None:
        body.append(states.empty(t("notifications.empty"), ft.Icons.NOTIFICATIONS_NONE))
    body.extend(_row(t, n, patients.get(n.patient_id or ""), today, opener(n), notes.opened_id == n.id)
                for n in notes.items)
    return ft.Column(expand=True, spacing=0, controls=[
        ft.Container(ft.Row(head, vertical_alignment=ft.CrossAxisAlignment.CENTER),
                     padding=ft.Padding.only(left=16, right=8, top=4)),
        *fixed,
        ft.ListView(controls=body, expand=True),
    ])


def _row(t: Messages, item: Notification, patient: PatientSummary | None, today: date, on_open: Handler,
         opened: bool) -> ft.Control:
    unread = not item.read
    weight = ft.FontWeight.BOLD if unread else ft.FontWeight.NORMAL
    heading = patient.name if patient is not None else t(f"notif.kind.{item.kind.value}")
    title: list[ft.Control] = [ft.Text(heading, weight=weight, size=15, expand=True, max_lines=1,
                                       overflow=ft.TextOverflow.ELLIPSIS)]
    if item.urgent:
        title.append(chip(t("notif.urgent"), "#FFFFFF", theme.CRITICAL, ft.Icons.PRIORITY_HIGH))
    if unread:
        title.append(chip(t("notif.unread"), ft.Colors.ON_PRIMARY, ft.Colors.PRIMARY))
    meta = " · ".join(x for x in (t(f"notif.kind.{item.kind.value}") if patient is not None else "",
                                  when(t, item.time, today) if item.time else "",
                                  t("notif.from", name=item.sender) if item.sender else "") if x)
    icon = ft.Stack(width=40, height=40, controls=[
        ft.Container(ft.Icon(_ICONS[item.kind], color=ft.Colors.PRIMARY if unread else ft.Colors.ON_SURFACE_VARIANT),
                     width=40, height=40, alignment=ft.Alignment.CENTER, border_radius=20,
                     bgcolor=ft.Colors.PRIMARY_CONTAINER if unread else ft.Colors.SURFACE_CONTAINER_HIGHEST),
        *([ft.Container(width=10, height=10, border_radius=5, bgcolor=theme.CRITICAL, right=0, top=0)]
          if unread else []),
    ])
    opens_screen = item.patient_id is not None or item.kind is NotificationKind.TASK
    # One label in reading order (the icon's dot and the chips' words would otherwise run together).
    marks = (t("notif.unread") if unread else "", t("notif.urgent") if item.urgent else "")
    label = ". ".join(x for x in (heading, *marks, item.text, meta) if x)
    return ft.Semantics(label=label, button=True, container=True, exclude_semantics=True, on_tap=on_open,
                        content=ft.Container(
        on_click=on_open, ink=True,
        bgcolor=ft.Colors.with_opacity(0.06, ft.Colors.PRIMARY) if unread else None,
        padding=ft.Padding.symmetric(horizontal=12, vertical=8),
        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
        content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.START, controls=[
            icon,
            ft.Column(spacing=2, expand=True, controls=[
                ft.Row(title, spacing=6),
                ft.Text(item.text, size=14, weight=ft.FontWeight.W_500 if unread else None,
                        max_lines=None if opened else 2,
                        overflow=ft.TextOverflow.VISIBLE if opened else ft.TextOverflow.ELLIPSIS),
                ft.Text(meta, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
            ]),
            ft.Icon(ft.Icons.CHEVRON_RIGHT if opens_screen else
                    (ft.Icons.EXPAND_LESS if opened else ft.Icons.EXPAND_MORE), color=ft.Colors.ON_SURFACE_VARIANT),
        ]),
    ))
