"""Through the day: tasks given to me or my ward, appointments in a book, and outpatient visits;
and the two writes they lead to (a task's status change, registering arrival), as the outbox
carries them. Pure: no I/O, no clock of its own. (An outpatient visit, ``Attendance``, lives beside
the stays in models.py.)

A task moves along FHIR's task state machine: accept (``accepted``), start (``in-progress``),
complete (``completed``), or hand back with a reason (``rejected`` before it was started,
``failed`` after). An appointment is registered as arrived (``arrived``) and can be put back to
``booked`` (undo).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, Field

from mobile_app.domain.models import Model
from mobile_app.domain.writing import Draft, FhirId, InputProblem, Problem, _now, new_client_id

OPEN_TASK_STATUSES = ("requested", "received", "accepted", "in-progress")
FINISHED_TASK_STATUSES = frozenset({"completed", "rejected", "failed", "cancelled", "entered-in-error"})
HAND_BACK_REASON_LIMIT = 500
UNDO_SECONDS = 10.0  # how long "Angre" is offered after registering arrival


class TaskAction(StrEnum):
    ACCEPT = "accept"
    START = "start"
    COMPLETE = "complete"
    HAND_BACK = "hand_back"


# What may be done from each open status, in the order offered.
_ACTIONS: dict[str, tuple[TaskAction, ...]] = {
    "requested": (TaskAction.ACCEPT, TaskAction.START, TaskAction.COMPLETE, TaskAction.HAND_BACK),
    "received": (TaskAction.ACCEPT, TaskAction.START, TaskAction.COMPLETE, TaskAction.HAND_BACK),
    "ready": (TaskAction.ACCEPT, TaskAction.START, TaskAction.COMPLETE, TaskAction.HAND_BACK),
    "accepted": (TaskAction.START, TaskAction.COMPLETE, TaskAction.HAND_BACK),
    "in-progress": (TaskAction.COMPLETE, TaskAction.HAND_BACK),
}


def task_actions(status: str) -> tuple[TaskAction, ...]:
    """What may be done with a task in ``status`` (nothing once it is finished)."""
    return _ACTIONS.get(status, ())


def status_after(action: TaskAction, status: str) -> str:
    """The FHIR Task.status an action moves a task in ``status`` to."""
    if action is TaskAction.HAND_BACK:
        return "failed" if status == "in-progress" else "rejected"
    return {TaskAction.ACCEPT: "accepted", TaskAction.START: "in-progress", TaskAction.COMPLETE: "completed"}[action]


class WorkTask(Model):
    """A task in a work list: what, for whom, by when, who asked, and the version seen."""

    id: str
    version: str | None = None
    status: str
    text: str
    patient_id: str | None = None
    patient_name: str | None = None
    patient_identifier: str | None = None
    due: datetime | None = None
    urgent: bool = False
    requester: str | None = None
    owner_id: str | None = None
    owner_name: str | None = None
    authored: datetime | None = None
    status_reason: str | None = None

    @property
    def open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    def overdue(self, now: datetime) -> bool:
        return self.open and self.due is not None and self.due < now

    def owned_by(self, practitioner_id: str | None) -> bool:
        return practitioner_id is not None and self.owner_id == practitioner_id


def sort_tasks(tasks: list[WorkTask], now: datetime) -> list[WorkTask]:
    """Open tasks first: overdue, then urgent, then by due time (none last); finished ones after."""
    far = datetime.max.replace(tzinfo=now.tzinfo)
    return sorted(tasks, key=lambda t: (not t.open, not t.overdue(now), not t.urgent, t.due or far, t.id))


class Appointment(Model):
    """A row of an appointment book. ``reason`` is None when the book is a colleague's and the
    patient is not mine (the EPJ shows when and whom, not why)."""

    id: str
    version: str | None = None
    status: str
    start: datetime | None = None
    end: datetime | None = None
    patient_id: str | None = None
    patient_name: str | None = None
    patient_identifier: str | None = None
    practitioner_id: str | None = None
    practitioner_name: str | None = None
    location: str | None = None  # the clinic (or ward) it is at
    kind: str | None = None  # appointmentType: "Poliklinisk kontroll", "Ny henvisning", ...
    service: str | None = None  # serviceType
    reason: str | None = None
    subsetted: bool = False

    @property
    def may_arrive(self) -> bool:
        return self.status == "booked" and self.patient_id is not None

    @property
    def arrived(self) -> bool:
        return self.status == "arrived"


class BookOwner(Model):
    """Whose book: a practitioner or a clinic (a Location)."""

    kind: Literal["Practitioner", "Location"]
    id: str
    name: str
    detail: str | None = None  # a colleague's wards; a clinic's "Poliklinikk"

    @property
    def reference(self) -> str:
        return f"{self.kind}/{self.id}"


# ------------------------------------------------------------------ writes


class TaskStatusDraft(Draft):
    """Move a task to ``status`` from the version the author saw; ``reason`` when handing it back."""

    kind: Literal["task-status"] = "task-status"
    client_id: str = Field(default_factory=new_client_id)
    task_id: FhirId
    version: str | None = None
    status: str
    reason: str | None = None
    patient_id: FhirId | None = None
    author_id: FhirId
    author_name: str | None = None
    patient_name: str | None = None  # for showing the outbox item; not sent
    task_text: str = ""  # for showing the outbox item; not sent
    created: AwareDatetime = Field(default_factory=_now)


class ArrivalDraft(Draft):
    """Register a patient as arrived for an appointment (``arrived`` False: undo it)."""

    kind: Literal["arrival"] = "arrival"
    client_id: str = Field(default_factory=new_client_id)
    appointment_id: FhirId
    version: str | None = None
    arrived: bool = True
    patient_id: FhirId | None = None
    author_id: FhirId
    author_name: str | None = None
    patient_name: str | None = None  # for showing the outbox item; not sent
    start: AwareDatetime | None = None  # for showing the outbox item; not sent
    created: AwareDatetime = Field(default_factory=_now)

    @property
    def status(self) -> str:
        return "arrived" if self.arrived else "booked"


WorklistDraft = TaskStatusDraft | ArrivalDraft


def worklist_problems(draft: WorklistDraft) -> list[InputProblem]:
    """A hand-back needs its reason (the one who asked reads it); a reason has a limit."""
    if not isinstance(draft, TaskStatusDraft):
        return []
    reason = draft.reason or ""
    if draft.status in ("rejected", "failed") and not reason.strip():
        return [InputProblem(field="reason", problem=Problem.EMPTY)]
    if len(reason) > HAND_BACK_REASON_LIMIT:
        return [InputProblem(field="reason", problem=Problem.TOO_LONG, limit=HAND_BACK_REASON_LIMIT,
                             length=len(reason))]
    return []
