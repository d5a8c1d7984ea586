"""A task given to me, shown on its own: what to do, for which patient, by when, who asked; and
accepting, starting, completing or handing it back (``TaskChanges``, shared with My tasks).

A notification about a task opens it here (``AppState.open_task``), as does a row of My tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import flet as ft

from mobile_app.domain.models import Notification, PatientSummary
from mobile_app.domain.worklists import FINISHED_TASK_STATUSES, TaskAction, WorkTask
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import OutboxItem
from mobile_app.ui.viewmodels.base import Problem
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.tasks import TaskChanges


@ft.observable
@dataclass(eq=False, repr=False)
class TaskState(PushedScreen):
    TITLE = "task.title"
    USAGE_NAME = "task"

    text: str
    patient_id: str | None = None
    patient: PatientSummary | None = None  # when the app knows the patient (ward list, My patients)
    due: datetime | None = None
    requester: str | None = None
    authored: datetime | None = None
    status: str | None = None
    urgent: bool = False
    task_id: str | None = None
    version: str | None = None
    owner_id: str | None = None
    changes: TaskChanges | None = None  # None: shown only (nothing can be changed)
    revision: int = 0  # moves on every outbox change, so the screen shows a change's progress
    _unsubscribe: Callable[[], None] | None = None

    def watch(self, outbox: Outbox | None) -> TaskState:
        """Show the progress of changes through the outbox (the changes themselves are tracked by
        the shared ``TaskChanges``)."""
        if outbox is not None:
            self._unsubscribe = outbox.on_change(self._outbox_changed)
        return self

    @classmethod
    def of(cls, item: Notification, patient: PatientSummary | None, changes: TaskChanges | None = None,
           owner_id: str | None = None) -> TaskState:
        return cls(text=item.text, patient_id=item.patient_id, patient=patient, due=item.due, requester=item.sender,
                   authored=item.time, status=item.status, urgent=item.urgent,
                   task_id=item.id.removeprefix("Task/"), version=item.version, owner_id=owner_id, changes=changes)

    @classmethod
    def of_task(cls, task: WorkTask, patient: PatientSummary | None, changes: TaskChanges | None) -> TaskState:
        return cls(text=task.text, patient_id=task.patient_id, patient=patient, due=task.due, requester=task.requester,
                   authored=task.authored, status=task.status, urgent=task.urgent, task_id=task.id,
                   version=task.version, owner_id=task.owner_id, changes=changes)

    @property
    def work(self) -> WorkTask:
        """The task as the work lists know it, with any change on its way."""
        task = WorkTask(id=self.task_id or "", version=self.version, status=self.status or "unknown", text=self.text,
                        patient_id=self.patient_id, patient_name=self.patient.name if self.patient else None,
                        due=self.due, urgent=self.urgent, requester=self.requester, owner_id=self.owner_id,
                        authored=self.authored)
        return self.changes.shown(task) if self.changes is not None else task

    @property
    def actions(self) -> tuple[TaskAction, ...]:
        if self.changes is None or self.task_id is None:
            return ()
        return self.changes.actions(self.work)

    @property
    def sending(self) -> bool:
        return self.changes is not None and self.changes.sending(self.work)

    @property
    def failure(self) -> Problem | None:
        return self.changes.failure(self.work) if self.changes is not None else None

    @property
    def handing_back(self) -> bool:
        return self.changes is not None and self.task_id is not None and self.changes.hand_back == self.task_id

    async def act(self, action: TaskAction) -> OutboxItem | None:
        """A button: "Gi tilbake" first opens the reason, then sends."""
        if self.changes is None:
            return None
        if action is TaskAction.HAND_BACK and not self.handing_back:
            self.changes.start_hand_back(self.work)
            self.revision += 1
            return None
        item = await self.changes.act(self.work, action)
        self.revision += 1
        return item

    def type_reason(self, text: str) -> None:
        if self.changes is not None:
            self.changes.type_reason(text)
            self.revision += 1

    def cancel_hand_back(self) -> None:
        if self.changes is not None:
            self.changes.cancel_hand_back()
            self.revision += 1

    def _outbox_changed(self, items: list[OutboxItem]) -> None:
        self.revision += 1

    def overdue(self, now: datetime) -> bool:
        return self.due is not None and self.due < now and self.work.status not in FINISHED_TASK_STATUSES

    def leave(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def forget(self) -> None:
        self.leave()
        self.text = ""
        self.patient = None
        self.patient_id = None
        self.requester = None
