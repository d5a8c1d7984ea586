"""Writing to the record: journal notes, own and ward notes, internal messages, read receipts.

Every write can be sent again after a lost answer without making a second copy:

- a new resource is a conditional create (``If-None-Exist`` on its identifier). When the server
  already holds it (an earlier try got through) it returns that copy; if the copy says something
  else (the author edited it in the outbox meanwhile) it is updated with ``If-Match`` on the
  version just returned;
- an edit of a known version is an update with ``If-Match``. When that answers 412 the note is
  read again: a version made by this same write (its write id) or one that already says the same
  is success; anything else is a Conflict saying who saved the newer version and when, from
  standard data only (the version's ``meta.lastUpdated``, its Provenance where the EPJ has any, a
  note's author), never from the wording of the server's 412: "someone else" when it says nothing.

Input is checked before anything is sent (``check_input`` raises InputRejected). The functions
take the FhirTransport (transport.py), the one HTTP path, so errors map as for every other request.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime

import httpx

from mobile_app.domain.media import DictationDraft, PhotoDraft, media_problems
from mobile_app.domain.models import Colleague, DocumentSummary, Message, NoteItem
from mobile_app.domain.recording import Payload, RecordingDraft, recording_problems
from mobile_app.domain.worklists import ArrivalDraft, TaskStatusDraft, worklist_problems
from mobile_app.domain.writing import (
    MessageDraft,
    NoteDraft,
    PatientNoteDraft,
    input_problems,
)
from mobile_app.epj import fhir, responses, write_mapping
from mobile_app.epj.errors import BadResponse, Conflict, InputRejected
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms
from mobile_app.epj.transport import SEARCH_LIMIT, FhirTransport, readable, search_url
from mobile_app.epj.write_mapping import OwnAndWardNotes

_MAX_PAGES = 10  # a ward's notes fit in one page; this only guards against a server that loops


def check_input(draft: Payload) -> None:
    """Raise InputRejected for the first thing wrong with a draft (empty, too long, unknown type; a
    registration with an impossible or unconfirmed value, or one that contradicts itself)."""
    if isinstance(draft, DictationDraft | PhotoDraft):
        found = media_problems(draft)
    elif isinstance(draft, TaskStatusDraft | ArrivalDraft):
        found = worklist_problems(draft)
    elif isinstance(draft, RecordingDraft):
        found = recording_problems(draft)
    else:
        found = input_problems(draft)
    for problem in found:
        raise InputRejected(problem.message, field=problem.field, reason=str(problem.problem),
                            limit=problem.limit, length=problem.length)


# ------------------------------------------------------------------ HTTP steps


async def _resource_of(http: FhirTransport, response: httpx.Response, resource_type: str) -> JSON:
    """The resource a write answered with (read from ``Location`` when the body was left out)."""
    if response.content:
        return http.resource(response, resource_type)
    location = response.headers.get("location")
    if not location:
        raise BadResponse(f"The EPJ stored the {resource_type} but said neither what nor where")
    url = location.split("/_history/")[0]
    if not url.startswith("http"):
        url = f"{http.base_url}/{url.lstrip('/')}"
    return http.resource(await http.request("GET", url), resource_type)


async def _create(http: FhirTransport, body: JSON, if_none_exist: str,
                  patient_id: str | None) -> tuple[bool, JSON]:
    """Conditional create: (True, the new resource) or (False, the copy the server already had)."""
    resource_type = str(body["resourceType"])
    response = await http.request("POST", f"{http.base_url}/{resource_type}", body=body,
                                  headers={"If-None-Exist": if_none_exist}, patient_id=patient_id)
    return response.status_code == 201, await _resource_of(http, response, resource_type)


async def _update(http: FhirTransport, body: JSON, resource_id: str, version: str | None,
                  patient_id: str | None) -> JSON:
    resource_type = str(body["resourceType"])
    headers = {"If-Match": f'W/"{version}"'} if version else None
    response = await http.request("PUT", f"{http.base_url}/{resource_type}/{resource_id}",
                                  body={**body, "id": resource_id}, headers=headers, patient_id=patient_id)
    return await _resource_of(http, response, resource_type)


async def _current(http: FhirTransport, resource_type: str, resource_id: str,
                   patient_id: str | None) -> tuple[JSON, list[JSON]]:
    """After a 412: the version now on the server and the Provenance about it (standard data on who
    saved it, where the EPJ keeps any; a server without Provenance answers that entry with an error,
    which is no Provenance), in one batch."""
    key = f"{resource_type}/{resource_id}"
    entries, _ = await http.batch([key, search_url("Provenance", ("target", key), ("_count", SEARCH_LIMIT))],
                                  patient_id=patient_id)
    current = responses.resource(entries[0].raise_for_status(patient_id), resource_type)
    provenances = fhir.of_type(entries[1].resource or {}, "Provenance", "match") if entries[1].status < 300 else []
    return current, provenances


async def _update_known(http: FhirTransport, body: JSON, current: JSON, patient_id: str | None) -> JSON:
    """Update ``current`` (just read) with ``body``; a 412 now means someone else saved in between."""
    try:
        return await _update(http, body, str(current["id"]), fhir.version_id(current), patient_id)
    except Conflict as conflict:
        fresh, provenances = await _current(http, str(body["resourceType"]), str(current["id"]), patient_id)
        raise write_mapping.conflict_with(fresh, conflict.detail, provenances) from conflict


# ------------------------------------------------------------------ journal notes


async def save_note(http: FhirTransport, draft: NoteDraft) -> DocumentSummary:
    """Create the note, or bring the note with this client id up to date (draft saved again, or
    signed). A signed note that is changed becomes ``amended``."""
    check_input(draft)
    body = write_mapping.document_reference(draft)
    created, stored = await _create(http, body, write_mapping.client_id_query(draft.client_id),
                                    draft.patient_id)
    with readable():
        if created or write_mapping.same_note(stored, draft):
            return write_mapping.document_summary(stored)
    if not write_mapping.written_by(stored, draft.author_id):
        raise write_mapping.conflict_with(stored, "Another author's note has this identifier")
    amend = write_mapping.is_signed(stored)
    updated = await _update_known(http, write_mapping.document_reference(draft, amend=amend), stored,
                                  draft.patient_id)
    with readable():
        return write_mapping.document_summary(updated)


# ------------------------------------------------------------------ own and ward notes


async def patient_notes(http: FhirTransport, patient_id: str, me: str | None) -> OwnAndWardNotes:
    """My (``me``: a practitioner id) own note and the ward note on a patient, in one request of the
    patient's Flags (FHIR R4 Flag has no category or status search parameter: the app picks the
    active notes itself, and another's own note is never shown, whatever the server sends).
    AccessDenied without a care relation."""
    bundle = await http.search("Flag", ("patient", patient_id), ("_count", SEARCH_LIMIT))
    flags = fhir.of_type(bundle, "Flag", "match")
    async for page in http.pages(bundle, limit=_MAX_PAGES, patient_id=patient_id):
        flags.extend(fhir.of_type(page, "Flag", "match"))
    with readable():
        return write_mapping.own_and_ward_notes(flags, me)


async def ward_notes(http: FhirTransport, patient_ids: Collection[str] | None = None) -> dict[str, NoteItem]:
    """The ward notes of my patients by patient id, in one request: the access rules limit a search
    that names no patient to the patients I have a care relation with (my wards' patients).
    ``patient_ids`` keeps only those (e.g. the beds of the ward list on screen)."""
    bundle = await http.search("Flag", ("identifier", f"{terms().identifier_systems.ward_note}|"),
                               ("_count", SEARCH_LIMIT))
    flags = fhir.of_type(bundle, "Flag", "match")
    async for page in http.pages(bundle, limit=_MAX_PAGES):
        flags.extend(fhir.of_type(page, "Flag", "match"))
    with readable():
        notes = write_mapping.ward_notes_by_patient(flags)
    if patient_ids is not None:
        wanted = set(patient_ids)
        notes = {patient: note for patient, note in notes.items() if patient in wanted}
    return notes


async def save_patient_note(http: FhirTransport, draft: PatientNoteDraft, write_id: str | None = None) -> NoteItem:
    """Save an own or ward note. ``write_id`` names this save (the outbox item's id) so that a try
    after a lost answer recognises its own earlier version. Conflict when someone else saved a
    version the author had not seen."""
    check_input(draft)
    write_id = write_id or str(uuid.uuid4())
    body = write_mapping.patient_note_flag(draft, write_id)
    provenances: list[JSON] = []
    if draft.note_id and draft.version:
        try:
            stored = await _update(http, body, draft.note_id, draft.version, draft.patient_id)
        except Conflict:
            current, provenances = await _current(http, "Flag", draft.note_id, draft.patient_id)
        else:
            with readable():
                return write_mapping.stored_note_item(stored)
    else:
        created, current = await _create(http, body, write_mapping.identifier_query(*write_mapping.note_key(draft)),
                                         draft.patient_id)
        if created:
            with readable():
                return write_mapping.stored_note_item(current)
    with readable():
        existing = write_mapping.note_item(current)
    if existing is not None and existing.text == draft.text:
        return existing  # an earlier try got through, or someone wrote the very same
    ours = write_mapping.written_in(current, write_id) or (
        draft.version is not None and fhir.version_id(current) == draft.version)
    if not ours:
        raise write_mapping.conflict_with(current, provenances=provenances)
    updated = await _update_known(http, body, current, draft.patient_id)
    with readable():
        return write_mapping.stored_note_item(updated)


# ------------------------------------------------------------------ messages and colleagues


async def search_practitioners(http: FhirTransport, name: str, limit: int = 20) -> list[Colleague]:
    """Colleagues whose names start with the words typed, with role and wards (one request)."""
    words = [("name", word) for word in name.split()]
    if not words:
        return []
    bundle = await http.search("Practitioner", *words, ("_revinclude", "PractitionerRole:practitioner"),
                               ("_sort", "family"), ("_count", limit))
    with readable():
        return write_mapping.colleagues(bundle)


async def send_message(http: FhirTransport, draft: MessageDraft) -> Message:
    """Send an internal message once, whatever the network does (conditional create on its client
    id). AccessDenied when it is about a patient the author has no care relation to."""
    check_input(draft)
    body = write_mapping.communication(draft, datetime.now(UTC))
    created, stored = await _create(http, body, write_mapping.client_id_query(draft.client_id),
                                    draft.about_patient_id)
    with readable():
        if created or write_mapping.same_message(stored, draft):
            return write_mapping.message(stored)
    if not write_mapping.sent_by(stored, draft.author_id):
        raise write_mapping.conflict_with(stored, "Another sender's message has this identifier")
    updated = await _update_known(http, body, stored, draft.about_patient_id)
    with readable():
        return write_mapping.message(updated)


async def _messages(http: FhirTransport, party: str, practitioner_id: str, limit: int) -> list[Message]:
    categories = terms().communication_category
    bundle = await http.search(
        "Communication", (party, f"Practitioner/{practitioner_id}"),
        ("category", categories.token(categories.internal_message)),
        ("_sort", "-sent"), ("_count", limit), ("_include", "Communication:sender"),
        ("_include", "Communication:recipient"), ("_include", "Communication:subject"))
    with readable():
        return write_mapping.messages(bundle)


async def inbox(http: FhirTransport, practitioner_id: str, limit: int = 50) -> list[Message]:
    """Messages to me, newest first; ``read`` tells which I have read."""
    return await _messages(http, "recipient", practitioner_id, limit)


async def sent_messages(http: FhirTransport, practitioner_id: str, limit: int = 50) -> list[Message]:
    """Messages from me, newest first; ``read`` tells which the recipient has read."""
    return await _messages(http, "sender", practitioner_id, limit)


async def mark_read(http: FhirTransport, practitioner_id: str, message_ids: Collection[str]) -> int:
    """Mark messages to me as read (``Communication.received``), in two round trips whatever their
    number: a batch of reads, then a batch of updates with If-Match. Returns how many changed;
    a message changed meanwhile by its sender is left for the next time."""
    ids = list(dict.fromkeys(message_ids))
    if not ids:
        return 0
    entries, _ = await http.batch([f"Communication/{id_}" for id_ in ids])
    now = datetime.now(UTC)
    updates: list[JSON] = []
    for entry in entries:
        if entry.status >= 300 or entry.resource is None:
            continue
        resource = entry.resource
        if resource.get("received") or not write_mapping.addressed_to(resource, practitioner_id):
            continue
        version = fhir.version_id(resource)
        request: JSON = {"method": "PUT", "url": f"Communication/{resource['id']}"}
        if version:
            request["ifMatch"] = f'W/"{version}"'
        updates.append({"resource": write_mapping.marked_read(resource, now), "request": request})
    if not updates:
        return 0
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": updates}
    response = await http.request("POST", http.base_url, body=bundle)
    results = responses.batch_entries(http.body(response), len(updates))
    return sum(1 for result in results if result.status < 300)
