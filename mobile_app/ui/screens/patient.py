"""Patient screen: the fixed banner, then the tabs, or the no-access panel with break-the-glass.

The four most used tabs (overview, lab, documents, notes) fit a 360 px phone; critical info, stays,
patient info, treatment plan and PLO messages are listed under the fifth, "Mer"."""

from __future__ import annotations

from datetime import date
from typing import Any

import flet as ft

from mobile_app.domain.models import PatientOverview
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.patient import ScrollHandler, patient_banner, scrolling, use_collapsing_banner
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.screens import patient_tabs as tabs
from mobile_app.ui.screens.lab import LabTab
from mobile_app.ui.screens.patient_notes import PatientNotesTab
from mobile_app.ui.screens.photos import media_buttons
from mobile_app.ui.screens.vitals_panel import recording_panel
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.patient import COMMON_REASONS, MAIN_TABS, MORE, MORE_TABS, PatientState


@shows(PatientState)
@ft.component
def PatientScreen(app: AppState, screen: PatientState, t: Messages) -> ft.Control:
    today = app.ctx.today()
    patient = screen.patient
    collapsed, scrolled = use_collapsing_banner()

    async def show_critical() -> None:
        app.touch()
        screen.open_tab("critical")

    async def retry() -> None:
        app.touch()
        await screen.load()

    parts: list[ft.Control] = []
    if screen.scanned and patient is not None:
        parts.append(ft.Container(
            bgcolor=theme.CONFIRM_BG, padding=ft.Padding.symmetric(horizontal=16, vertical=8),
            content=ft.Row([ft.Icon(ft.Icons.VERIFIED, color=theme.CONFIRM_FG),
                            ft.Text(t("scan.confirmed", name=patient.name, date=fmt.day(patient.birth_date)),
                                    color=theme.CONFIRM_FG, weight=ft.FontWeight.W_600, expand=True)]),
        ))
    banner = screen.banner
    if banner is not None:
        parts.append(patient_banner(t, banner, today, fetched=screen.overview is not None, collapsed=collapsed,
                                    on_critical=show_critical if screen.overview is not None else None))
    if screen.results_arrived and screen.overview is not None:
        parts.append(_new_results_notice(app, screen, t))
    if screen.status is Status.ERROR and screen.problem is not None:
        if screen.overview is not None:
            parts.append(states.stale_bar(t, screen.problem, screen.fetched_at, retry))
        else:
            parts.append(states.error(t, screen.problem, retry))
    # The content is keyed: a problem bar appearing above it must not make Flet patch one part into
    # another (a field being typed in would lose its focus).
    if screen.no_access:
        parts.append(ft.Container(_no_access(app, screen, t), expand=True, key="no-access"))
    elif screen.overview is None:
        if screen.status is Status.LOADING:
            parts.append(states.loading(t))
    elif screen.document is not None:
        document = screen.document

        async def continue_writing() -> None:
            app.touch()
            app.continue_note(screen, document)

        reader = tabs.document_reader(t, document, continue_writing if screen.may_continue(document) else None)
        parts.append(ft.Container(scrolling(reader, scrolled), expand=True, key="document"))
    else:
        parts.append(ft.Container(_tabbed(app, screen, screen.overview, t, today, scrolled), expand=True,
                                  key="tabs"))
    return ft.Column(parts, spacing=0, expand=True)


