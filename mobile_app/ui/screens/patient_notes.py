"""The patient's Notes tab: own note and ward note (editable), new journal note, what is waiting."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.models import DocumentSummary, NoteItem, PatientNoteKind
from mobile_app.domain.roles import Action
from mobile_app.domain.writing import NoteDraft, NoteStatus
from mobile_app.services.outbox_items import OutboxItem
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.documents import document_tile
from mobile_app.ui.components.outbox import outbox_row
from mobile_app.ui.components.patient import ScrollHandler, scrolling
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.writing import PatientNotesState


@ft.component
def PatientNotesTab(app: AppState, screen: PatientState, notes: PatientNotesState, t: Messages,
                    scrolled: ScrollHandler | None = None) -> ft.Control:
    outbox = app.outbox
    items = outbox.for_patient(screen.patient_id) if outbox is not None else []

    async def new_note() -> None:
        app.touch()
        app.open_note_editor(screen)

    async def message() -> None:
        app.touch()
        app.open_compose(about=screen)

    actions: list[ft.Control] = []  # only what the user's role may do is offered
    if app.ctx.may(Action.WRITE_JOURNAL_NOTE):
        actions.append(ft.FilledButton(t("notes.new_note"), icon=ft.Icons.NOTE_ADD, on_click=new_note,
                                       height=theme.TOUCH))
    if app.ctx.may(Action.SEND_MESSAGE):
        actions.append(ft.OutlinedButton(t("messages.new_about"), icon=ft.Icons.MAIL_OUTLINE, on_click=message,
                                         height=theme.TOUCH))
    controls: list[ft.Control] = [
        ft.Container(padding=ft.Padding.only(left=16, right=16, top=12), content=ft.Row(wrap=True, spacing=8,
                                                                                     controls=actions)),
        *_note_card(app, notes, "ward-note", notes.ward, t),
        *_note_card(app, notes, "own-note", notes.own, t),
    ]
    drafts = screen.drafts
    if drafts:  # continued, edited and signed from here (or from Documents)
        controls.append(states.section(t("notes.drafts")))
        controls.extend(_draft_tile(app, screen, t, draft) for draft in drafts)
    pending = [item for item in items if item.pending and not _is_draft(item)]
    if pending:
        controls.append(states.section(t("notes.waiting")))
        controls.extend(_row(app, t, item) for item in pending)
    shown = ft.ListView(controls=controls, expand=True)
    return scrolling(shown, scrolled) if scrolled is not None else shown


def _is_draft(item: OutboxItem) -> bool:
    """A draft waiting in the outbox is listed with the drafts, where it is continued."""
    return isinstance(item.payload, NoteDraft) and item.payload.status is NoteStatus.DRAFT


def _draft_tile(app: AppState, screen: PatientState, t: Messages, draft: DocumentSummary) -> ft.Control:
    async def read() -> None:
        app.touch()
        screen.open_document(draft.id)

    async def resume() -> None:
        app.touch()
        app.continue_note(screen, draft)

    return ft.Column(spacing=0, controls=[
        document_tile(t, draft, read),
        ft.Container(padding=ft.Padding.only(left=16, bottom=4), content=ft.TextButton(
            t("note.continue_sign"), icon=ft.Icons.EDIT_NOTE, on_click=resume, height=theme.TOUCH)),
    ])


def _row(app: AppState, t: Messages, item: OutboxItem) -> ft.Control:
    outbox = app.outbox
    assert outbox is not None

    async def retry() -> None:
        app.touch()
        await outbox.retry(item.id)

    async def discard() -> None:
        app.touch()
        outbox.discard(item.id)

    return outbox_row(t, item, on_retry=retry, on_edit=None, on_discard=discard)


def _note_card(app: AppState, notes: PatientNotesState, kind: PatientNoteKind, note: NoteItem | None,
               t: Messages) -> list[ft.Control]:
    async def edit() -> None:
        app.touch()
        notes.start(kind)

    async def set_text(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        notes.set_text(e.control.value or "")

    async def save() -> None:
        app.touch()
        await notes.save()

    async def cancel() -> None:
        notes.cancel()

    async def reload() -> None:
        app.touch()
        await notes.reload()

    title = t(f"notes.{kind}")
    hint = t(f"notes.{kind}.hint")
    body: list[ft.Control] = []
    if notes.editing == kind:
        body.append(ft.TextField(label=title, value=notes.text, on_change=set_text, multiline=True, min_lines=3,
                                 max_lines=8, autofocus=True, key=f"note-{kind}",  # no max_length: it would cut
                                 error=problem_text(t, notes.problem) if notes.problem else None, error_max_lines=4))
        buttons: list[ft.Control] = [
            ft.FilledButton(t("notes.save"), icon=ft.Icons.SAVE, on_click=save, height=theme.TOUCH),
            ft.TextButton(t("notes.cancel"), on_click=cancel, height=theme.TOUCH),
        ]
        if notes.problem is not None and notes.problem.key.startswith("write.reason.conflict"):
            buttons.append(ft.TextButton(t("notes.reload"), icon=ft.Icons.REFRESH, on_click=reload,
                                         height=theme.TOUCH))
        body.append(ft.Row(buttons, wrap=True, spacing=8))
    else:
        text = note.text if note and note.text else t("notes.empty")
        body.append(ft.Text(text))
        if note is not None and (note.modified_by or note.modified_at):
            body.append(ft.Text(fmt.note_changed(t, note), size=14, color=ft.Colors.ON_SURFACE_VARIANT))
        if notes.may_edit(kind):
            body.append(ft.TextButton(t("notes.edit", what=title.lower()), icon=ft.Icons.EDIT, on_click=edit,
                                      height=theme.TOUCH))
    return [
        states.section(title),
        ft.Container(padding=ft.Padding.symmetric(horizontal=16), content=ft.Column(spacing=4, controls=[
            ft.Text(hint, size=14, color=ft.Colors.ON_SURFACE_VARIANT), *body])),
    ]
