"""The "Oppgaver" tab: my open tasks, or my ward's; patient, what, due time, priority and who asked.
Overdue tasks say so in words and with an icon; each row's buttons accept, start, complete or hand
back the task (with a reason), and a tap on the row opens the task and from there its patient."""

from __future__ import annotations

import flet as ft

from mobile_app.domain.worklists import TaskAction, WorkTask
from mobile_app.ui import format as fmt
from mobile_app.ui import theme
from mobile_app.ui.components import states
from mobile_app.ui.components.lab import chip
from mobile_app.ui.components.states import problem_text
from mobile_app.ui.components.task_actions import hand_back_form, task_buttons
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Status
from mobile_app.ui.viewmodels.tasks import Scope, TasksState


@ft.component
def TasksScreen(app: AppState, tasks: TasksState, t: Messages) -> ft.Control:
    def scope_button(scope: Scope) -> ft.Control:
        async def choose() -> None:
            app.touch()
            await tasks.switch(scope)

        label = t(f"tasks.{scope}")
        selected = tasks.scope == scope
        kind = ft.FilledButton if selected else ft.OutlinedButton
        return kind(label, on_click=choose, height=theme.TOUCH, expand=True,
                    icon=ft.Icons.CHECK if selected else None, tooltip=f"{t('tasks.scope')}: {label}")

    async def refresh() -> None:
        app.touch()
        await tasks.load()

    shown = tasks.shown
    head = ft.Container(padding=ft.Padding.only(left=12, right=4, top=6, bottom=6), content=ft.Row(
        vertical_alignment=ft.CrossAxisAlignment.CENTER, controls=[
            scope_button("mine"), scope_button("ward"),
            ft.IconButton(ft.Icons.REFRESH, on_click=refresh, tooltip=t("state.refresh"), width=theme.TOUCH,
                          height=theme.TOUCH)]))
    body: list[ft.Control] = []
    if tasks.changes.problem is not None and tasks.changes.hand_back is None:
        body.append(_notice(problem_text(t, tasks.changes.problem)))
    if tasks.problem is not None:
        body.append(_notice(problem_text(t, tasks.problem)))
    elif tasks.status is Status.LOADING and not shown:
        body.append(states.loading(t))
    elif tasks.status is Status.READY and not shown:
        body.append(states.empty(t(f"tasks.empty_{tasks.scope}"), ft.Icons.TASK_ALT))
    elif shown:
        counted = t("tasks.count_one") if tasks.open_count == 1 else t("tasks.count", count=tasks.open_count)
        body.append(ft.Container(ft.Text(counted, size=14,
                                         color=ft.Colors.ON_SURFACE_VARIANT),
                                 padding=ft.Padding.only(left=16, bottom=4)))
    body.extend(_row(app, tasks, task, t) for task in shown)
    return ft.Column(expand=True, spacing=0, controls=[head, ft.ListView(controls=body, expand=True)])


def _notice(text: str) -> ft.Control:
    return ft.Container(bgcolor=theme.WARNING_BG, padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                        content=ft.Row([ft.Icon(ft.Icons.INFO_OUTLINE, color=theme.WARNING_FG),
                                        ft.Text(text, color=theme.WARNING_FG, size=14, expand=True)]))


def _row(app: AppState, tasks: TasksState, task: WorkTask, t: Messages) -> ft.Control:
    overdue = tasks.overdue(task)

    async def open_task() -> None:
        app.touch()
        app.open_work_task(task)

    async def act(action: TaskAction) -> None:
        app.touch()
        await tasks.act(task, action)

    async def send() -> None:
        await tasks.act(task, TaskAction.HAND_BACK)

    who = task.patient_name or t("task.patient_unknown")
    if task.patient_identifier:
        who = f"{who} · {fmt.identifier(task.patient_identifier)}"
    status = t(f"task.status.{task.status}") if t.has(f"task.status.{task.status}") else task.status
    due = t("tasks.due", time=fmt.day_time(task.due)) if task.due else t("tasks.no_due")
    chips: list[ft.Control] = []
    if overdue:
        chips.append(chip(t("task.overdue_badge"), "#FFFFFF", theme.CRITICAL, ft.Icons.ALARM))
    if task.urgent:
        chips.append(chip(t("notif.urgent"), "#FFFFFF", theme.CRITICAL, ft.Icons.PRIORITY_HIGH))
    facts = " · ".join(x for x in (due, status, t("tasks.asked_by", name=task.requester) if task.requester else "",
                                   t("tasks.owned_by", name=task.owner_name)
                                   if tasks.scope == "ward" and task.owner_name else "") if x)
    marks = ". ".join(x for x in (t("task.overdue_badge") if overdue else "",
                                  t("notif.urgent") if task.urgent else "") if x)
    label = ". ".join(x for x in (t("tasks.open", text=task.text), who, marks, facts) if x)
    summary = ft.Semantics(label=label, button=True, container=True, exclude_semantics=True, on_tap=open_task,
                           content=ft.Container(on_click=open_task, ink=True, padding=ft.Padding.only(bottom=4),
                                                content=ft.Row(vertical_alignment=ft.CrossAxisAlignment.START,
                                                               controls=[
        ft.Icon(ft.Icons.ALARM if overdue else ft.Icons.TASK_ALT,
                color=theme.CRITICAL if overdue else ft.Colors.PRIMARY),
        ft.Column(spacing=2, expand=True, controls=[
            ft.Row([ft.Text(task.text, size=16, weight=ft.FontWeight.W_600, expand=True), *chips], spacing=6),
            ft.Text(who, size=14),
            ft.Text(facts, size=14, color=theme.CRITICAL_TEXT if overdue else ft.Colors.ON_SURFACE_VARIANT,
                    weight=ft.FontWeight.W_600 if overdue else None),
        ]),
        ft.Icon(ft.Icons.CHEVRON_RIGHT, color=ft.Colors.ON_SURFACE_VARIANT),
    ])))
    controls: list[ft.Control] = [summary]
    failure = tasks.changes.failure(task)
    if failure is not None:
        controls.append(ft.Text(problem_text(t, failure), size=14, color=theme.CRITICAL_TEXT))
    if tasks.changes.sending(task):
        controls.append(ft.Text(t("task.sending"), size=14, color=ft.Colors.ON_SURFACE_VARIANT, italic=True))
    if tasks.changes.hand_back == task.id:
        controls.append(hand_back_form(t, task, tasks.changes.reason, tasks.changes.problem, tasks.type_reason,
                                       send, tasks.cancel_hand_back, app.touch))
    else:
        controls.append(task_buttons(tasks.changes.actions(task), task, t, act))
    return ft.Container(padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                        bgcolor=theme.CRITICAL_ROW if overdue else None,
                        border=ft.Border.only(bottom=ft.BorderSide(1, ft.Colors.OUTLINE_VARIANT)),
                        content=ft.Column(spacing=4, controls=controls))