def _tabbed(app: AppState, screen: PatientState, overview: PatientOverview, t: Messages,
            today: date, scrolled: ScrollHandler) -> ft.Control:
    async def changed(e: ft.Event[ft.Tabs]) -> None:
        app.touch()
        screen.open_bar(e.control.selected_index)
        scrolled(None)  # a new tab starts at its top: the banner opens again
        if screen.tab == "lab" and screen.labs is not None:
            await screen.labs.opened()  # results load when the tab opens, not with the overview

    def open_document(document_id: str):  # type: ignore[no-untyped-def]
        async def handler() -> None:
            app.touch()
            screen.open_document(document_id)
        return handler

    def opener(tab: str):  # type: ignore[no-untyped-def]
        async def handler() -> None:
            app.touch()
            screen.open_tab(tab)
            scrolled(None)
        return handler

    labels = [*(t(f"pt.tab.{name}") for name in MAIN_TABS), t("pt.tab.more")]
    if screen.tab == MORE:
        return _tab_bar(screen, labels, changed, _more_list(t, opener), scrolled)
    content = {
        "overview": lambda: tabs.overview(t, overview, today, screen.newest_labs, screen.vitals,
                                          ward_note=screen.notes.ward if screen.notes else overview.ward_note,
                                          own_note=screen.notes.own if screen.notes else overview.own_note,
                                          recording=recording_panel(app, screen, t) + media_buttons(app, screen, t)),
        "critical": lambda: tabs.critical(t, overview),
        "lab": lambda: LabTab(app, screen, screen.labs, t, scrolled) if screen.labs is not None
        else tabs.placeholder(t("pt.no_labs"), ft.Icons.SCIENCE_OUTLINED),
        "stays": lambda: tabs.stays(t, overview),
        "attendances": lambda: tabs.attendances(t, overview),
        "documents": lambda: tabs.documents(t, screen.documents, open_document),
        "notes": lambda: PatientNotesTab(app, screen, screen.notes, t, scrolled) if screen.notes is not None
        else tabs.placeholder(t("pt.notes_placeholder"), ft.Icons.EDIT_NOTE),
        "info": lambda: tabs.info(t, overview),
        "plan": lambda: tabs.plan(t, overview),
        "plo": lambda: tabs.plo(t, overview),
    }[screen.tab]()
    if screen.tab in MORE_TABS:  # one of "Mer": its name, and the way back to the list
        content = ft.Column(spacing=0, expand=True, controls=[
            ft.Container(padding=ft.Padding.only(left=4, right=16), bgcolor=ft.Colors.SURFACE_CONTAINER_LOW,
                         content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
                             ft.TextButton(t("pt.tab.more"), icon=ft.Icons.CHEVRON_LEFT, on_click=opener(MORE),
                                           height=theme.TOUCH, tooltip=t("pt.more_back")),
                             ft.Text(t(f"pt.tab.{screen.tab}"), weight=ft.FontWeight.W_600, size=16, expand=True)])),
            ft.Container(scrolling(content, scrolled), expand=True)])
    return _tab_bar(screen, labels, changed, content, scrolled)


def _tab_bar(screen: PatientState, labels: list[str], changed: Any, content: ft.Control,
             scrolled: ScrollHandler) -> ft.Control:
    """Five tabs that fit a 360 px phone (sized to their words, scrolling rather than cutting a
    word if a large font needs more), 48 px high, over the tab's content."""
    return ft.Tabs(
        length=len(labels),
        selected_index=screen.bar_index,
        on_change=changed,
        expand=True,
        content=ft.Column(expand=True, spacing=0, controls=[
            ft.TabBar(tabs=[ft.Tab(label=_tab_label(label), height=theme.TOUCH) for label in labels], scrollable=True,
                      tab_alignment=ft.TabAlignment.START, label_padding=ft.Padding.symmetric(horizontal=10)),
            ft.Container(scrolling(content, scrolled), expand=True),
        ]),
    )


def _tab_label(label: str) -> ft.Control:
    """A tab's words; a short one ("Lab", "Mer") gets room to make the tab at least 48 px wide."""
    return ft.Container(ft.Text(label), padding=ft.Padding.symmetric(horizontal=6 if len(label) <= 4 else 0))


_MORE_ICONS = {"critical": ft.Icons.WARNING_AMBER_ROUNDED, "stays": ft.Icons.HOTEL_OUTLINED,
               "attendances": ft.Icons.MEETING_ROOM_OUTLINED,
               "info": ft.Icons.CONTACT_PHONE_OUTLINED, "plan": ft.Icons.ASSIGNMENT_OUTLINED,
               "plo": ft.Icons.FORWARD_TO_INBOX_OUTLINED}


