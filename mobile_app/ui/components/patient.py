"""Patient widgets: a list row (search, ward, my patients) and the banner that never scrolls away."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

import flet as ft

from mobile_app.domain.models import PatientSummary
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.messages import Messages

Handler = Callable[..., Awaitable[Any] | Any]


def critical_chip(t: Messages, *, compact: bool = False) -> ft.Control:
    """The red marker: icon, colour and text, so colour is never the only carrier of meaning."""
    label = t("patient.critical_marker")
    return ft.Container(
        bgcolor=theme.CRITICAL,
        border_radius=12,
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
        content=ft.Row(
            tight=True, spacing=4,
            controls=[ft.Icon(ft.Icons.WARNING_ROUNDED, color=ft.Colors.WHITE, size=16),
                      *([] if compact else [ft.Text(label, color=ft.Colors.WHITE, size=12,
                                                    weight=ft.FontWeight.BOLD)])],
        ),
        tooltip=label if compact else None,
    )


def patient_row(
    t: Messages,
    patient: PatientSummary,
    today: date,
    on_open: Handler,
    *,
    location: bool = True,
    critical: bool = False,
    extra: str | None = None,
) -> ft.Control:
    lines: list[ft.Control] = [ft.Text(fmt.facts(t, patient, today), size=13)]
    if patient.identifier:
        lines.append(ft.Text(fmt.identifier(patient.identifier), size=13, weight=ft.FontWeight.W_500))
    if location:
        lines.append(ft.Text(fmt.location(t, patient), size=13, color=ft.Colors.ON_SURFACE_VARIANT))
    if extra:
        lines.append(ft.Text(extra, size=13))
    title_row: list[ft.Control] = [ft.Text(patient.name, weight=ft.FontWeight.W_600, expand=True)]
    if critical:
        title_row.append(critical_chip(t, compact=True))
    return ft.ListTile(
        leading=ft.CircleAvatar(content=ft.Text(_initials(patient)), radius=20),
        title=ft.Row(title_row, spacing=6),
        subtitle=ft.Column(lines, spacing=0, tight=True),
        is_three_line=True,
        min_height=theme.TOUCH + 16,
        on_click=on_open,
        trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT),
    )


def _initials(patient: PatientSummary) -> str:
    letters = [part[:1] for part in [*patient.given.split()[:1], patient.family] if part]
    return "".join(letters).upper() or "?"


def patient_banner(
    t: Messages,
    patient: PatientSummary,
    today: date,
    *,
    critical: bool,
    on_critical: Handler | None,
    emergency_until: datetime | None = None,
) -> ft.Control:
    """Name, fødselsnummer, age, sex, ward/bed, and the critical marker: always on top."""
    facts = fmt.facts(t, patient, today)
    identifier = fmt.identifier(patient.identifier)
    lines: list[ft.Control] = [
        ft.Row([ft.Text(patient.name, size=20, weight=ft.FontWeight.BOLD, expand=True,
                        semantics_label=patient.name)],
               vertical_alignment=ft.CrossAxisAlignment.CENTER),
        ft.Text(" · ".join(x for x in (identifier, facts) if x), size=14),
        ft.Text(fmt.location(t, patient), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
    ]
    if critical:
        lines.append(ft.Container(
            content=ft.Button(
                t("banner.critical"), icon=ft.Icons.WARNING_ROUNDED, on_click=on_critical,
                bgcolor=theme.CRITICAL, color=ft.Colors.WHITE, height=theme.TOUCH,
            ),
            padding=ft.Padding.only(top=4),
        ))
    if emergency_until is not None:
        lines.insert(0, ft.Container(
            bgcolor=theme.EMERGENCY, padding=ft.Padding.symmetric(horizontal=8, vertical=4), border_radius=6,
            content=ft.Row(tight=True, controls=[
                ft.Icon(ft.Icons.LOCK_OPEN, color=ft.Colors.WHITE, size=16),
                ft.Text(t("access.emergency_banner", time=fmt.clock(emergency_until)),
                        color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD, size=13)]),
        ))
    return ft.Container(
        bgcolor=ft.Colors.SECONDARY_CONTAINER,
        padding=ft.Padding.symmetric(horizontal=16, vertical=10),
        content=ft.Column(lines, spacing=2),
    )
