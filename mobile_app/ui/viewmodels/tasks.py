"""My tasks ("Mine oppgaver"): open tasks owned by me or, switched, by my ward; and changing a
task's status (accept, start, complete, hand back with a reason) through the outbox.

A change shows at once (the task's new status, "Venter på sending" until the EPJ confirms) and is
sent exactly once by the outbox with ``If-Match`` on the version seen. A conflict says who changed
the task first when the EPJ says so ("noen andre" when it does not) and the list is read again.
``TaskChanges`` is shared with the single task screen (task.py), which a notification opens.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import flet as ft

from mobile_app.domain.models import Role
from mobile_app.domain.roles import Action
from mobile_app.domain.worklists import (
    HAND_BACK_REASON_LIMIT,
    TaskAction,
    TaskStatusDraft,
    WorkTask,
    sort_tasks,
    status_after,
    task_actions,
)
from mobile_app.services.outbox_items import ItemState, OutboxItem, Reason
from mobile_app.ui import format as fmt
from mobile_app.ui.viewmodels.base import AppContext, Problem, Status, elapsed_ms, guarded
from mobile_app.ui.viewmodels.writing import after_typing, submit_logged

Scope = Literal["mine", "ward"]


def conflict_problem(item: OutboxItem) -> Problem | None:
    """What to say about a change the EPJ refused: who changed it first ("noen andre" when the EPJ
    does not say), or why else it failed."""
    error = item.last_error
    if item.state is not ItemState.FAILED or error is None:
        return None
    if error.reason is Reason.CONFLICT:
        if error.changed_by:
            return Problem("tasks.conflict_by", {"name": error.changed_by, "time": fmt.clock(error.changed_at)},
                           retryable=False)
        return Problem("tasks.conflict_someone", retryable=False)
    return Problem(f"write.reason.{error.reason}", {"status": error.status or "", "detail": error.detail},
                   retryable=False)


@dataclass(eq=False, repr=False)
class TaskChanges:
    """Changes of tasks' statuses on their way through the outbox, by task id."""

    ctx: AppContext
    waiting: dict[str, OutboxItem] = field(default_factory=dict)  # task id -> the item of its change
    hand_back: str | None = None  # the task whose reason is being written
    reason: str = ""
    problem: Problem | None = None

    def may_change(self, task: WorkTask) -> bool:
        """Doctors and nurses change the tasks of their patients; a health worker only her own."""
        if not self.ctx.may(Action.CHANGE_TASK_STATUS) or not task.open:
            return False
        user = self.ctx.session.user
        me = user.practitioner_id if user else None
        return task.owned_by(me) or (user is not None and user.role in (Role.DOCTOR, Role.NURSE))

    def actions(self, task: WorkTask) -> tuple[TaskAction, ...]:
        if not self.may_change(task) or self.sending(task):
            return ()
        return task_actions(task.status)

    def sending(self, task: WorkTask) -> bool:
        item = self.waiting.get(task.id)
        return item is not None and item.state in (ItemState.WAITING, ItemState.SENDING)

    def start_hand_back(self, task: WorkTask) -> None:
        if TaskAction.HAND_BACK in self.actions(task):
            self.hand_back, self.reason, self.problem = task.id, "", None

    def cancel_hand_back(self) -> None:
        self.hand_back, self.reason, self.problem = None, "", None

    def type_reason(self, text: str) -> None:
        self.reason = text
        self.problem = after_typing(self.problem, "hand_back", text, HAND_BACK_REASON_LIMIT)

    async def act(self, task: WorkTask, action: TaskAction) -> OutboxItem | None:
        """Hand the change to the outbox (a hand-back takes the reason typed); None when refused."""
        user, outbox = self.ctx.session.user, self.ctx.outbox
        if user is None or outbox is None or action not in self.actions(task):
            return None
        reason = self.reason.strip() if action is TaskAction.HAND_BACK else None
        if action is TaskAction.HAND_BACK and not reason:
            self.problem = Problem("write.hand_back.empty", retryable=False)
            return None
        draft = TaskStatusDraft(task_id=task.id, version=task.version, status=status_after(action, task.status),
                                reason=reason, patient_id=task.patient_id, author_id=user.practitioner_id,
                                author_name=user.name, patient_name=task.patient_name, task_text=task.text)
        item, problem = await submit_logged(self.ctx, outbox, draft)
        self.problem = problem
        if item is not None:
            self.waiting[task.id] = item
            self.cancel_hand_back()
        return item

    def seen(self, items: list[OutboxItem]) -> list[OutboxItem]:
        """Take the outbox's news of our changes; returns the items that changed state."""
        changed: list[OutboxItem] = []
        for item in items:
            payload = item.payload
            if not isinstance(payload, TaskStatusDraft):
                continue
            known = self.waiting.get(payload.task_id)
            if known is not None and known.id == item.id and known.state is not item.state:
                self.waiting[payload.task_id] = item
                changed.append(item)
        return changed

    def shown(self, task: WorkTask) -> WorkTask:
        """The task as the user should see it: with the status of a change on its way or made."""
        item = self.waiting.get(task.id)
        if item is None or item.state is ItemState.FAILED:
            return task
        stored = item.result.task if item.result is not None else None
        if stored is not None:  # the EPJ's status and version; the patient as the list showed them
            return task.model_copy(update={"status": stored.status, "version": stored.version,
                                           "status_reason": stored.status_reason})
        payload = item.payload
        assert isinstance(payload, TaskStatusDraft)
        return task.model_copy(update={"status": payload.status, "status_reason": payload.reason})

    def failure(self, task: WorkTask) -> Problem | None:
        item = self.waiting.get(task.id)
        return conflict_problem(item) if item is not None else None

    def forget(self) -> None:
        self.waiting.clear()
        self.cancel_hand_back()


