"""Tasks, appointment books and arrivals over standard FHIR R4 searches and conditional updates
(docs/worklists.md).

- My tasks: ``Task?owner=Practitioner/<me>&status=<open>&_include=Task:patient`` (one round trip).
- My ward's tasks: the ward's current stays, then ``Task?patient=<their ids>&status=<open>`` (two).
- A book for a day: ``Appointment?practitioner=|location=<whose>&date=ge<day>&date=lt<next day>
  &_include=Appointment:patient&_sort=date`` (one).
- Whose book: practitioners by name and clinics (``Location?type=<RoleCode OF>&name=``) in one batch.
- A status change (a task's, an arrival and its undo): read the resource, check it is the version
  the user saw, and ``PUT`` it with ``If-Match``. A try after a lost answer finds the change made
  (the status is there, saved by the same user) and stops: the change is made once. Anyone else's
  change in between is a Conflict naming them (when the EPJ says who).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from mobile_app.domain import hospital_time
from mobile_app.domain.worklists import (
    OPEN_TASK_STATUSES,
    Appointment,
    ArrivalDraft,
    BookOwner,
    TaskStatusDraft,
    WorkTask,
)
from mobile_app.epj import fhir, worklist_mapping, write_mapping
from mobile_app.epj.errors import Conflict
from mobile_app.epj.fhir import JSON
from mobile_app.epj.transport import SEARCH_LIMIT, FhirTransport, readable, search_instant, search_url

OPEN = ",".join(OPEN_TASK_STATUSES)


async def my_tasks(http: FhirTransport, practitioner_id: str) -> list[WorkTask]:
    bundle = await http.search("Task", ("owner", f"Practitioner/{practitioner_id}"), ("status", OPEN),
                               ("_include", "Task:patient"), ("_count", SEARCH_LIMIT))
    with readable("tasks"):
        return worklist_mapping.tasks(bundle)


async def ward_tasks(http: FhirTransport, ward_id: str) -> list[WorkTask]:
    """Open tasks for the patients staying on the ward, whoever owns them."""
    stays = await http.search("Encounter", ("location", f"Location/{ward_id}"), ("status", "in-progress"),
                              ("_elements", "subject"), ("_count", SEARCH_LIMIT))
    with readable("stays"):
        patients = sorted({p for e in fhir.of_type(stays, "Encounter", "match")
                           if (p := fhir.reference_id(fhir.obj(e, "subject"), "Patient"))})
    if not patients:
        return []
    bundle = await http.search("Task", ("patient", ",".join(patients)), ("status", OPEN),
                               ("_include", "Task:patient"), ("_count", SEARCH_LIMIT))
    with readable("tasks"):
        return worklist_mapping.tasks(bundle)


def day_bounds(day: date) -> tuple[str, str]:
    """The hospital's calendar day as search instants [start, next day's start)."""
    zone = hospital_time.zone()
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return search_instant(start.astimezone(UTC)), search_instant(end.astimezone(UTC))


async def book(http: FhirTransport, owner: BookOwner, day: date) -> list[Appointment]:
    start, end = day_bounds(day)
    by = "practitioner" if owner.kind == "Practitioner" else "location"
    bundle = await http.search("Appointment", (by, owner.reference), ("date", f"ge{start}"), ("date", f"lt{end}"),
                               ("_include", "Appointment:patient"), ("_sort", "date"), ("_count", SEARCH_LIMIT))
    with readable("appointments"):
        return worklist_mapping.appointments(bundle)


async def find_books(http: FhirTransport, text: str, limit: int = 20) -> list[BookOwner]:
    """Colleagues and clinics whose names start with the words typed, in one batch."""
    words = [("name", word) for word in text.split()]
    if not words:
        return []
    entries, _ = await http.batch([
        search_url("Practitioner", *words, ("_revinclude", "PractitionerRole:practitioner"), ("_sort", "family"),
                   ("_count", limit)),
        search_url("Location", ("type", worklist_mapping.CLINIC_TYPE), *words, ("_count", limit)),
    ])
    people, places = (entry.bundle() for entry in entries)
    with readable("colleagues and clinics"):
        return [*worklist_mapping.clinics(places),
                *worklist_mapping.colleague_books(write_mapping.colleagues(people))]


# ------------------------------------------------------------------ status changes


async def _read(http: FhirTransport, resource_type: str, resource_id: str, patient_id: str | None) -> JSON:
    response = await http.request("GET", f"{http.base_url}/{resource_type}/{resource_id}", patient_id=patient_id)
    return http.resource(response, resource_type)


async def _change_status(http: FhirTransport, resource_type: str, resource_id: str, seen: str | None,
                         status: str, author_id: str, patient_id: str | None, *, reason: str | None = None) -> JSON:
    """Read, check the version seen, PUT with If-Match; a lost answer's retry stops at the read.
    A newer version the author saved themselves (an arrival before its undo) is no conflict."""
    current = await _read(http, resource_type, resource_id, patient_id)
    for attempt in range(2):
        if worklist_mapping.already_done(current, status, author_id, seen):
            return current
        if current.get("status") == status and (seen is None or fhir.version_id(current) == seen):
            return current  # nothing to change (an undo of an arrival that was never sent)
        mine = worklist_mapping.modified_by_ref(current) == f"Practitioner/{author_id}"
        if seen is not None and fhir.version_id(current) != seen and not mine:
            raise write_mapping.conflict_with(current)
        if resource_type == "Task":
            body = worklist_mapping.with_task_status(current, status, reason, datetime.now(UTC))
        else:
            body = worklist_mapping.with_appointment_status(current, status)
        version = fhir.version_id(current)
        try:
            response = await http.request("PUT", f"{http.base_url}/{resource_type}/{resource_id}", body=body,
                                          headers={"If-Match": f'W/"{version}"'} if version else None,
                                          patient_id=patient_id)
        except Conflict as conflict:  # someone saved between the read and the write
            current = await _read(http, resource_type, resource_id, patient_id)
            if attempt or not worklist_mapping.already_done(current, status, author_id, version):
                raise write_mapping.conflict_with(current) from conflict
            continue
        return http.resource(response, resource_type) if response.content else await _read(
            http, resource_type, resource_id, patient_id)
    raise write_mapping.conflict_with(current)


async def change_task_status(http: FhirTransport, draft: TaskStatusDraft) -> WorkTask:
    stored = await _change_status(http, "Task", draft.task_id, draft.version, draft.status, draft.author_id,
                                  draft.patient_id, reason=draft.reason)
    with readable("task"):
        return worklist_mapping.task(stored)


async def register_arrival(http: FhirTransport, draft: ArrivalDraft) -> Appointment:
    stored = await _change_status(http, "Appointment", draft.appointment_id, draft.version, draft.status,
                                  draft.author_id, draft.patient_id)
    with readable("appointment"):
        return worklist_mapping.appointment(stored)
