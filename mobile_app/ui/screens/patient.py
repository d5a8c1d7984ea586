"""Patient screen: the fixed banner, then tabs (overview, critical info, lab, stays, documents,
notes, patient info, treatment plan, PLO messages), or the no-access panel with break-the-glass."""

from __future__ import annotations

from datetime import date

import flet as ft

from mobile_app.domain.models import DocumentSummary, Measurement, PatientOverview
from mobile_app.domain.writing import NOTE_TYPES, NoteDraft
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.patient import patient_banner
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens import patient_tabs as tabs
from mobile_app.ui.screens.lab import LabTab
from mobile_app.ui.screens.patient_notes import PatientNotesTab
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.patient import TABS, PatientState


@ft.component
def PatientScreen(app: AppState, screen: PatientState, t: Messages) -> ft.Control:
    today = app.ctx.today()
    patient = screen.patient

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
    if patient is not None:
        critical = screen.overview.critical.has_critical if screen.overview else False
        parts.append(patient_banner(t, patient, today, critical=critical, on_critical=show_critical,
                                    emergency_until=screen.emergency_until))
    if screen.status is Status.ERROR and screen.problem is not None:
        if screen.overview is not None:
            parts.append(states.stale_bar(t, screen.problem, screen.fetched_at, retry))
        else:
            parts.append(states.error(t, screen.problem, retry))
    if screen.no_access:
        parts.append(ft.Container(_no_access(app, screen, t), expand=True))
    elif screen.overview is None:
        if screen.status is Status.LOADING:
            parts.append(states.loading(t))
    elif screen.document is not None:
        parts.append(ft.Container(tabs.document_reader(t, screen.document), expand=True))
    else:
        parts.append(ft.Container(_tabbed(app, screen, screen.overview, t, today), expand=True))
    return ft.Column(parts, spacing=0, expand=True)


def _tabbed(app: AppState, screen: PatientState, overview: PatientOverview, t: Messages,
            today: date) -> ft.Control:
    async def changed(e: ft.Event[ft.Tabs]) -> None:
        app.touch()
        screen.open_tab(TABS[e.control.selected_index])
        if screen.tab == "lab" and screen.labs is not None:
            await screen.labs.opened()  # results load when the tab opens, not with the overview

    written = _written_notes(app, screen)

    def open_document(document_id: str):  # type: ignore[no-untyped-def]
        async def handler() -> None:
            app.touch()
            screen.open_document(document_id, next((d for d in written if d.id == document_id), None))
        return handler

    labels = [t(f"pt.tab.{name}") for name in TABS]
    content = {
        "overview": lambda: tabs.overview(t, overview, today,
                                          ward_note=screen.notes.ward if screen.notes else overview.ward_note,
                                          own_note=screen.notes.own if screen.notes else overview.own_note),
        "critical": lambda: tabs.critical(t, overview),
        "lab": lambda: LabTab(app, screen, screen.labs, t) if screen.labs is not None
        else tabs.placeholder(t("pt.no_labs"), ft.Icons.SCIENCE_OUTLINED),
        "stays": lambda: tabs.stays(t, overview),
        "documents": lambda: tabs.documents(t, overview, open_document, written),
        "notes": lambda: PatientNotesTab(app, screen, screen.notes, t) if screen.notes is not None
        else tabs.placeholder(t("pt.notes_placeholder"), ft.Icons.EDIT_NOTE),
        "info": lambda: tabs.info(t, overview),
        "plan": lambda: tabs.plan(t, overview),
        "plo": lambda: tabs.plo(t, overview),
    }[screen.tab]()
    return ft.Tabs(
        length=len(TABS),
        selected_index=TABS.index(screen.tab),
        on_change=changed,
        expand=True,
        content=ft.Column(expand=True, spacing=0, controls=[
            ft.TabBar(tabs=[ft.Tab(label=label) for label in labels], scrollable=True,
                      tab_alignment=ft.TabAlignment.START),
            ft.Container(content, expand=True),
        ]),
    )


def _written_notes(app: AppState, screen: PatientState) -> list[DocumentSummary]:
    """Journal notes written here: delivered ones at once, waiting ones marked as waiting."""
    if app.outbox is None:
        return []
    notes: list[DocumentSummary] = []
    for item in app.outbox.for_patient(screen.patient_id):
        payload = item.payload
        if not isinstance(payload, NoteDraft):
            continue
        if item.result is not None and item.result.document is not None:
            notes.append(item.result.document)
        elif item.pending:
            kind = NOTE_TYPES.get(payload.note_type, payload.note_type)
            notes.append(DocumentSummary(id=f"outbox:{item.id}", title=payload.title or kind,
                                         type_name=NOTE_TYPES.get(payload.note_type), date=payload.created,
                                         author=payload.author_name, status="waiting", text=payload.text))
    return notes


def _no_access(app: AppState, screen: PatientState, t: Messages) -> ft.Control:
    async def set_reason(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        screen.set_reason(e.control.value or "")

    async def grant() -> None:
        app.touch()
        await screen.break_glass()

    return ft.ListView(padding=16, spacing=12, controls=[
        ft.Row([ft.Icon(ft.Icons.BLOCK, color=ft.Colors.ERROR, size=32),
                ft.Text(t("access.title"), size=20, weight=ft.FontWeight.BOLD, expand=True)]),
        ft.Text(t("access.body")),
        ft.Container(
            bgcolor=theme.WARNING_BG, padding=12, border_radius=8,
            content=ft.Text(t("access.btg_explain"), color=theme.WARNING_FG),
        ),
        ft.TextField(
            label=t("access.reason"), value=screen.reason, on_change=set_reason, multiline=True,
            min_lines=2, max_lines=4, max_length=500,
            error=problem_text(t, screen.reason_problem) if screen.reason_problem else None,
        ),
        ft.FilledButton(t("access.grant"), icon=ft.Icons.LOCK_OPEN, on_click=grant,
                        disabled=screen.status is Status.LOADING, bgcolor=theme.EMERGENCY,
                        color=ft.Colors.WHITE, height=theme.TOUCH),
    ])


def measurement_text(m: Measurement) -> str:
    return f"{m.display_value} {m.unit or ''}".strip()
