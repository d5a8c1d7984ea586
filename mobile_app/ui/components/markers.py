"""A patient's markers on any list (ward list, My patients, search results): critical information,
NEWS2, new results, thrombosis risk not assessed (ward list) and the ward's note. Each says what it
is in words, never colour alone."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.ward_list import PatientMarkers
from mobile_app.ui import theme
from mobile_app.ui.components.lab import chip
from mobile_app.ui.components.recording import thrombosis_due_chip
from mobile_app.ui.messages import Messages


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


def ward_note(t: Messages, text: str) -> ft.Control:
    """The ward note under the patient, two lines at most, named as such for screen readers."""
    return ft.Row(spacing=4, vertical_alignment=ft.CrossAxisAlignment.START, controls=[
        ft.Icon(ft.Icons.STICKY_NOTE_2_OUTLINED, size=16, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Text(text, size=14, max_lines=2, overflow=ft.TextOverflow.ELLIPSIS, expand=True,
                semantics_label=f"{t('notes.ward-note')}: {text}", italic=True),
    ])


def marker_lines(t: Messages, markers: PatientMarkers | None) -> list[ft.Control]:
    """The NEWS2 and new-results chips (one wrapping row) and the ward note, for under a name."""
    if markers is None:
        return []
    chips = [news2_chip(t, markers.news2)] if markers.news2 is not None else []
    if markers.new_results:
        chips.append(new_results_chip(t))
    if markers.thrombosis_due:
        chips.append(thrombosis_due_chip(t))
    lines: list[ft.Control] = [ft.Row(chips, spacing=6, wrap=True)] if chips else []
    if markers.ward_note:
        lines.append(ward_note(t, markers.ward_note))
    return lines


def spoken(t: Messages, markers: PatientMarkers | None) -> str:
    """The markers in words, for the row's screen-reader label."""
    if markers is None:
        return ""
    parts = [t("patient.critical_marker")] if markers.critical else []
    if markers.news2 is not None:
        parts.append(t("ward.news2", score=markers.news2))
    if markers.new_results:
        parts.append(t("ward.new_results"))
    if markers.thrombosis_due:
        parts.append(t("ward.thrombosis_due"))
    if markers.ward_note:
        parts.append(f"{t('notes.ward-note')}: {markers.ward_note}")
    return ". ".join(parts)
