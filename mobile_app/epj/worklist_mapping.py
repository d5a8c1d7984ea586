"""FHIR JSON to the work lists' domain models and back: Task, Appointment, Schedule owners,
outpatient Encounters; and the bodies of a task's status change and an arrival (docs/worklists.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from mobile_app.domain.models import OUTPATIENT_CLASSES, Attendance, Colleague, Stay
from mobile_app.domain.worklists import Appointment, BookOwner, WorkTask
from mobile_app.epj import fhir, mapping
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms
from mobile_app.epj.write_mapping import instant

_URGENT = frozenset({"urgent", "asap", "stat"})
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CLINIC_TYPE = f"{ROLE_CODE}|OF"  # Location.type of an outpatient clinic ("outpatient facility")


def _patients(resources: Iterable[JSON]) -> dict[str, JSON]:
    return {str(p.get("id", "")): p for p in resources if p.get("resourceType") == "Patient"}


def _patient_facts(reference: JSON, patients: Mapping[str, JSON]) -> tuple[str | None, str | None, str | None]:
    """(id, name, identifier) of the patient a reference names, from the included Patient."""
    patient_id = fhir.reference_id(reference, "Patient")
    patient = patients.get(patient_id or "")
    if patient is None:
        return patient_id, fhir.display(reference), None
    summary = mapping.patient_summary(patient)
    return patient_id, summary.name, summary.identifier


def task(resource: JSON, patients: Mapping[str, JSON] | None = None) -> WorkTask:
    patient_id, name, identifier = _patient_facts(fhir.obj(resource, "for"), patients or {})
    owner = fhir.obj(resource, "owner")
    return WorkTask(
        id=str(resource.get("id", "")), version=fhir.version_id(resource),
        status=fhir.text(resource, "status") or "unknown",
        text=fhir.first([fhir.text(resource, "description"), fhir.concept_text(fhir.obj(resource, "code"))]) or "",
        patient_id=patient_id, patient_name=name, patient_identifier=identifier,
        due=fhir.parse_instant(fhir.obj(fhir.obj(resource, "restriction"), "period").get("end"))
        or fhir.parse_instant(fhir.obj(resource, "executionPeriod").get("end")),
        urgent=resource.get("priority") in _URGENT,
        requester=fhir.display(fhir.obj(resource, "requester")),
        owner_id=fhir.reference_id(owner, "Practitioner"), owner_name=fhir.display(owner),
        authored=fhir.parse_instant(resource.get("authoredOn")),
        status_reason=fhir.concept_text(fhir.obj(resource, "statusReason")),
    )


def tasks(bundle: JSON) -> list[WorkTask]:
    """The matches of a Task searchset (with ``_include=Task:patient``)."""
    patients = _patients(fhir.of_type(bundle, "Patient"))
    return [task(r, patients) for r in fhir.of_type(bundle, "Task", "match")]


def appointment(resource: JSON, patients: Mapping[str, JSON] | None = None) -> Appointment:
    actors = [fhir.obj(p, "actor") for p in fhir.objects(resource, "participant")]
    patient_ref = next((a for a in actors if fhir.reference_id(a, "Patient")), {})
    practitioner = next((a for a in actors if fhir.reference_id(a, "Practitioner")), {})
    place = next((a for a in actors if fhir.reference_id(a, "Location")), {})
    patient_id, name, identifier = _patient_facts(patient_ref, patients or {})
    services = [fhir.concept_text(c) for c in fhir.objects(resource, "serviceType")]
    return Appointment(
        id=str(resource.get("id", "")), version=fhir.version_id(resource),
        status=fhir.text(resource, "status") or "unknown",
        start=fhir.parse_instant(resource.get("start")), end=fhir.parse_instant(resource.get("end")),
        patient_id=patient_id, patient_name=name, patient_identifier=identifier,
        practitioner_id=fhir.reference_id(practitioner, "Practitioner"), practitioner_name=fhir.display(practitioner),
        location=fhir.display(place) or fhir.first(services),
        kind=fhir.concept_text(fhir.obj(resource, "appointmentType")),
        service=fhir.first(services),
        reason=fhir.first([fhir.text(resource, "description"),
                           *(fhir.concept_text(c) for c in fhir.objects(resource, "reasonCode"))]),
        subsetted=fhir.is_subsetted(resource),
    )


def appointments(bundle: JSON) -> list[Appointment]:
    """The matches of an Appointment searchset, by start time (with ``_include=Appointment:patient``)."""
    patients = _patients(fhir.of_type(bundle, "Patient"))
    found = [appointment(r, patients) for r in fhir.of_type(bundle, "Appointment", "match")]
    return sorted(found, key=lambda a: (a.start is None, a.start.timestamp() if a.start else 0.0, a.id))


def clinics(bundle: JSON) -> list[BookOwner]:
    return [BookOwner(kind="Location", id=str(r.get("id", "")), name=fhir.text(r, "name") or str(r.get("id", "")),
                      detail=fhir.first(fhir.concept_text(c) for c in fhir.objects(r, "type")))
            for r in fhir.of_type(bundle, "Location", "match") if r.get("status", "active") == "active"]


def colleague_books(found: Iterable[Colleague]) -> list[BookOwner]:
    return [BookOwner(kind="Practitioner", id=c.id, name=c.name, detail=", ".join(c.wards) or None) for c in found]


def attendances(stays: Iterable[Stay]) -> list[Attendance]:
    """The outpatient visits among a patient's encounters (newest first, as given)."""
    return [Attendance(id=s.id, status=s.status, start=s.start, end=s.end, clinic=s.ward_name, kind=s.kind_text,
                       responsible=s.responsible)
            for s in stays if s.kind in OUTPATIENT_CLASSES]


# ------------------------------------------------------------------ writes


def modified_by_ref(resource: JSON) -> str | None:
    """The reference of whoever saved this version (the mock's meta extension ``last_modified_by``
    of the terminology profile: a server's extra, a plain FHIR server says nothing), if the server says."""
    for extension in fhir.objects(fhir.obj(resource, "meta"), "extension"):
        if extension.get("url") == terms().extensions.last_modified_by:
            return fhir.text(fhir.obj(extension, "valueReference"), "reference")
    return None


def already_done(current: JSON, status: str, author_id: str, seen: str | None = None) -> bool:
    """Whether the resource already has ``status`` by this change: an earlier try got through and
    its answer was lost. Saved by the author, where the server says who; where it does not (a plain
    FHIR server), the version right after the one the user saw, with the status asked for."""
    if current.get("status") != status:
        return False
    if modified_by_ref(current) == f"Practitioner/{author_id}":
        return True
    version = fhir.version_id(current)
    return bool(seen and version and seen.isdigit() and version.isdigit() and int(version) == int(seen) + 1)


def with_task_status(current: JSON, status: str, reason: str | None, at: datetime) -> JSON:
    """The Task as read, moved to ``status`` (with the reason, when handing it back)."""
    body = {k: v for k, v in current.items() if k not in ("meta", "statusReason")}
    body |= {"status": status, "lastModified": instant(at)}
    if reason:
        body["statusReason"] = {"text": reason}
    return body


def with_appointment_status(current: JSON, status: str) -> JSON:
    return {**{k: v for k, v in current.items() if k != "meta"}, "status": status}
