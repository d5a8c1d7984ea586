"""Server-side rules for a resource a user is about to write: who may write what, in whose name.

Administrative and reference resources (Patient demographics, Encounter, Practitioner,
PractitionerRole, Location, Organization) are never written through the API: the seed and
``mock-epj import`` are the administrator's path. The server stamps the writer (meta extension
last-modified-by) and the subscriber of a Subscription; the author of what is written (a note's
author, a message's sender, a list's keeper, a measurement's performer, a signature) is always
the logged-in user: a different one is refused (403), a missing one is filled in, and the display
name comes from the server, never the client. A clinical write needs a care relation to its
patient. Only its author changes a journal note, and a signed note is amended, never deleted.
Signing lab results is a Provenance (``check_provenance``): only a doctor records one, in their
own name, on versions of Observations of one patient, with the server's clock; it is never
changed or deleted, and the Observation itself is not touched. Doctors and nurses write; health workers
write vital signs (and their NEWS2 score), ward and nursing notes and messages; only a doctor
records a patient's SpO2 scale choice (NEWS2: a clinical decision maker's choice), keyed to that
patient. A new photo (Media) or transcription Task names the writer as operator or requester.
Tasks move along FHIR's state machine (a health worker moves only tasks given to them); an
Appointment is neither made nor deleted here and only changes between booked and arrived
(doctors and nurses register arrival; docs/worklists.md).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from mock_epj import dates
from mock_epj.context import Context
from mock_epj.errors import FhirError, forbidden, unprocessable
from mock_epj.guard import Guard
from mock_epj.searchparams import (
    AUDITOR_ONLY_TYPES,
    CLINICAL_TYPES,
    RESOURCES,
    ParamType,
    criteria_patients,
    index_rows,
    param_for,
    patient_of,
)
from mock_epj.store import Stored
from mock_epj.terminology import (
    EXT_LAST_MODIFIED_BY,
    EXT_PROVENANCE_PATIENT,
    EXT_SUBSCRIBER,
    OBSERVATION_CATEGORY,
    PROVENANCE_PARTICIPANT_TYPE,
    SNOMED,
    SNOMED_NEWS2_TOTAL,
    SPO2_SCALE_KEY,
)

WRITER_ROLES = ("doctor", "nurse")
# Who a new resource names as its maker: checked to be the writer (a dictation, a photo, a task).
HEALTH_WORKER = "health_worker"  # what each role may write: the app's domain/roles.py, docs/roles.md
HEALTH_WORKER_NOTE_TYPES = frozenset({"sykepleienotat"})  # DOMAIN.md: "a narrower set of note types"
HEALTH_WORKER_TYPES = frozenset({"Communication", "List", "Subscription"})  # messages, following, alerts
# Written by the administrator's path only (seed, mock-epj import): who works where, who the
# patients are and their stays are what the access rules are computed from.
ADMINISTRATIVE_TYPES = frozenset({"Patient", "Encounter", "Practitioner", "PractitionerRole", "Location",
                                  "Organization", "Schedule"})
# The element naming who wrote a resource, and whether it is a list. The writer must be the user.
AUTHOR_ELEMENTS: dict[str, tuple[str, bool]] = {
    "DocumentReference": ("author", True),
    "Flag": ("author", False),
    "Communication": ("sender", False),
    "List": ("source", False),
    "Observation": ("performer", True),
    "QuestionnaireResponse": ("author", False),
    "RiskAssessment": ("performer", False),
    "Media": ("operator", False),  # a clinical photo: who took it
    "Task": ("requester", False),  # a transcription task: who dictated
}
# Types whose author element may stay as stored when someone else updates the resource (a result
# keeps the lab as its performer); the others name whoever wrote this version.
_AUTHOR_KEPT_ON_UPDATE = frozenset({"Observation", "QuestionnaireResponse", "RiskAssessment", "Task"})
SIGNED_NOTE = ("final", "amended")  # DocumentReference.docStatus of a signed note


def is_vital_sign(resource: dict[str, Any] | None) -> bool:
    """A vital-sign Observation (category vital-signs) or a NEWS2 score."""
    if not resource or resource.get("resourceType") != "Observation":
        return False
    codings = [c for concept in resource.get("category", []) if isinstance(concept, dict)
               for c in concept.get("coding", []) if isinstance(c, dict)]
    if any(c.get("system") == OBSERVATION_CATEGORY and c.get("code") == "vital-signs" for c in codings):
        return True
    code = resource.get("code")
    return isinstance(code, dict) and any(
        isinstance(c, dict) and c.get("system") == SNOMED and c.get("code") == SNOMED_NEWS2_TOTAL
        for c in code.get("coding", []))


def _note_codes(resource: dict[str, Any], field: str) -> set[str]:
    concepts = resource.get(field)
    concepts = concepts if isinstance(concepts, list) else [concepts]
    return {str(c.get("code")) for concept in concepts if isinstance(concept, dict)
            for c in concept.get("coding", []) if isinstance(c, dict)}


def health_worker_may_write(resource: dict[str, Any] | None) -> bool:
    """What a health worker writes (DOMAIN.md): vital signs, ward notes (a ward-note Flag), nursing
    notes, messages, and their own following and notification subscriptions."""
    if not resource:
        return False
    type_ = resource.get("resourceType")
    if type_ in HEALTH_WORKER_TYPES or is_vital_sign(resource):
        return True
    if type_ == "Flag":
        return _scale_key(resource) is None and "ward-note" in _note_codes(resource, "category")
    if type_ == "DocumentReference":
        return bool(_note_codes(resource, "type")) and _note_codes(resource, "type") <= HEALTH_WORKER_NOTE_TYPES
    return False


def require_writer(ctx: Context, resource: dict[str, Any] | None = None,
                   current: dict[str, Any] | None = None) -> None:
    """Doctors and nurses change the record; health workers write vital signs, ward notes, nursing
    notes and messages (and change nothing else into one of those) and the status of tasks given
    to them; nobody else writes."""
    role = ctx.session.role
    if role in WRITER_ROLES:
        return
    if role == HEALTH_WORKER and health_worker_may_write(resource) and (
            current is None or health_worker_may_write(current)):
        return
    if role == HEALTH_WORKER and own_task_status_change(ctx, resource, current):
        return
    raise forbidden(f"A user with the role '{role}' may not change the record"
                    + (" other than by recording vital signs, ward and nursing notes and messages"
                       if role == HEALTH_WORKER else ""))


# ------------------------------------------------------------------ tasks and appointments (docs/worklists.md)

# FHIR's task state machine, as far as the work list moves a task: from each open status, where to.
# "rejected" hands back a task not yet started, "failed" one that was started.
TASK_MOVES: dict[str, frozenset[str]] = {
    "draft": frozenset({"requested", "cancelled"}),
    "requested": frozenset({"received", "accepted", "in-progress", "completed", "rejected", "cancelled"}),
    "received": frozenset({"accepted", "in-progress", "completed", "rejected", "cancelled"}),
    "ready": frozenset({"accepted", "in-progress", "completed", "rejected", "cancelled"}),
    "accepted": frozenset({"in-progress", "completed", "rejected", "cancelled"}),
    "in-progress": frozenset({"completed", "failed", "on-hold", "cancelled"}),
    "on-hold": frozenset({"in-progress", "completed", "failed", "cancelled"}),
}
# A task's status change may also set these (besides meta): why, and when.
_TASK_STATUS_ELEMENTS = frozenset({"status", "statusReason", "businessStatus", "lastModified", "meta"})
# Arrival is registered and undone on the appointment; everything else is booked in the
# hospital's appointment system, not through this API.
APPOINTMENT_MOVES: dict[str, frozenset[str]] = {
    "booked": frozenset({"arrived"}), "arrived": frozenset({"booked"}),
}


def _without(resource: dict[str, Any] | None, keys: frozenset[str]) -> dict[str, Any]:
    return {k: v for k, v in (resource or {}).items() if k not in keys}


def own_task_status_change(ctx: Context, resource: dict[str, Any] | None, current: dict[str, Any] | None) -> bool:
    """A change of nothing but the status (and its reason) of a task its owner is the user."""
    if not resource or not current or resource.get("resourceType") != "Task" or current.get("resourceType") != "Task":
        return False
    owner = current.get("owner")
    return (_ref(owner) == ctx.session.practitioner_ref
            and _without(resource, _TASK_STATUS_ELEMENTS) == _without(current, _TASK_STATUS_ELEMENTS))


def check_workflow_change(current: dict[str, Any] | None, resource: dict[str, Any] | None) -> None:
    """Tasks move only along FHIR's state machine (a finished task stays finished); appointments are
    neither made nor deleted through the API, and change only between booked and arrived.
    ``current`` None: a create; ``resource`` None: a delete."""
    type_ = (resource or current or {}).get("resourceType")
    if type_ == "Appointment":
        if current is None or resource is None:
            raise forbidden("Appointments are booked and cancelled in the hospital's appointment system;"
                            " through this API only arrival is registered (status booked <-> arrived)")
        before, after = str(current.get("status")), str(resource.get("status"))
        if _without(resource, frozenset({"status", "meta"})) != _without(current, frozenset({"status", "meta"})):
            raise unprocessable("Only an appointment's status may change through this API",
                                expression=["Appointment"])
        if before != after and after not in APPOINTMENT_MOVES.get(before, frozenset()):
            raise unprocessable(f"An appointment cannot go from '{before}' to '{after}' here: only booked"
                                " -> arrived and back (undo)", expression=["Appointment.status"])
    elif type_ == "Task" and current is not None and resource is not None:
        before, after = str(current.get("status")), str(resource.get("status"))
        if before != after and after not in TASK_MOVES.get(before, frozenset()):
            raise unprocessable(f"A task cannot go from '{before}' to '{after}'"
                                + (" (it is finished)" if before not in TASK_MOVES else ""),
                                expression=["Task.status"])


def _scale_key(resource: dict[str, Any]) -> str | None:
    """The patient a SpO2 scale Flag is keyed to (None: not a scale Flag)."""
    for identifier in resource.get("identifier", []):
        if isinstance(identifier, dict) and identifier.get("system") == SPO2_SCALE_KEY:
            return str(identifier.get("value", ""))
    return None


def refuse_administrative(type_: str) -> None:
    """Patients, stays, staff, roles, places and organisations are not written through the API."""
    if type_ in ADMINISTRATIVE_TYPES:
        raise forbidden(f"{type_} is administrative data: it is not created, changed or deleted through"
                        " this API (the administrator loads it with the seed or mock-epj import)")


def prepare(guard: Guard, ctx: Context, resource: dict[str, Any], acknowledgement: bool = False,
            current: dict[str, Any] | None = None) -> None:
    """Apply the rules to ``resource`` in place (``acknowledgement``: a recipient marking a message
    read, see ``is_acknowledgement``; ``current``: the stored version an update replaces)."""
    type_ = resource["resourceType"]
    me = {"reference": ctx.session.practitioner_ref, "display": ctx.session.name}
    refuse_administrative(type_)
    if type_ in AUDITOR_ONLY_TYPES:
        raise forbidden("Audit events are written by the server only")
    require_writer(ctx, resource, current)
    check_workflow_change(current, resource)
    if not acknowledgement:
        stamp_author(ctx, resource, current)
    if type_ == "Flag" and _scale_key(resource) is not None:
        if ctx.session.role != "doctor":
            raise forbidden("Only a doctor records a patient's NEWS2 SpO2 scale")
        subject = _ref(resource.get("subject"))
        if subject != f"Patient/{_scale_key(resource)}":
            raise FhirError(422, "processing", "A SpO2 scale Flag's identifier must name its own patient",
                            expression=["Flag.identifier"])
    if type_ == "Provenance":
        check_provenance(guard, ctx, resource)
    if type_ == "Subscription":
        followed = subscription_patients(str(resource.get("criteria", "")))
        for patient_id in followed:
            if not guard.patient_exists(patient_id):
                raise unprocessable(f"Patient/{patient_id} does not exist", expression=["Subscription.criteria"])
        for patient_id in followed:  # every patient it would notify about, not only the first
            guard.require_patient(ctx, patient_id, "create")
        resource["status"] = "active"
        others = [e for e in resource.get("extension", []) if e.get("url") != EXT_SUBSCRIBER]
        resource["extension"] = [*others, {"url": EXT_SUBSCRIBER, "valueReference": me}]
    if not ctx.conformant:  # the mock's own stamp: a strict server adds nothing to what is written
        meta = dict(resource.get("meta") or {})
        others = [e for e in meta.get("extension", []) if e.get("url") != EXT_LAST_MODIFIED_BY]
        meta["extension"] = [*others, {"url": EXT_LAST_MODIFIED_BY, "valueReference": me}]
        resource["meta"] = meta
    rows = index_rows(resource)
    patient = patient_of(resource, rows)
    owners = {ref for param, ref in rows[3] if param == "_owner"}
    if patient is not None and type_ in CLINICAL_TYPES and not acknowledgement:
        # Every patient the resource names (an Appointment may name several), not only the first.
        named = [ref.split("/", 1)[1] for param, ref in rows[3] if param == RESOURCES[type_].patient_param]
        for patient_id in dict.fromkeys([patient, *named]):
            if not guard.patient_exists(patient_id):
                raise FhirError(422, "processing", f"Patient/{patient_id} does not exist")
            guard.require_patient(ctx, patient_id, "create")
    elif RESOURCES[type_].owner_paths and ctx.session.practitioner_ref not in owners:
        raise forbidden(f"You must be among the people named in this {type_}")


def subscription_patients(criteria: str) -> list[str]:
    """The patients a Subscription's criteria follows; 422 unless it is an Observation search that
    names them only as ``patient=`` or ``subject=`` (``Patient/<id>`` or a bare id, commas and
    repeats allowed) beside parameters that reach no patient (category, code, status, ...): a
    chain, a modifier, ``_has`` or another reference could reach patients nobody checked."""
    problem = unprocessable("Subscription.criteria must be an Observation search naming its patients"
                            " as patient=Patient/<id>, e.g. Observation?patient=Patient/123&category=laboratory,"
                            " with no other references, chains or modifiers", expression=["Subscription.criteria"])
    type_, _, query = criteria.partition("?")
    if type_ != "Observation":
        raise problem
    ids: list[str] = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in ("patient", "subject"):
            for item in value.split(","):
                kind, _, id_ = item.strip().rpartition("/")
                if kind not in ("", "Patient") or not id_:
                    raise problem
                ids.append(id_)
            continue
        param = param_for("Observation", key)
        if param is None or param.type is ParamType.REFERENCE or key == "_id":
            raise problem
    if not ids or set(ids) != set(criteria_patients(criteria)):
        raise problem
    return list(dict.fromkeys(ids))


def stamp_author(ctx: Context, resource: dict[str, Any], current: dict[str, Any] | None) -> None:
    """The author element (AUTHOR_ELEMENTS) names the logged-in user, with the server's name for
    them: filled in when missing, refused (403) when it names anyone or anything else (another
    practitioner, a PractitionerRole, an absolute URL, a display without a reference). Some
    types may keep the stored author when someone else updates them (a result being signed)."""
    type_ = resource["resourceType"]
    if type_ not in AUTHOR_ELEMENTS:
        return
    element, many = AUTHOR_ELEMENTS[type_]
    me = {"reference": ctx.session.practitioner_ref, "display": ctx.session.name}
    value = resource.get(element)
    if value is None:
        if current is None or type_ not in _AUTHOR_KEPT_ON_UPDATE:
            resource[element] = [me] if many else me
        return
    if current is not None and type_ in _AUTHOR_KEPT_ON_UPDATE and value == current.get(element):
        return
    written = value if isinstance(value, list) else [value]
    if not written or any(not isinstance(ref, dict) or set(ref) - {"reference", "display"}
                          or ref.get("reference") != me["reference"] for ref in written):
        raise forbidden(f"{type_}.{element} must be you ({me['reference']}): you can only write in"
                        " your own name")
    resource[element] = [me] if many else me


def check_note_change(ctx: Context, current: dict[str, Any], resource: dict[str, Any] | None) -> None:
    """Only its author changes or deletes a journal note (``resource`` None: a delete); a signed
    note is amended (docStatus ``amended``, a new version), never deleted."""
    if current.get("resourceType") != "DocumentReference":
        return
    authors = {_ref(a) for a in current.get("author", []) if isinstance(a, dict)}
    if ctx.session.practitioner_ref not in authors:
        raise forbidden("Only its author changes or deletes a journal note; write a note of your own")
    if current.get("docStatus") not in SIGNED_NOTE:
        return
    if resource is None:
        raise forbidden("A signed journal note is never deleted: amend it (docStatus amended)")
    if resource.get("docStatus") != "amended":
        raise unprocessable("A signed journal note is changed only as an amendment: set docStatus to"
                            " 'amended'", expression=["DocumentReference.docStatus"])


def is_acknowledgement(ctx: Context, current: Stored, resource: dict[str, Any]) -> bool:
    """A recipient marking a message to them as read: an update of a Communication that names them
    as a recipient and changes nothing but ``received``. It needs no care relation to the patient
    the message is about, as reading the message needed none."""
    if current.type != "Communication":
        return False
    stored = current.resource()
    if ctx.session.practitioner_ref not in {_ref(r) for r in stored.get("recipient", [])}:
        return False
    ignored = ("meta", "received")
    return ({k: v for k, v in stored.items() if k not in ignored}
            == {k: v for k, v in resource.items() if k not in ignored})


def check_provenance(guard: Guard, ctx: Context, resource: dict[str, Any]) -> None:
    """A signature on lab results (a Provenance), in place: only a doctor records one; every agent
    (and signature) names the logged-in user (403 otherwise), with the server's name for them; the
    targets are existing Observations (``Observation/<id>/_history/<version>`` names the version
    signed) of one patient, to whom the user needs a care relation; ``recorded`` and each
    signature's ``when`` are the server's clock. The patient is stamped on it as the R5
    ``Provenance.patient`` extension, which puts it in that patient's record."""
    if ctx.session.role != "doctor":
        raise forbidden("Only a doctor signs lab results (records a Provenance)")
    me = {"reference": ctx.session.practitioner_ref, "display": ctx.session.name}
    agents = resource.get("agent")
    if not isinstance(agents, list) or not agents:
        raise unprocessable("A Provenance needs an agent: you", expression=["Provenance.agent"])
    signatures = resource.get("signature", [])
    for item in [*agents, *(signatures if isinstance(signatures, list) else [])]:
        who = item.get("who") if isinstance(item, dict) else None
        if not isinstance(who, dict) or set(who) - {"reference", "display"} or who.get("reference") != me["reference"]:
            raise forbidden(f"A Provenance's agent and signature must be you ({me['reference']}): you can only"
                            " sign in your own name")
        item["who"] = dict(me)
    now = dates.now_instant()
    resource["recorded"] = now
    for signature in signatures if isinstance(signatures, list) else []:
        signature["when"] = now
    for agent in agents:
        agent.setdefault("type", {"coding": [{"system": PROVENANCE_PARTICIPANT_TYPE, "code": "verifier"}]})
    patients = {_provenance_target_patient(guard, ctx, target) for target in resource.get("target", [])}
    if len(patients) != 1:
        raise unprocessable("A Provenance signs results of one patient: give one or more targets"
                            " (Observation/<id>/_history/<version>) of the same patient",
                            expression=["Provenance.target"])
    others = [e for e in resource.get("extension", [])
              if not (isinstance(e, dict) and e.get("url") == EXT_PROVENANCE_PATIENT)]
    resource["extension"] = [*others, {"url": EXT_PROVENANCE_PATIENT,
                                       "valueReference": {"reference": f"Patient/{patients.pop()}"}}]


