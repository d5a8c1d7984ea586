"""A task given to me: what to do, for which patient ("Åpne pasient"), by when, who asked; and
accepting, starting, completing or handing it back (with a reason)."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.worklists import TaskAction
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components.lab import chip
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.components.task_actions import hand_back_form, task_buttons
from mobile_app.ui.messages import Messages
from mobile_app.ui.screen_views import shows
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.task import TaskState


def _fact(label: str, value: str, *, strong: bool = False) -> ft.Control:
    return ft.Column(spacing=0, controls=[
        ft.Text(label, size=14, color=ft.Colors.ON_SURFACE_VARIANT),
        ft.Text(value, size=16, weight=ft.FontWeight.BOLD if strong else ft.FontWeight.W_500),
    ])


@shows(TaskState)
@ft.component
def TaskScreen(app: AppState, task: TaskState, t: Messages) -> ft.Control:
    async def open_patient() -> None:
        app.touch()
        if task.patient_id is not None:
            await app.open_patient(task.patient_id, task.patient, opened_from="task")

    async def act(action: TaskAction) -> None:
        app.touch()
        await task.act(action)

    async def send() -> None:
        await task.act(TaskAction.HAND_BACK)

    now = app.ctx.now()
    heading: list[ft.Control] = [ft.Text(task.text, size=20, weight=ft.FontWeight.BOLD, expand=True)]
    if task.urgent:
        heading.append(chip(t("notif.urgent"), "#FFFFFF", theme.CRITICAL, ft.Icons.PRIORITY_HIGH))
    facts: list[ft.Control] = []
    if task.patient_id is not None:
        who = task.patient.name if task.patient else t("task.patient_unknown")
        if task.patient is not None and task.patient.identifier:
            who = f"{who} · {fmt.identifier(task.patient.identifier)}"
        facts.append(_fact(t("task.patient"), who, strong=True))
    if task.due is not None:
        due = fmt.day_time(task.due) + (f" ({t('task.overdue')})" if task.overdue(now) else "")
        facts.append(_fact(t("task.due"), due, strong=task.overdue(now)))
    if task.requester:
        facts.append(_fact(t("task.requester"), task.requester))
    if task.authored is not None:
        facts.append(_fact(t("task.authored"), fmt.day_time(task.authored)))
    if task.status:
        shown = task.work.status
        status = t(f"task.status.{shown}") if t.has(f"task.status.{shown}") else shown
        facts.append(_fact(t("task.status"), status))
    if task.status and task.work.status_reason:
        facts.append(_fact(t("task.reason"), task.work.status_reason))
    controls: list[ft.Control] = [ft.Row(heading, vertical_alignment=ft.CrossAxisAlignment.START), *facts]
    if task.failure is not None:
        controls.append(ft.Text(problem_text(t, task.failure), size=14, color=theme.CRITICAL_TEXT))
    if task.sending:
        controls.append(ft.Text(t("task.sending"), size=14, color=ft.Colors.ON_SURFACE_VARIANT, italic=True))
    changes = task.changes
    if changes is not None and task.handing_back:
        controls.append(hand_back_form(t, task.work, changes.reason, changes.problem, task.type_reason, send,
                                       task.cancel_hand_back, app.touch))
    elif task.actions:
        controls.append(task_buttons(task.actions, task.work, t, act))
    if task.patient_id is not None:
        controls.append(ft.FilledButton(t("messages.open_patient"), icon=ft.Icons.PERSON, on_click=open_patient,
                                        height=theme.TOUCH))
    return ft.ListView(padding=16, spacing=14, controls=controls, expand=True)
