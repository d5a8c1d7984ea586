"""The work-list half of the fake EPJ client: tasks and appointments kept in memory with versions,
changed with the real client's rules (a stale version is a Conflict naming who changed it; a
finished task stays finished); ``FakeClient`` mixes it in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from mobile_app.domain import hospital_time
from mobile_app.domain.worklists import Appointment, ArrivalDraft, BookOwner, TaskStatusDraft, WorkTask
from mobile_app.epj.errors import Conflict, EpjError, InvalidRequest

NOW = datetime.now(UTC)


def work_task(task_id: str, status: str = "requested", *, patient_id: str = "p1", due_in_hours: float = 2,
              owner_id: str = "prac-001", text: str = "Vurder dagens blodprøvesvar", urgent: bool = False) -> WorkTask:
    return WorkTask(id=task_id, version="1", status=status, text=text, patient_id=patient_id,
                    patient_name="Kari Nordmann", patient_identifier="04835012345",
                    due=datetime.now(UTC) + timedelta(hours=due_in_hours), urgent=urgent,
                    requester="Jonas Berg", owner_id=owner_id, owner_name="Kari Nordmann",
                    authored=datetime.now(UTC) - timedelta(hours=3))


def booked(appointment_id: str, hour: int = 10, *, patient_id: str = "p1", practitioner_id: str = "prac-001",
           day: date | None = None, status: str = "booked") -> Appointment:
    start = datetime.combine(day or hospital_time.local_date(datetime.now(UTC)), datetime.min.time(),
                             tzinfo=hospital_time.zone()).replace(hour=hour)
    return Appointment(id=appointment_id, version="1", status=status, start=start, end=start + timedelta(minutes=30),
                       patient_id=patient_id, patient_name="Kari Nordmann", patient_identifier="04835012345",
                       practitioner_id=practitioner_id, practitioner_name="Kari Nordmann",
                       location="Medisinsk poliklinikk", kind="Poliklinisk kontroll",
                       service="Medisinsk poliklinikk", reason="Kontroll etter pneumoni")


_MOVES = {"requested": {"received", "accepted", "in-progress", "completed", "rejected"},
          "received": {"accepted", "in-progress", "completed", "rejected"},
          "accepted": {"in-progress", "completed", "rejected"},
          "in-progress": {"completed", "failed"}}


class WorklistFakes:
    write_fail: EpjError | None

    def _init_worklists(self) -> None:
        self.tasks: dict[str, WorkTask] = {t.id: t for t in (
            work_task("t1", "requested", due_in_hours=-1, urgent=True), work_task("t2", "in-progress"),
            work_task("t3", "accepted", owner_id="prac-009", text="Bestill transport hjem"))}
        self.appointments: dict[str, Appointment] = {a.id: a for a in (
            booked("a1", 9), booked("a2", 11), booked("a3", 13, practitioner_id="prac-002", patient_id="p2"))}
        self.task_changes: list[TaskStatusDraft] = []  # every change stored (a retry stores nothing)
        self.arrivals: list[ArrivalDraft] = []
        self.changed_by: str | None = None  # who "someone else" is in a conflict (None: not said)

    async def _call(self, name: str, arg: Any) -> None:  # provided by FakeClient
        raise NotImplementedError

    def _write_failure(self) -> None:  # provided by WriteFakes
        raise NotImplementedError

    def someone_changes_task(self, task_id: str, status: str) -> None:
        task = self.tasks[task_id]
        self.tasks[task_id] = task.model_copy(update={"status": status, "version": str(int(task.version or 0) + 1)})

    async def my_tasks(self, practitioner_id: str) -> list[WorkTask]:
        await self._call("my_tasks", practitioner_id)
        return [t for t in self.tasks.values() if t.open and t.owner_id == practitioner_id]

    async def ward_tasks(self, ward_id: str) -> list[WorkTask]:
        await self._call("ward_tasks", ward_id)
        return [t for t in self.tasks.values() if t.open]

    async def change_task_status(self, draft: TaskStatusDraft) -> WorkTask:
        await self._call("change_task_status", draft.task_id)
        self._write_failure()
        task = self.tasks[draft.task_id]
        if task.status == draft.status and any(c.client_id == draft.client_id for c in self.task_changes):
            return task  # an earlier try got through
        if draft.version != task.version:
            raise Conflict(f"Task/{task.id} was changed", 412, changed_by=self.changed_by, current_version=task.version)
        if draft.status not in _MOVES.get(task.status, set()):
            raise InvalidRequest(f"A task cannot go from {task.status} to {draft.status}", 422)
        self.task_changes.append(draft)
        stored = task.model_copy(update={"status": draft.status, "version": str(int(task.version or 0) + 1),
                                         "status_reason": draft.reason})
        self.tasks[task.id] = stored
        return stored.model_copy(update={"patient_name": None, "patient_identifier": None})  # no _include

    async def appointment_book(self, owner: BookOwner, day: date) -> list[Appointment]:
        await self._call("appointment_book", (owner.reference, day))
        found = [a for a in self.appointments.values()
                 if a.start is not None and hospital_time.local_date(a.start) == day
                 and (owner.kind == "Location" or a.practitioner_id == owner.id)]
        if owner.kind == "Practitioner" and owner.id != "prac-001":  # a colleague's: not why
            found = [a.model_copy(update={"reason": None, "subsetted": True}) for a in found]
        return sorted(found, key=lambda a: a.start or NOW)

    async def find_books(self, text: str) -> list[BookOwner]:
        await self._call("find_books", text)
        known = [BookOwner(kind="Location", id="clinic-med", name="Medisinsk poliklinikk", detail="Poliklinikk"),
                 BookOwner(kind="Practitioner", id="prac-002", name="Jonas Berg", detail="Kirurgisk sengepost")]
        words = text.lower().split()
        return [b for b in known if all(any(part.startswith(w) for part in b.name.lower().split()) for w in words)]

    async def register_arrival(self, draft: ArrivalDraft) -> Appointment:
        await self._call("register_arrival", draft.appointment_id)
        self._write_failure()
        appointment = self.appointments[draft.appointment_id]
        if appointment.status == draft.status:
            return appointment
        self.arrivals.append(draft)
        stored = appointment.model_copy(update={"status": draft.status,
                                                "version": str(int(appointment.version or 0) + 1)})
        self.appointments[appointment.id] = stored
        return stored.model_copy(update={"patient_name": None, "patient_identifier": None})  # no _include