def _more_list(t: Messages, opener: Any) -> ft.Control:
    """The tabs behind "Mer", one row each."""
    return ft.ListView(expand=True, controls=[
        ft.ListTile(leading=ft.Icon(_MORE_ICONS[tab]), title=ft.Text(t(f"pt.tab.{tab}")),
                    trailing=ft.Icon(ft.Icons.CHEVRON_RIGHT), on_click=opener(tab), min_height=theme.TOUCH + 8)
        for tab in MORE_TABS])


def _new_results_notice(app: AppState, screen: PatientState, t: Messages) -> ft.Control:
    """A new result arrived while the patient was open: said here, fetched when the user asks
    (nothing moves under the user's finger)."""
    async def show() -> None:
        app.touch()
        await screen.refresh()
        if screen.tab != "lab" and screen.tab != "overview":
            screen.open_tab("overview")

    return ft.Container(
        key="new-results", bgcolor=ft.Colors.TERTIARY_CONTAINER, padding=ft.Padding.only(left=16, right=8),
        content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
            ft.Icon(ft.Icons.SCIENCE, color=ft.Colors.ON_TERTIARY_CONTAINER),
            ft.Text(t("pt.new_results"), color=ft.Colors.ON_TERTIARY_CONTAINER, weight=ft.FontWeight.W_600,
                    expand=True),
            ft.TextButton(t("pt.show_new_results"), on_click=show, height=theme.TOUCH,
                          style=ft.ButtonStyle(color=ft.Colors.ON_TERTIARY_CONTAINER)),
        ]))


def _no_access(app: AppState, screen: PatientState, t: Messages) -> ft.Control:
    async def set_reason(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        screen.set_reason(e.control.value or "")

    async def grant() -> None:
        app.touch()
        await screen.break_glass()

    async def reopen() -> None:  # after emergency access was taken in the EPJ
        app.touch()
        await screen.load()

    def picker(text: str):  # type: ignore[no-untyped-def]
        async def pick() -> None:
            app.touch()
            screen.pick_reason(text)
        return pick

    heading: list[ft.Control] = [
        ft.Row([ft.Icon(ft.Icons.BLOCK, color=ft.Colors.ERROR, size=32),
                ft.Text(t("access.title"), size=20, weight=ft.FontWeight.BOLD, expand=True)]),
        ft.Text(t("access.body")),
    ]
    if not screen.may_break_glass and not screen.break_glass_turned_off:  # the role cannot authorise itself
        return ft.ListView(padding=16, spacing=12, controls=[*heading, ft.Text(t("access.no_btg_role"))])
    if screen.break_glass_in_epj or screen.break_glass_turned_off:  # no emergency access from the app here
        return ft.ListView(padding=16, spacing=12, controls=[
            *heading,
            ft.Container(bgcolor=theme.WARNING_BG, padding=12, border_radius=8, key="btg-in-epj",
                         content=ft.Text(t("access.btg_in_epj"), color=theme.WARNING_FG)),
            ft.OutlinedButton(t("state.retry"), icon=ft.Icons.REFRESH, on_click=reopen, height=theme.TOUCH,
                              disabled=screen.status is Status.LOADING),
        ])
    return ft.ListView(padding=16, spacing=12, controls=[
        *heading,
        ft.Container(
            bgcolor=theme.WARNING_BG, padding=12, border_radius=8,
            content=ft.Text(t("access.btg_explain"), color=theme.WARNING_FG),
        ),
        ft.Text(t("access.reasons")),
        ft.Row(wrap=True, spacing=8, run_spacing=8, controls=[
            ft.OutlinedButton(t(key), on_click=picker(t(key)), height=theme.TOUCH,
                              icon=ft.Icons.CHECK if screen.reason == t(key) else None)
            for key in COMMON_REASONS]),
        ft.TextField(
            label=t("access.reason"), value=screen.reason, on_change=set_reason, multiline=True, key="btg-reason",
            min_lines=2, max_lines=4,  # no max_length: Flutter would cut the reason without a word
            error=problem_text(t, screen.reason_problem) if screen.reason_problem else None,
        ),
        ft.FilledButton(t("access.grant"), icon=ft.Icons.LOCK_OPEN, on_click=grant,
                        disabled=screen.status is Status.LOADING, bgcolor=theme.EMERGENCY,
                        color=ft.Colors.WHITE, height=theme.TOUCH),
    ])
