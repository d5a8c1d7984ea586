"""The marker a machine-transcribed note draft carries: the text is machine-made (and, from a weak
model, likely wrong in places), its uncertain stretches, and the box the author ticks once checked."""

from __future__ import annotations

import flet as ft

from mobile_app.ui import theme
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.note_editor import NoteEditorState


def machine_marker(t: Messages, editor: NoteEditorState) -> list[ft.Control]:
    machine = editor.machine
    if machine is None:
        return []
    lines = [t("dictation.machine")]
    if machine.weak_model:
        lines.append(t("dictation.weak_model"))
    if machine.uncertain:
        lines.append(t("dictation.uncertain", parts=" … ".join(f"«{s.text.strip()}»" for s in machine.uncertain)))

    async def checked(e: ft.Event[ft.Checkbox]) -> None:
        editor.set_machine_checked(bool(e.control.value))

    return [
        ft.Container(bgcolor=ft.Colors.AMBER_100, border_radius=8, padding=12, content=ft.Column(spacing=4, controls=[
            ft.Row([ft.Icon(ft.Icons.RECORD_VOICE_OVER, color=theme.WARNING_FG),
                    ft.Text(lines[0], weight=ft.FontWeight.W_600, expand=True, color=ft.Colors.BLACK)]),
            *(ft.Text(line, color=ft.Colors.BLACK) for line in lines[1:]),
        ])),
        ft.Checkbox(label=t("dictation.checked"), value=editor.machine_checked, on_change=checked),
    ]
