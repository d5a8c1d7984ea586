"""Journal-note editor: note type, title and text; save as a draft, or sign and send."""

from __future__ import annotations

import flet as ft

from mobile_app.services.outbox_items import ItemState
from mobile_app.ui import theme
from mobile_app.ui.components.outbox import item_status
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.writing import NoteEditorState


@ft.component
def NoteEditorScreen(app: AppState, editor: NoteEditorState, t: Messages) -> ft.Control:
    async def set_type(e: ft.Event[ft.Dropdown]) -> None:
        app.touch()
        editor.note_type = e.control.value or editor.note_type

    async def set_title(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        editor.title = e.control.value or ""

    async def set_text(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        editor.set_text(e.control.value or "")

    async def save_draft() -> None:
        app.touch()
        await editor.save(sign=False)

    async def sign() -> None:
        app.touch()
        if await editor.save(sign=True) is not None:
            app.after_note_signed(editor)

    field_problem = problem_text(t, editor.problem) if editor.problem else None
    status: list[ft.Control] = []
    if editor.saved is not None:
        color = theme.CONFIRM_FG if editor.saved.state is ItemState.SENT else theme.WARNING_FG
        status.append(ft.Text(item_status(t, editor.saved), color=color, weight=ft.FontWeight.W_600))
    return ft.ListView(padding=16, spacing=12, controls=[
        ft.Text(t("note.for", name=editor.patient_name), weight=ft.FontWeight.BOLD),
        ft.Dropdown(label=t("note.type"), value=editor.note_type, on_select=set_type,
                    options=[ft.DropdownOption(key=k, text=v) for k, v in editor.note_types.items()]),
        ft.TextField(label=t("note.title"), value=editor.title, on_change=set_title, max_length=200),
        ft.TextField(label=t("note.text"), value=editor.text, on_change=set_text, multiline=True, min_lines=8,
                     max_lines=16, max_length=editor.limit, error=field_problem, error_max_lines=3),
        *status,
        ft.Row(wrap=True, spacing=8, controls=[
            ft.OutlinedButton(t("note.save_draft"), icon=ft.Icons.SAVE_OUTLINED, on_click=save_draft,
                              disabled=editor.busy, height=theme.TOUCH),
            ft.FilledButton(t("note.sign_send"), icon=ft.Icons.SEND, on_click=sign, disabled=editor.busy,
                            height=theme.TOUCH),
        ]),
        ft.Text(t("note.outbox_hint"), size=12, color=ft.Colors.ON_SURFACE_VARIANT),
    ])