@ft.observable
@dataclass(eq=False, repr=False)
class TasksState:
    """The "Oppgaver" tab: my open tasks, or my ward's."""

    ctx: AppContext
    ward_id: Callable[[], str | None] = lambda: None
    scope: Scope = "mine"
    tasks: list[WorkTask] = field(default_factory=list)
    status: Status = Status.IDLE
    problem: Problem | None = None
    fetched_at: datetime | None = None
    changes: TaskChanges = field(init=False)
    revision: int = 0  # moves when a change starts, so the rows show it (``changes`` is not observed)
    _unsubscribe: Callable[[], None] | None = None
    _jobs: set[asyncio.Task[None]] = field(default_factory=set)

    def __repr__(self) -> str:
        return f"TasksState(scope={self.scope}, tasks={len(self.tasks)})"

    def __post_init__(self) -> None:
        self.changes = TaskChanges(self.ctx)
        if self.ctx.outbox is not None:
            self._unsubscribe = self.ctx.outbox.on_change(self._outbox_changed)

    @property
    def shown(self) -> list[WorkTask]:
        return sort_tasks([self.changes.shown(t) for t in self.tasks], self.ctx.now())

    @property
    def open_count(self) -> int:
        return sum(1 for t in self.shown if t.open)

    def overdue(self, task: WorkTask) -> bool:
        return task.overdue(self.ctx.now())

    async def load(self) -> None:
        user = self.ctx.session.user
        if user is None:
            return
        started = time.perf_counter()
        self.status = Status.LOADING
        ward = self.ward_id()
        if self.scope == "ward" and ward is None:
            self.tasks, self.status, self.problem = [], Status.READY, Problem("tasks.no_ward", retryable=False)
            return
        me = user.practitioner_id
        found, problem = await guarded(self.ctx, lambda: self.ctx.client.my_tasks(me) if self.scope == "mine"
                                       else self.ctx.client.ward_tasks(ward or ""))
        if problem is not None:
            self.problem, self.status = problem, Status.ERROR
            self.ctx.event("screen_shown", duration_ms=elapsed_ms(started), outcome="failure", screen="my_tasks",
                           cached=False)
            return
        self.tasks, self.problem, self.status, self.fetched_at = list(found), None, Status.READY, self.ctx.now()
        self.ctx.event("screen_shown", duration_ms=elapsed_ms(started), screen="my_tasks", cached=False,
                       outcome="success" if self.tasks else "empty")

    async def switch(self, scope: Scope) -> None:
        if scope != self.scope:
            self.scope = scope
            self.tasks = []
            await self.load()

    async def act(self, task: WorkTask, action: TaskAction) -> OutboxItem | None:
        """A button of a row: "Gi tilbake" first opens the reason, then sends."""
        if action is TaskAction.HAND_BACK and self.changes.hand_back != task.id:
            self.changes.start_hand_back(task)
            self.revision += 1
            return None
        item = await self.changes.act(task, action)
        self.revision += 1
        if item is not None and item.state is ItemState.FAILED:
            await self.load()  # refused at once (a conflict): show what the EPJ has now
        return item

    def type_reason(self, text: str) -> None:
        self.changes.type_reason(text)
        self.revision += 1

    def cancel_hand_back(self) -> None:
        self.changes.cancel_hand_back()
        self.revision += 1

    def _outbox_changed(self, items: list[OutboxItem]) -> None:
        changed = self.changes.seen(items)
        if changed:
            self.tasks = list(self.tasks)  # re-render: a change was confirmed or refused
            if any(item.state is ItemState.FAILED for item in changed):
                self._reload()  # a conflict: show what the EPJ has now

    def _reload(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a test changing the outbox by hand)
        self._jobs.add(job := loop.create_task(self.load()))
        job.add_done_callback(self._jobs.discard)

    def close(self) -> None:
        """Stop following the outbox (this list is being replaced)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def forget(self) -> None:
        self.tasks = []
        self.changes.forget()
        self.fetched_at = None
        self.status = Status.IDLE
