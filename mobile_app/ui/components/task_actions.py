"""A task's buttons (accept, start, complete, hand back) and the hand-back form with its reason,
shared by the "Oppgaver" tab and the task screen."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import flet as ft

from mobile_app.domain.worklists import TaskAction, WorkTask
from mobile_app.ui import theme
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.base import Problem

_ICONS = {TaskAction.ACCEPT: ft.Icons.THUMB_UP_OUTLINED, TaskAction.START: ft.Icons.PLAY_ARROW,
          TaskAction.COMPLETE: ft.Icons.CHECK, TaskAction.HAND_BACK: ft.Icons.UNDO}


def task_buttons(actions: tuple[TaskAction, ...], task: WorkTask, t: Messages,
                 act: Callable[[TaskAction], Awaitable[None]]) -> ft.Control:
    """One button per action; "Fullfør" filled (what is done most), the others outlined."""
    def handler(action: TaskAction):  # type: ignore[no-untyped-def]
        async def run() -> None:
            await act(action)
        return run

    buttons: list[ft.Control] = []
    for action in actions:
        kind = ft.FilledButton if action is TaskAction.COMPLETE else ft.OutlinedButton
        buttons.append(kind(t(f"task.action.{action}"), icon=_ICONS[action], on_click=handler(action),
                            height=theme.TOUCH, tooltip=t(f"task.action.{action}.label", text=task.text)))
    return ft.Row(buttons, wrap=True, spacing=8, run_spacing=8)


def hand_back_form(t: Messages, task: WorkTask, reason: str, problem: Problem | None,
                   on_type: Callable[[str], None], on_send: Callable[[], Awaitable[object]],
                   on_cancel: Callable[[], None], touch: Callable[[], None]) -> ft.Control:
    """Why the task is handed back (the one who asked reads it), then "Gi tilbake" or "Avbryt"."""
    async def typed(e: ft.Event[ft.TextField]) -> None:
        touch()
        on_type(e.control.value or "")

    async def send() -> None:
        touch()
        await on_send()

    async def cancel() -> None:
        touch()
        on_cancel()

    controls: list[ft.Control] = [
        ft.TextField(label=t("task.hand_back_reason"), value=reason, on_change=typed, multiline=True,
                     min_lines=2, max_lines=4, autofocus=True),
    ]
    if problem is not None:
        controls.append(ft.Text(problem_text(t, problem), size=14, color=theme.CRITICAL_TEXT))
    controls.append(ft.Row(wrap=True, spacing=8, controls=[
        ft.FilledButton(t("task.hand_back_send"), icon=ft.Icons.UNDO, on_click=send, height=theme.TOUCH,
                        tooltip=t("task.action.hand_back.label", text=task.text)),
        ft.OutlinedButton(t("task.hand_back_cancel"), on_click=cancel, height=theme.TOUCH),
    ]))
    return ft.Column(spacing=8, controls=controls)
