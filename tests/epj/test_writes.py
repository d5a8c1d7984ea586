"""Writing to the record with the EPJ client: journal notes, own and ward notes, messages and read
receipts, against the real mock EPJ; input limits and server answers against mocked HTTP."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from mobile_app.domain.models import Role
from mobile_app.domain.writing import (
    NOTE_TEXT_LIMIT,
    NURSING_NOTE,
    MessageDraft,
    NoteDraft,
    NoteStatus,
    PatientNoteDraft,
)
from mobile_app.epj import write_mapping
from mobile_app.epj.client import EpjClient, overview_queries
from mobile_app.epj.errors import AccessDenied, Conflict, InputRejected
from mobile_app.epj.responses import conflict
from mobile_app.epj.terminology import terms
from tests.support.database import SeedData
from tests.support.epj_logins import Login, Session
from tests.support.mock_server import Server
from tests.support.mocked_http import BASE, PATIENT, TOKEN, batch_response, fhir, outcome, searchset


@pytest.fixture(scope="module")
def med_patient(seed: SeedData) -> str:
    return str(sorted(s["subject"]["reference"].split("/")[1] for s in seed.stays_on("ward-med"))[0])


def draft(session: Session, patient: str, text: str = "Klinisk bedring, CRP fallende.", **changes: Any) -> NoteDraft:
    return NoteDraft(patient_id=patient, author_id=session.practitioner_id, author_name=session.login.name,
                     text=text).model_copy(update=changes)


def ward_note(session: Session, patient: str, text: str, **changes: Any) -> PatientNoteDraft:
    return PatientNoteDraft(kind="ward-note", patient_id=patient, author_id=session.practitioner_id,
                            text=text).model_copy(update=changes)


def own_note(session: Session, patient: str, text: str) -> PatientNoteDraft:
    return PatientNoteDraft(kind="own-note", patient_id=patient, author_id=session.practitioner_id, text=text)


# ------------------------------------------------------------------ journal notes


async def test_a_note_is_a_document_reference_with_author_stay_time_and_text(fresh_login: Login,
                                                                               med_patient: str) -> None:
    lege1 = await fresh_login("lege1")
    overview = await lege1.client.patient_overview(med_patient)
    assert overview.stay is not None
    note = draft(lege1, med_patient, "Æ ø å – pasienten er bedre.\nPlan: mobilisering.", encounter_id=overview.stay.id,
                 note_type=NURSING_NOTE)
    saved = await lege1.client.save_note(note)
    assert (saved.status, saved.type_code, saved.title, saved.version) == ("preliminary", NURSING_NOTE,
                                                                          "Sykepleienotat", "1")
    assert saved.text == note.text and saved.author == lege1.login.name
    again = await lege1.client.patient_overview(med_patient)
    assert again.documents[0].id == saved.id  # the Documents list shows it at once, newest first


async def test_saving_the_same_draft_again_changes_nothing_and_signing_it_makes_it_final(
        fresh_login: Login, med_patient: str) -> None:
    lege1 = await fresh_login("lege1")
    note = draft(lege1, med_patient)
    first = await lege1.client.save_note(note)
    assert (await lege1.client.save_note(note)).version == first.version
    signed = await lege1.client.save_note(note.model_copy(update={"status": NoteStatus.FINAL}))
    assert (signed.id, signed.status, signed.version) == (first.id, "final", "2")
    amended = await lege1.client.save_note(note.model_copy(update={"status": NoteStatus.FINAL, "text": "Rettet"}))
    assert (amended.id, amended.status, amended.text) == (first.id, "amended", "Rettet")
    back_to_draft = await lege1.client.save_note(note.model_copy(update={"text": "Rettet"}))
    assert back_to_draft.status == "amended"  # a signed note never becomes a draft again


async def test_a_note_for_a_patient_without_care_relation_is_access_denied_without_break_the_glass(
        fresh_login: Login, med_patient: str) -> None:
    lege2 = await fresh_login("lege2")
    with pytest.raises(AccessDenied) as denied:
        await lege2.client.save_note(draft(lege2, med_patient))
    assert denied.value.patient_id == med_patient
    with pytest.raises(AccessDenied):
        await lege2.client.patient_overview(med_patient)  # no emergency access was opened by the note


async def test_input_is_checked_before_anything_is_sent(client: EpjClient, api: respx.MockRouter) -> None:
    route = api.route()
    too_long = NoteDraft(patient_id="p1", author_id="prac-001", text="x" * (NOTE_TEXT_LIMIT + 1))
    with pytest.raises(InputRejected) as refused:
        await client.save_note(too_long)
    assert (refused.value.reason, refused.value.limit, refused.value.length) == ("too_long", NOTE_TEXT_LIMIT,
                                                                                 NOTE_TEXT_LIMIT + 1)
    with pytest.raises(InputRejected, match="empty"):
        await client.send_message(MessageDraft(author_id="prac-001", recipient_id="prac-002", text=" "))
    assert not route.called


async def test_the_note_is_sent_as_a_conditional_create_on_its_client_id(client: EpjClient,
                                                                           api: respx.MockRouter) -> None:
    note = NoteDraft(patient_id="p1", author_id="prac-001", text="Hei", status=NoteStatus.FINAL)
    stored = {**write_mapping.document_reference(note), "id": "d1", "meta": {"versionId": "1"}}
    route = api.post(f"{BASE}/DocumentReference").mock(return_value=fhir(201, stored))
    saved = await client.save_note(note)
    request = route.calls[0].request
    assert request.headers["If-None-Exist"] == (
        f"identifier=urn%3Aietf%3Arfc%3A3986%7Curn%3Auuid%3A{note.client_id}")
    body = json.loads(request.content)
    assert body["docStatus"] == "final" and body["status"] == "current"
    assert body["identifier"] == [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{note.client_id}"}]
    assert base64.b64decode(body["content"][0]["attachment"]["data"]).decode() == "Hei"
    assert body["content"][0]["attachment"]["contentType"] == "text/plain; charset=utf-8"
    assert saved.id == "d1"


# ------------------------------------------------------------------ own and ward notes


async def test_an_own_note_is_seen_by_its_author_only(fresh_login: Login, med_patient: str) -> None:
    lege1, spl1 = await fresh_login("lege1"), await fresh_login("spl1")
    mine = await lege1.client.save_patient_note(own_note(lege1, med_patient, "Husk å ringe datteren"))
    assert (mine.kind, mine.modified_by, mine.version) == ("own-note", lege1.login.name, "1")
    own, ward = await lege1.client.list_own_and_ward_notes(med_patient)
    assert own == mine and ward is None
    theirs, _ = await spl1.client.list_own_and_ward_notes(med_patient)
    assert theirs is None
    overview = await spl1.client.patient_overview(med_patient)
    assert overview.own_note is None
    assert (await lege1.client.patient_overview(med_patient)).own_note == mine


async def test_a_ward_note_is_shared_by_the_ward_and_shown_on_the_overview_and_the_ward_list(
        fresh_server: Server, fresh_login: Login, med_patient: str) -> None:
    lege1, spl1, lege2 = await fresh_login("lege1"), await fresh_login("spl1"), await fresh_login("lege2")
    saved = await spl1.client.save_patient_note(ward_note(spl1, med_patient, "Isolat: kontaktsmitte"))
    assert (await lege1.client.patient_overview(med_patient)).ward_note == saved
    before = lege1.client.round_trips
    notes = await lege1.client.ward_notes()
    assert lege1.client.round_trips == before + 1
    assert notes[med_patient].text == "Isolat: kontaktsmitte"
    assert await lege1.client.ward_notes(["someone-else"]) == {}
    assert med_patient not in await lege2.client.ward_notes()  # another ward's staff
    if fresh_server.strict:
        return  # ward_markers asks for signed-by:missing, not R4 (its replacement is the signing work's)
    markers = await lege1.client.ward_markers("ward-med")  # the ward list's batch brings it too
    assert markers.ward_notes[med_patient].text == "Isolat: kontaktsmitte"
    assert med_patient not in (await lege2.client.ward_markers("ward-med")).ward_notes


async def test_a_second_ward_note_for_the_same_patient_is_a_conflict_not_a_copy(fresh_login: Login,
                                                                                   med_patient: str) -> None:
    lege1, spl1 = await fresh_login("lege1"), await fresh_login("spl1")
    await lege1.client.save_patient_note(ward_note(lege1, med_patient, "Først"))
    with pytest.raises(Conflict) as conflicted:
        await spl1.client.save_patient_note(ward_note(spl1, med_patient, "Samtidig"))
    assert conflicted.value.changed_by == lege1.login.name


async def test_a_stale_ward_note_edit_is_a_conflict_naming_who_and_when(fresh_login: Login,
                                                                          med_patient: str) -> None:
    lege1, spl1 = await fresh_login("lege1"), await fresh_login("spl1")
    first = await lege1.client.save_patient_note(ward_note(lege1, med_patient, "v1"))
    second = await lege1.client.save_patient_note(ward_note(lege1, med_patient, "v2", version=first.version,
                                                            note_id=first.id))
    with pytest.raises(Conflict) as conflicted:
        await spl1.client.save_patient_note(ward_note(spl1, med_patient, "min", version=first.version,
                                                      note_id=first.id))
    assert conflicted.value.changed_by == lege1.login.name
    assert conflicted.value.changed_at == second.modified_at
    assert conflicted.value.current_version == "2"
    with pytest.raises(Conflict):  # the same without the note id: found by its key, still stale
        await spl1.client.save_patient_note(ward_note(spl1, med_patient, "min", version=first.version))
    fresh = await spl1.client.save_patient_note(ward_note(spl1, med_patient, "min", version="2", note_id=first.id))
    assert (fresh.version, fresh.modified_by) == ("3", spl1.login.name)


def test_the_wording_of_a_412_is_not_read_for_who_or_when() -> None:
    """A server's 412 text is its own, not FHIR: the version comes from the ETag, who and when
    from standard data read afterwards (see below), never from the text."""
    text = ("Version conflict on Flag/f1: you edited version 1, but version 2 was saved by Kari Nordmann at"
            " 2026-05-04T10:00:00.123Z. Reload and apply your change again.")
    found = conflict(text, 412, 'W/"2"')
    assert found.current_version == "2"
    assert found.changed_by is None and found.changed_at is None


STALE_412 = ("Version conflict on Flag/f1: you edited version 1, but version 2 was saved by Ola Hansen at"
             " 2026-05-04T10:00:00Z. Reload and apply your change again.")


def current_ward_note(**changes: Any) -> dict[str, Any]:
    return {"resourceType": "Flag", "id": "f1", "status": "active",
            "meta": {"versionId": "2", "lastUpdated": "2026-05-04T10:00:00Z"},
            "category": [{"coding": [{"system": terms().note_category.system, "code": "ward-note"}]}],
            "code": {"text": "Annen tekst"}, "subject": {"reference": "Patient/p1"}, **changes}


def stale_ward_note() -> PatientNoteDraft:
    return PatientNoteDraft(kind="ward-note", patient_id="p1", author_id="prac-001", text="Min tekst",
                            version="1", note_id="f1")


async def test_a_412_says_who_from_the_provenance_of_the_current_version(client: EpjClient,
                                                                         api: respx.MockRouter) -> None:
    api.put(f"{BASE}/Flag/f1").mock(return_value=fhir(412, outcome("conflict", STALE_412)))
    provenances = [
        {"resourceType": "Provenance", "id": "old", "recorded": "2026-05-03T09:00:00Z",
         "target": [{"reference": "Flag/f1/_history/1"}], "agent": [{"who": {"display": "Kari Nordmann"}}]},
        {"resourceType": "Provenance", "id": "new", "recorded": "2026-05-04T10:00:00Z",
         "target": [{"reference": "Flag/f1/_history/2"}], "agent": [{"who": {"display": "Per Berg"}}]},
    ]
    batch = api.post(BASE).mock(return_value=fhir(200, batch_response(
        (200, current_ward_note()), (200, searchset(*provenances)))))
    with pytest.raises(Conflict) as conflicted:
        await client.save_patient_note(stale_ward_note())
    assert [e["request"]["url"] for e in json.loads(batch.calls[0].request.content)["entry"]] == [
        "Flag/f1", "Provenance?target=Flag%2Ff1&_count=100"]
    assert conflicted.value.changed_by == "Per Berg"  # not the 412's "Ola Hansen", not version 1's agent
    assert conflicted.value.changed_at is not None and conflicted.value.changed_at.isoformat().startswith(
        "2026-05-04T10:00")


async def test_a_412_without_provenance_or_author_is_someone_else(client: EpjClient, api: respx.MockRouter) -> None:
    """A server with no Provenance type (404 in the batch) and no name on the note: changed_by stays
    None ("someone else"), though the 412's text names someone."""
    api.put(f"{BASE}/Flag/f1").mock(return_value=fhir(412, outcome("conflict", STALE_412)))
    api.post(BASE).mock(return_value=fhir(200, batch_response(
        (200, current_ward_note(author={"reference": "Practitioner/p9"})),
        (404, outcome("not-found", "Unknown resource type Provenance")))))
    with pytest.raises(Conflict) as conflicted:
        await client.save_patient_note(stale_ward_note())
    assert conflicted.value.changed_by is None
    assert conflicted.value.current_version == "2"


