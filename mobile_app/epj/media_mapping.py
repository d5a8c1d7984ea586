"""FHIR resources for dictations and clinical photos, and photos read back. Pure functions over JSON.

- A dictation for the transcription workflow is one transaction of two conditional creates:
  a ``DocumentReference`` (docStatus ``preliminary``, type ``document-type|diktat``, the audio
  inline as base64 ``attachment.data`` with its size and SHA-1 hash) and a ``Task`` (status
  ``requested``, intent ``order``, code ``task-type|transcription``) whose ``focus`` is that
  DocumentReference, ``for`` the patient, ``requester`` the author and ``owner`` the ward's
  secretary service. Both carry identifiers made from the client id, so a second try finds them.
- A clinical photo is a ``Media`` (R4; type ``image``) with the JPEG inline, the description in
  ``note`` and the attachment's title, and the body site as ``bodySite.text``.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from mobile_app.domain.media import ClinicalPhoto, DictationDraft, PhotoDraft, SentDictation
from mobile_app.epj import fhir
from mobile_app.epj.fhir import JSON
from mobile_app.epj.recording_mapping import full_url, part_id
from mobile_app.epj.terminology import terms
from mobile_app.epj.write_mapping import URI, instant, uuid_identifier

# The dictation's document type, the transcription task's type and the secretary service's type
# and identifier system are in the terminology profile.
MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"


def _ref(resource_type: str, id_: str, name: str | None = None) -> JSON:
    return {"reference": f"{resource_type}/{id_}", **({"display": name} if name else {})}


def _attachment(data: bytes, content_type: str, title: str, created: str) -> JSON:
    return {"contentType": content_type, "data": base64.b64encode(data).decode("ascii"), "size": len(data),
            "hash": base64.b64encode(hashlib.sha1(data).digest()).decode("ascii"),
            "title": title, "creation": created}


def _entry(resource: JSON, url: str, identifier_value: str) -> JSON:
    return {"fullUrl": url, "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"],
                        "ifNoneExist": f"identifier={URI}|{identifier_value}"}}


def secretary_owner(ward_id: str | None, found: JSON | None) -> JSON:
    """The Task's owner: the secretary service the EPJ names for the ward, else a logical reference
    by the ward's identifier (the EPJ's own routing finds it)."""
    if found is not None and found.get("id"):
        return _ref("Organization", str(found["id"]), fhir.text(found, "name"))
    return {"identifier": {"system": terms().identifier_systems.secretary_service, "value": ward_id or "unknown"},
            "display": "Merkantil tjeneste"}


def dictation_title(draft: DictationDraft) -> str:
    minutes, seconds = divmod(round(draft.duration), 60)
    return f"Diktat ({minutes}:{seconds:02d})"


def dictation_transaction(draft: DictationDraft, owner: JSON) -> JSON:
    """The dictation's DocumentReference and its transcription Task, in one transaction."""
    recorded = instant(draft.recorded_at)
    me = _ref("Practitioner", draft.author_id, draft.author_name)
    types, tasks = terms().document_type, terms().task_type
    document: JSON = {
        "resourceType": "DocumentReference",
        "identifier": [uuid_identifier(draft.client_id)],
        "status": "current", "docStatus": "preliminary",
        "type": {"coding": [types.coding(types.dictation)], "text": "Diktat"},
        "subject": _ref("Patient", draft.patient_id),
        "date": recorded,
        "author": [me],
        "description": dictation_title(draft),
        "content": [{"attachment": _attachment(draft.audio, draft.content_type, dictation_title(draft), recorded)}],
    }
    task: JSON = {
        "resourceType": "Task",
        "identifier": [uuid_identifier(part_id(draft.client_id, "task"))],
        "status": "requested", "intent": "order", "priority": "routine",
        "code": {"coding": [tasks.coding(tasks.transcription)], "text": "Skriv diktat"},
        "description": dictation_title(draft),
        "focus": {"reference": f"urn:uuid:{draft.client_id}"},
        "for": _ref("Patient", draft.patient_id),
        "authoredOn": recorded,
        "requester": me,
        "owner": owner,
    }
    if draft.encounter_id:
        document["context"] = {"encounter": [_ref("Encounter", draft.encounter_id)]}
        task["encounter"] = _ref("Encounter", draft.encounter_id)
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        _entry(document, f"urn:uuid:{draft.client_id}", f"urn:uuid:{draft.client_id}"),
        _entry(task, full_url(draft.client_id, "task"), full_url(draft.client_id, "task")),
    ]}


def same_audio(document: JSON, draft: DictationDraft) -> bool:
    """Whether a stored dictation holds this recording (a second try finds its first)."""
    attachment = fhir.obj(fhir.objects(document, "content")[0], "attachment") if fhir.objects(document, "content") \
        else {}
    digest = base64.b64encode(hashlib.sha1(draft.audio).digest()).decode("ascii")
    return attachment.get("hash") == digest


def sent_dictation(document: JSON, task: JSON) -> SentDictation:
    return SentDictation(document_id=str(document["id"]), version=fhir.version_id(document),
                         task_id=str(task["id"]), owner=fhir.display(task.get("owner")))


def media(draft: PhotoDraft) -> JSON:
    taken = instant(draft.taken_at)
    resource: JSON = {
        "resourceType": "Media",
        "identifier": [uuid_identifier(draft.client_id)],
        "status": "completed",
        "type": {"coding": [{"system": MEDIA_TYPE, "code": "image", "display": "Image"}]},
        "subject": _ref("Patient", draft.patient_id),
        "createdDateTime": taken, "issued": taken,
        "operator": _ref("Practitioner", draft.author_id, draft.author_name),
        "note": [{"text": draft.description}],
        "content": _attachment(draft.image, draft.content_type, draft.description, taken),
    }
    if draft.body_site:
        resource["bodySite"] = {"text": draft.body_site}
    if draft.width and draft.height:
        resource["width"], resource["height"] = draft.width, draft.height
    if draft.encounter_id:
        resource["encounter"] = _ref("Encounter", draft.encounter_id)
    return resource


def photo(resource: JSON) -> ClinicalPhoto | None:
    """A Media resource as a photo to show (None: not an image, entered in error or without data)."""
    if resource.get("status") == "entered-in-error":
        return None
    content = fhir.obj(resource, "content")
    content_type = str(content.get("contentType", ""))
    data = content.get("data")
    if not content_type.startswith("image/") or not isinstance(data, str):
        return None
    try:
        image = base64.b64decode(data, validate=True)
    except ValueError:
        return None
    notes = fhir.objects(resource, "note")
    description = fhir.first([*(fhir.text(n, "text") for n in notes), fhir.text(content, "title")]) or ""
    return ClinicalPhoto(
        id=str(resource.get("id", "")), description=description,
        body_site=fhir.concept_text(fhir.obj(resource, "bodySite")) or "",
        taken_at=fhir.parse_instant(resource.get("createdDateTime")) or fhir.parse_instant(content.get("creation")),
        taken_by=fhir.display(resource.get("operator")), content_type=content_type, image=image,
        width=_int(resource.get("width")), height=_int(resource.get("height")))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None
