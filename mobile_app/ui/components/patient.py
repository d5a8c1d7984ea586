"""Patient widgets: a list row (search, ward, my patients) and the banner that never scrolls away
(it shrinks to one line while the content scrolls)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import flet as ft

from mobile_app.domain.critical_summary import CriticalItem, CriticalState
from mobile_app.domain.models import PatientSummary
from mobile_app.domain.ward_list import PatientMarkers
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components.markers import marker_lines, spoken
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.banner import BannerFacts, collapsed_after

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
                      *([] if compact else [ft.Text(label, color=ft.Colors.WHITE, size=14,
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
    markers: PatientMarkers | None = None,
) -> ft.Control:
    """A patient in a list: name, facts, fødselsnummer, where they lie, and the ward list's markers.
    A screen reader hears one label that reads well (name, number, place, markers), not every text
    run together with the initials."""
    identifier = fmt.identifier(patient.identifier)
    facts = fmt.facts(t, patient, today)
    lines: list[ft.Control] = [ft.Text(facts, size=14)]
    if patient.identifier:
        lines.append(ft.Text(identifier, size=14, weight=ft.FontWeight.W_500))
    where = fmt.location(t, patient) if location else ""
    if where:
        lines.append(ft.Text(where, size=14, color=ft.Colors.ON_SURFACE_VARIANT))
    lines.extend(marker_lines(t, markers))
    title_row: list[ft.Control] = [ft.Text(patient.name, weight=ft.FontWeight.W_600, expand=True)]
    if markers is not None and markers.critical:
        title_row.append(critical_chip(t, compact=True))
    label = ". ".join(x for x in (patient.name, identifier, facts, where, spoken(t, markers)) if x)
    # One node with one label and the tap (the tile's own texts are left out, or they would be read too).
    return ft.Semantics(label=label, button=True, container=True, exclude_semantics=True, on_tap=on_open,
                        content=ft.ListTile(
        leading=ft.CircleAvatar(content=ft.Text(_initials(patient), size=14), radius=20),
        title=ft.Row(title_row, spacing=6),
        subtitle=ft.Column(lines, spacing=2, tight=True),
        is_three_line=True,
        min_height=theme.TOUCH + 16,
        on_click=on_open,
        trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT),
    ))


def _initials(patient: PatientSummary) -> str:
    letters = [part[:1] for part in [*patient.given.split()[:1], patient.family] if part]
    return "".join(letters).upper() or "?"


def critical_text(t: Messages, banner: BannerFacts, *, fetched: bool) -> str:
    """The critical information in words: "CAVE: Lateks – anafylaksi · Pacemaker", or that it
    exists, is being fetched or could not be checked (``fetched``: the record has been read)."""
    summary = banner.critical
    if summary.state is CriticalState.KNOWN:
        return " · ".join(_item_text(t, item) for item in summary.items)
    if summary.state is CriticalState.PRESENT:
        return t("banner.critical_present") if fetched else t("banner.critical_present_unfetched")
    if summary.state is CriticalState.UNKNOWN:
        return t("banner.critical_checking") if banner.checking else t("banner.critical_unknown")
    return ""


def _item_text(t: Messages, item: CriticalItem) -> str:
    if item.kind == "allergy":
        return t("banner.cave_detail", text=item.text, detail=item.detail) if item.detail \
            else t("banner.cave", text=item.text)
    if item.kind == "implant":
        return t("banner.implant", text=item.text)
    return item.text


def _critical_line(t: Messages, banner: BannerFacts, on_critical: Handler | None, *, fetched: bool,
                   collapsed: bool) -> ft.Control | None:
    """Red with a warning icon when present (a button to the details where there is one), amber
    with a question mark when the app could not look; nothing when the record says none."""
    summary = banner.critical
    text = critical_text(t, banner, fetched=fetched)
    if not text:
        return None
    alert = summary.alert
    fg, bg = ("#FFFFFF", theme.CRITICAL) if alert else (theme.WARNING_FG, theme.WARNING_BG)
    icon = ft.Icons.WARNING_ROUNDED if alert else ft.Icons.HELP_OUTLINE
    row = ft.Row(spacing=6, vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
        ft.Icon(icon, color=fg, size=18),
        ft.Text(text, color=fg, weight=ft.FontWeight.BOLD, size=14, expand=True,
                max_lines=1 if collapsed else 3, overflow=ft.TextOverflow.ELLIPSIS),
        *([ft.Icon(ft.Icons.CHEVRON_RIGHT, color=fg, size=18)] if on_critical is not None else []),
    ])
    if on_critical is None:
        return ft.Container(content=row, bgcolor=bg, border_radius=8,
                            padding=ft.Padding.symmetric(horizontal=10, vertical=4 if collapsed else 8))
    # A button at least 48 px high: one line fixed at 48, up to three lines padded to it.
    padding = ft.Padding.symmetric(horizontal=10, vertical=0 if collapsed else 14)
    return ft.Button(content=row, on_click=on_critical, bgcolor=bg, color=fg,
                     tooltip=t("banner.critical_open", text=text), height=theme.TOUCH if collapsed else None,
                     style=ft.ButtonStyle(padding=padding, shape=ft.RoundedRectangleBorder(radius=8)))


def patient_banner(
    t: Messages,
    banner: BannerFacts,
    today: date,
    *,
    on_critical: Handler | None = None,
    fetched: bool = True,
    collapsed: bool = False,
) -> ft.Control:
    """Name, fødselsnummer, age, sex, ward/bed and the critical information in words, on top of
    every screen about the patient; collapsed to name, number and one line while scrolling."""
    patient = banner.patient
    identifier = fmt.identifier(patient.identifier)
    critical = _critical_line(t, banner, on_critical, fetched=fetched, collapsed=collapsed)
    lines: list[ft.Control] = []
    if banner.emergency_until is not None:
        lines.append(ft.Container(
            bgcolor=theme.EMERGENCY, padding=ft.Padding.symmetric(horizontal=8, vertical=2 if collapsed else 4),
            border_radius=6,
            content=ft.Row(tight=True, controls=[
                ft.Icon(ft.Icons.LOCK_OPEN, color=ft.Colors.WHITE, size=16),
                ft.Text(t("access.emergency_banner", time=fmt.clock(banner.emergency_until)),
                        color=ft.Colors.WHITE, weight=ft.FontWeight.BOLD, size=14)]),
        ))
    if collapsed:
        lines.append(ft.Row(spacing=8, controls=[
            ft.Text(patient.name, size=16, weight=ft.FontWeight.BOLD, max_lines=1,
                    overflow=ft.TextOverflow.ELLIPSIS, expand=True, semantics_label=patient.name),
            ft.Text(identifier, size=14, weight=ft.FontWeight.W_600),
        ]))
    else:
        facts = fmt.facts(t, patient, today)
        lines += [
            ft.Row([ft.Text(patient.name, size=20, weight=ft.FontWeight.BOLD, expand=True,
                            semantics_label=patient.name)],
                   vertical_alignment=ft.CrossAxisAlignment.CENTER),
            ft.Text(" · ".join(x for x in (identifier, facts) if x), size=14),
            ft.Text(fmt.location(t, patient), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
        ]
    if critical is not None:
        lines.append(ft.Container(critical, padding=ft.Padding.only(top=2 if collapsed else 4)))
    return ft.Container(
        bgcolor=ft.Colors.SECONDARY_CONTAINER,
        padding=ft.Padding.symmetric(horizontal=16, vertical=4 if collapsed else 10),
        content=ft.Column(lines, spacing=2),
    )


ScrollHandler = Callable[[ft.OnScrollEvent | None], None]


def use_collapsing_banner() -> tuple[bool, ScrollHandler]:
    """A hook for a screen with the banner: whether it is collapsed, and the handler its scrolling
    content reports to (``None``: back at the top, e.g. another tab)."""
    collapsed, set_collapsed = ft.use_state(False)

    def scrolled(event: ft.OnScrollEvent | None) -> None:
        set_collapsed(collapsed_after(event.pixels, collapsed) if event is not None else False)

    return collapsed, scrolled


def scrolling(content: ft.Control, scrolled: ScrollHandler) -> ft.Control:
    """Content whose scrolling collapses the banner (a list; other controls are left as they are)."""
    if isinstance(content, ft.ListView):
        content.on_scroll = scrolled
        content.scroll_interval = 100  # ms: enough to follow, few messages
    return content


def with_banner(t: Messages, banner: BannerFacts | None, today: date, collapsed: bool,
                content: ft.Control) -> ft.Control:
    """A screen about the patient (trend, note editor, message): the banner on top, then the content."""
    if banner is None:
        return content
    return ft.Column(spacing=0, expand=True, controls=[
        _still_banner(t, banner, today, collapsed), ft.Container(content, expand=True)])


def with_form_banner(t: Messages, banner: BannerFacts | None, today: date, content: ft.Control) -> ft.Control:
    """A screen where the user types (vital signs, a note, a message): the banner in its short form
    (name, number, critical information) from the start, never changing height. A banner that
    collapsed on scrolling re-laid the form out while Enter moved the focus down, and the focus and
    the digits typed just then were lost."""
    return with_banner(t, banner, today, True, content)


@ft.component
def _StillBanner(t: Messages, banner: BannerFacts, today: date, collapsed: bool) -> ft.Control:
    return patient_banner(t, banner, today, collapsed=collapsed)


# The banner over a form is rendered again only when its facts change, not on every keystroke below it.
_still_banner: Callable[[Messages, BannerFacts, date, bool], ft.Control] = ft.memo(_StillBanner)  # type: ignore[no-untyped-call]