async def test_a_412_names_the_author_a_ward_note_was_saved_with(client: EpjClient, api: respx.MockRouter) -> None:
    api.put(f"{BASE}/Flag/f1").mock(return_value=fhir(412, outcome("conflict", STALE_412)))
    api.post(BASE).mock(return_value=fhir(200, batch_response(
        (200, current_ward_note(author={"reference": "Practitioner/p9", "display": "Siri Dahl"})),
        (200, searchset()))))
    with pytest.raises(Conflict) as conflicted:
        await client.save_patient_note(stale_ward_note())
    assert conflicted.value.changed_by == "Siri Dahl"


def own_note_flag(author: str, text: str) -> dict[str, Any]:
    coding = {"system": terms().note_category.system, "code": "own-note"}
    return {"resourceType": "Flag", "id": f"own-{author}", "status": "active", "meta": {"versionId": "1"},
            "category": [{"coding": [coding]}], "code": {"coding": [coding], "text": text},
            "subject": {"reference": "Patient/p1"}, "author": {"reference": f"Practitioner/{author}"}}


async def test_a_colleagues_own_note_is_never_shown_even_when_a_server_sends_it(client: EpjClient,
                                                                               api: respx.MockRouter) -> None:
    """Privacy is checked by the app as well as the server: an own note is its author's alone."""
    theirs, mine = own_note_flag("prac-009", "Kollegas private notat"), own_note_flag("prac-001", "Mitt notat")
    flags = api.get(f"{BASE}/Flag").mock(side_effect=[
        fhir(200, searchset(theirs)), fhir(200, searchset(theirs, mine)), fhir(200, searchset(theirs, mine))])
    client.set_token(TOKEN, "prac-001")
    own, _ = await client.list_own_and_ward_notes("p1")
    assert own is None
    own, _ = await client.list_own_and_ward_notes("p1")
    assert own is not None and own.text == "Mitt notat"
    client.set_token(TOKEN)  # the same token: still prac-001's
    assert (await client.list_own_and_ward_notes("p1")).own is not None
    assert dict(flags.calls[0].request.url.params) == {"patient": "p1", "_count": "100"}  # R4 parameters only