def _provenance_target_patient(guard: Guard, ctx: Context, target: Any) -> str:
    """The patient of one target of a signature: 422 unless it is an Observation (a version of it
    that exists), 403 (audited) without a care relation to its patient."""
    reference = _ref(target)
    parts = reference.split("/")
    version = parts[3] if len(parts) == 4 and parts[2] == "_history" else None
    if len(parts) not in (2, 4) or (len(parts) == 4 and version is None) or parts[0] != "Observation":
        raise unprocessable(f"A signature's target must be a lab result, Observation/<id>/_history/<version>,"
                            f" not {reference!r}", expression=["Provenance.target"])
    stored = guard.store.read("Observation", parts[1])
    if stored is None or stored.deleted or stored.patient is None:
        raise unprocessable(f"{reference} does not exist", expression=["Provenance.target"])
    guard.require_patient(ctx, stored.patient, "create")
    if version is not None and (not version.isdigit()
                                or guard.store.vread("Observation", parts[1], int(version)) is None):
        raise unprocessable(f"{reference}: Observation/{parts[1]} has no version {version}",
                            expression=["Provenance.target"])
    return stored.patient


def refuse_provenance_change(type_: str) -> None:
    """A Provenance records what was done: it is never changed or deleted (403)."""
    if type_ == "Provenance":
        raise forbidden("A Provenance (a signature) records what was done: it is never changed or deleted;"
                        " a result changed after signing is signed again with a new Provenance")


def _ref(value: Any) -> str:
    return str(value.get("reference", "")) if isinstance(value, dict) else ""
