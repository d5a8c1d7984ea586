"""Journal-note editor: the patient's banner (who it is about), note type, title and text; save as a
draft, or sign and send. Back with unsaved text asks first; text over the limit is kept as typed,
counted and refused until it is shortened."""

from __future__ import annotations

import flet as ft

from mobile_app.services.outbox_items import ItemState
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components.dictation import machine_marker
from mobile_app.ui.components.outbox import item_status
from mobile_app.ui.components.patient import with_form_banner
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.dictation import DictationState
from mobile_app.ui.viewmodels.note_editor import NoteEditorState


def _discard_dialog(app: AppState, editor: NoteEditorState, t: Messages) -> ft.AlertDialog | None:
    """Asked on Back with unsaved text: keep writing (the default), save as a draft, or discard."""
    if not editor.confirm_discard:
        return None

    async def keep() -> None:
        app.touch()
        editor.keep_writing()

    async def save_draft() -> None:
        app.touch()
        if await editor.save_draft_and_leave():
            app.nav.back()

    async def discard() -> None:
        app.touch()
        editor.discard()
        app.nav.back()

    return ft.AlertDialog(
        modal=True,
        title=ft.Text(t("note.unsaved_title")),
        content=ft.Text(t("note.unsaved_body", count=fmt.count(editor.length))),
        actions=[ft.TextButton(t("note.discard"), on_click=discard, style=ft.ButtonStyle(color=ft.Colors.ERROR)),
                 ft.TextButton(t("note.save_draft"), on_click=save_draft),
                 ft.FilledButton(t("note.keep_writing"), on_click=keep)],
    )


def _counter(t: Messages, editor: NoteEditorState) -> ft.Control:
    over = editor.length > editor.limit
    return ft.Text(t("note.count", count=fmt.count(editor.length), limit=fmt.count(editor.limit)), size=14,
                   color=ft.Colors.ERROR if over else ft.Colors.ON_SURFACE_VARIANT,
                   weight=ft.FontWeight.BOLD if over else None, text_align=ft.TextAlign.RIGHT)


@shows(NoteEditorState)
@ft.component
def NoteEditorScreen(app: AppState, editor: NoteEditorState, t: Messages) -> ft.Control:
    ft.use_dialog(_discard_dialog(app, editor, t))

    async def set_type(e: ft.Event[ft.Dropdown]) -> None:
        app.touch()
        editor.set_type(e.control.value or editor.note_type)

    async def set_title(e: ft.Event[ft.TextField]) -> None:
        app.touch()
        editor.set_title(e.control.value or "")

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

    async def dictate() -> None:
        app.touch()
        if app.ctx.outbox is not None:
            app.nav.push(DictationState(app.ctx, app.ctx.outbox, editor.patient_id, editor.patient_name,
                                        encounter_id=editor.encounter_id,
                                        ward_id=editor.banner.patient.stay.ward_id
                                        if editor.banner and editor.banner.patient.stay else None,
                                        banner=editor.banner))

    problem = problem_text(t, editor.problem) if editor.problem else None
    title_problem = problem if editor.problem and editor.problem.key.startswith("write.title") else None
    text_problem = problem if problem and title_problem is None else None
    status: list[ft.Control] = []
    current = editor.current
    if current is not None:
        color = ft.Colors.PRIMARY if current.state is ItemState.SENT else ft.Colors.ON_SURFACE_VARIANT
        status.append(ft.Text(item_status(t, current), color=color, weight=ft.FontWeight.W_600))
    # On top, where it is seen (a long text pushes the field's own error far down). The slot is always
    # there, shown or not: a control inserted above the fields would shift them, and Flet would patch
    # the text field into the title field and lose what was typed.
    refusal = ft.Container(
        visible=editor.too_long and problem is not None, key="refusal",
        bgcolor=theme.CRITICAL, border_radius=8, padding=ft.Padding.symmetric(horizontal=12, vertical=8),
        content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.START, controls=[
            ft.Icon(ft.Icons.BLOCK, color=ft.Colors.WHITE),
            ft.Text(problem or "", color=ft.Colors.WHITE, weight=ft.FontWeight.W_600, expand=True)]))
    content = ft.ListView(padding=16, spacing=12, controls=[
        refusal,
        # The dropdown names neither itself nor its value to a screen reader: the label says both.
        ft.Semantics(label=t("note.type_chosen", type=editor.note_types.get(editor.note_type, editor.note_type)),
                     content=ft.Dropdown(label=t("note.type"), value=editor.note_type, on_select=set_type,
                                         options=[ft.DropdownOption(key=k, text=v)
                                                  for k, v in editor.note_types.items()])),
        # No max_length on either field: Flutter would cut pasted text without a word.
        ft.TextField(label=t("note.title"), value=editor.title, on_change=set_title, error=title_problem,
                     key="title"),
        ft.TextField(label=t("note.text"), value=editor.text, on_change=set_text, multiline=True, min_lines=8,
                     max_lines=16, error=text_problem, error_max_lines=3, key="text"),
        _counter(t, editor),
        *status,
        ft.Row(wrap=True, spacing=8, controls=[
            ft.OutlinedButton(t("note.save_draft"), icon=ft.Icons.SAVE_OUTLINED, on_click=save_draft,
                              disabled=editor.busy, height=theme.TOUCH),
            ft.FilledButton(t("note.sign_send"), icon=ft.Icons.SEND, on_click=sign, disabled=editor.busy,
                            height=theme.TOUCH),
        ]),
        ft.Text(t("note.outbox_hint"), size=14, color=ft.Colors.ON_SURFACE_VARIANT),
        *machine_marker(t, editor),
        ft.OutlinedButton(t("dictation.open"), icon=ft.Icons.MIC, on_click=dictate, height=theme.TOUCH,
                          tooltip=t("dictation.open")),
    ])
    return with_form_banner(t, editor.banner, app.ctx.today(), content)