async def test_the_overview_shows_no_colleagues_own_note_and_none_for_an_unknown_user(
        client: EpjClient, api: respx.MockRouter) -> None:
    queries = overview_queries("p1")
    theirs, mine = own_note_flag("prac-009", "Kollegas private notat"), own_note_flag("prac-001", "Mitt notat")
    answer = batch_response(*[(200, PATIENT) if name == "patient" else
                              (200, searchset(theirs, mine) if name == "flags" else searchset())
                              for name in queries])
    api.post(BASE).mock(return_value=fhir(200, answer))
    assert (await client.patient_overview("p1")).own_note is None  # whose token it is is not known
    client.set_token(TOKEN, "prac-001")
    overview = await client.patient_overview("p1")
    assert overview.own_note is not None and overview.own_note.text == "Mitt notat"
    client.set_token(TOKEN, "prac-009")
    overview = await client.patient_overview("p1")
    assert overview.own_note is not None and overview.own_note.text == "Kollegas private notat"
    client.set_token(None)
    assert client.practitioner_id is None


# ------------------------------------------------------------------ messages


async def test_colleagues_are_found_by_name_with_role_and_wards(login: Login) -> None:
    lege1, spl1 = await login("lege1"), await login("spl1")
    given, family = spl1.login.name.split()[0], spl1.login.name.split()[-1]
    before = lege1.client.round_trips
    found = await lege1.client.search_practitioners(f"{given[:3]} {family[:3]}")
    assert lege1.client.round_trips == before + 1
    (nurse,) = [c for c in found if c.id == spl1.practitioner_id]
    assert (nurse.name, nurse.role) == (spl1.login.name, Role.NURSE)
    assert "Medisinsk sengepost" in nurse.wards
    assert await lege1.client.search_practitioners("  ") == []


