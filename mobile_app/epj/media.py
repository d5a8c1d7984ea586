"""Dictations and clinical photos over HTTP: "Send til skriving" (a DocumentReference with the audio
and a transcription Task in one transaction), a photo (a Media), and a patient's photos read back.

Both writes may be sent again after a lost answer without a second copy: each resource is a
conditional create on an identifier made from the draft's client id. What a second try finds must
hold the same bytes (SHA-1 of the attachment), else it is a Conflict, never a silent success.
"""

from __future__ import annotations

from mobile_app.domain.media import ClinicalPhoto, DictationDraft, PhotoDraft, SentDictation
from mobile_app.epj import fhir, media_mapping, responses, write_mapping
from mobile_app.epj.errors import Conflict
from mobile_app.epj.fhir import JSON
from mobile_app.epj.terminology import terms
from mobile_app.epj.transport import FhirTransport, readable
from mobile_app.epj.write_mapping import client_id_query
from mobile_app.epj.writes import check_input

PHOTOS_SHOWN = 12  # newest first; each is a few hundred kB at most


async def secretary_service(http: FhirTransport, ward_id: str | None) -> JSON | None:
    """The Organization that transcribes the ward's dictations (None: the EPJ names none)."""
    if not ward_id:
        return None
    kinds = terms().organization_kind
    bundle = await http.search("Organization", ("type", kinds.token(kinds.secretary_service)), ("_count", 100))
    return next((org for org in fhir.of_type(bundle, "Organization", "match")
                 if write_mapping.has_identifier(org, terms().identifier_systems.secretary_service, ward_id)), None)


async def save_dictation(http: FhirTransport, draft: DictationDraft) -> SentDictation:
    """Deliver a dictation to the transcription workflow: one transaction, made once."""
    check_input(draft)
    owner = media_mapping.secretary_owner(draft.ward_id, await secretary_service(http, draft.ward_id))
    bundle = media_mapping.dictation_transaction(draft, owner)
    response = await http.request("POST", http.base_url, body=bundle, patient_id=draft.patient_id)
    entries = responses.batch_entries(http.body(response), len(bundle["entry"]))
    document, task = (entry.raise_for_status(draft.patient_id) for entry in entries)
    with readable("stored dictation"):
        if entries[0].status == 200 and not media_mapping.same_audio(document, draft):
            raise Conflict("The EPJ already holds a dictation with this identifier and other audio")
        return media_mapping.sent_dictation(document, task)


async def save_photo(http: FhirTransport, draft: PhotoDraft) -> ClinicalPhoto:
    """Attach a clinical photo to the patient (a Media), made once."""
    check_input(draft)
    response = await http.request("POST", f"{http.base_url}/Media", body=media_mapping.media(draft),
                                  headers={"If-None-Exist": client_id_query(draft.client_id)},
                                  patient_id=draft.patient_id)
    stored = http.resource(response, "Media")
    with readable("stored photo"):
        found = media_mapping.photo(stored)
        if found is None or (response.status_code == 200 and found.image != draft.image):
            raise Conflict("The EPJ already holds a photo with this identifier and another picture")
        return found


async def patient_photos(http: FhirTransport, patient_id: str, limit: int = PHOTOS_SHOWN) -> list[ClinicalPhoto]:
    """The patient's photos, newest first (AccessDenied without a care relation)."""
    bundle = await http.search("Media", ("patient", patient_id), ("_sort", "-created"), ("_count", limit),
                               patient_id=patient_id)
    with readable():
        return [p for r in fhir.of_type(bundle, "Media", "match") if (p := media_mapping.photo(r)) is not None]