async def test_a_message_about_a_patient_reaches_the_inbox_and_is_marked_read(fresh_login: Login,
                                                                                med_patient: str) -> None:
    lege1, lege2 = await fresh_login("lege1"), await fresh_login("lege2")
    message = MessageDraft(author_id=lege1.practitioner_id, recipient_id=lege2.practitioner_id,
                           recipient_name=lege2.login.name, text="Kan du vurdere såret?",
                           about_patient_id=med_patient)
    sent = await lege1.client.send_message(message)
    assert (await lege1.client.send_message(message)).id == sent.id  # sent again: the same message
    (received,) = [m for m in await lege2.client.inbox(lege2.practitioner_id) if m.id == sent.id]
    assert (received.sender_name, received.text, received.read) == (lege1.login.name, "Kan du vurdere såret?", False)
    assert received.about_patient_id == med_patient and received.about_patient_name
    # lege2 has no care relation to the patient, yet may mark the message read
    assert await lege2.client.mark_read(lege2.practitioner_id, [sent.id]) == 1
    assert await lege2.client.mark_read(lege2.practitioner_id, [sent.id]) == 0
    (outgoing,) = [m for m in await lege1.client.sent_messages(lege1.practitioner_id) if m.id == sent.id]
    assert outgoing.read and outgoing.recipient_name == lege2.login.name


async def test_only_the_recipient_may_mark_read_and_only_received_may_change(fresh_login: Login,
                                                                               med_patient: str) -> None:
    lege1, spl1, lege2 = await fresh_login("lege1"), await fresh_login("spl1"), await fresh_login("lege2")
    sent = await lege1.client.send_message(MessageDraft(author_id=lege1.practitioner_id,
                                                        recipient_id=lege2.practitioner_id, text="Hei"))
    assert await spl1.client.mark_read(spl1.practitioner_id, [sent.id]) == 0  # not hers to read
    raw = (await lege2.client.transport.request("GET", f"{lege2.client.base_url}/Communication/{sent.id}")).json()
    tampered = {**raw, "payload": [{"contentString": "Endret av mottaker"}]}
    response = httpx.put(f"{lege2.client.base_url}/Communication/{sent.id}", json=tampered,
                         headers={"Authorization": f"Bearer {lege2.client.token}",
                                  "Content-Type": "application/fhir+json"})
    assert response.status_code == 403
