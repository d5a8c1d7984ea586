"""The mock EPJ's rules for dictations and clinical photos: a photo (Media) or a dictation and its
transcription Task is written only for a patient in the writer's care, only in the writer's own
name, and not by a health worker; photos are served only to those who may read the patient; a body
over the limit is refused; and Media searches as the CapabilityStatement says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mobile_app.domain.media import DictationDraft, PhotoDraft
from mobile_app.epj import media_mapping
from mock_epj.routes import MAX_BODY
from tests.support.mock_server import Server, entries, inpatient, login, outcome_text

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
USERS = ("lege1", "lege2", "spl1", "hfa1", "revisor")


@pytest.fixture
def users(server: Server) -> Iterator[dict[str, httpx.Client]]:
    made = {name: login(server.url, name) for name in USERS}
    yield made
    for client in made.values():
        client.close()


def practitioner_of(server: Server, username: str) -> str:
    response = httpx.post(f"{server.url}/auth/token", json={"username": username, "pin": "1234"})
    return str(response.json()["practitioner"]).split("/")[-1]


def photo_body(patient: str, author: str, **changes: Any) -> dict[str, Any]:
    draft = PhotoDraft(patient_id=patient, author_id=author, image=JPEG, width=10, height=10,
                       description="Sår", body_site="Hæl")
    return {**media_mapping.media(draft), **changes}


def dictation_bundle(patient: str, author: str) -> dict[str, Any]:
    draft = DictationDraft(patient_id=patient, author_id=author, audio=b"OggS" + b"\x00" * 100,
                           content_type="audio/ogg", duration=2.0, ward_id="ward-med")
    owner = {"reference": "Organization/secretary-ward-med"}
    return media_mapping.dictation_transaction(draft, owner)


def test_a_doctor_photographs_a_patient_in_their_care_and_it_is_audited(
        server: Server, users: dict[str, httpx.Client]) -> None:
    patient = inpatient(users["lege1"])
    doctor = practitioner_of(server, "lege1")
    created = users["lege1"].post("Media", json=photo_body(patient, doctor))
    assert created.status_code == 201, created.text
    found = entries(users["lege1"].get("Media", params={"patient": patient, "_sort": "-created"}).json())
    assert created.json()["id"] in {m["id"] for m in found}
    events = entries(users["revisor"].get("AuditEvent", params={"entity": f"Media/{created.json()['id']}"}).json())
    assert [e["action"] for e in events] == ["C"]


def test_a_photo_for_a_patient_outside_ones_care_is_refused_and_not_served(
        server: Server, users: dict[str, httpx.Client]) -> None:
    patient = inpatient(users["lege1"])  # on ward-med; lege2 works on ward-kir
    other = practitioner_of(server, "lege2")
    refused = users["lege2"].post("Media", json=photo_body(patient, other))
    assert refused.status_code == 403, refused.text
    read = users["lege2"].get("Media", params={"patient": patient})
    assert read.status_code == 403


def test_a_photo_in_another_practitioners_name_is_refused(server: Server, users: dict[str, httpx.Client]) -> None:
    patient = inpatient(users["lege1"])
    colleague = practitioner_of(server, "spl1")
    refused = users["lege1"].post("Media", json=photo_body(patient, colleague))
    assert refused.status_code == 403
    assert "own name" in outcome_text(refused)


def test_a_health_worker_may_neither_photograph_nor_send_a_dictation(
        server: Server, users: dict[str, httpx.Client]) -> None:
    patient = inpatient(users["lege1"])
    worker = practitioner_of(server, "hfa1")
    assert users["hfa1"].post("Media", json=photo_body(patient, worker)).status_code == 403
    response = users["hfa1"].post("", json=dictation_bundle(patient, worker))
    assert response.status_code == 403, response.text


def test_a_dictation_in_another_practitioners_name_is_refused_and_nothing_is_kept(
        server: Server, users: dict[str, httpx.Client]) -> None:
    patient = inpatient(users["lege1"])
    colleague = practitioner_of(server, "lege1")
    bundle = dictation_bundle(patient, colleague)
    response = users["spl1"].post("", json=bundle)  # a nurse on the ward, in the doctor's name
    assert response.status_code == 403, response.text
    value = bundle["entry"][0]["resource"]["identifier"][0]["value"]
    kept = entries(users["lege1"].get("DocumentReference", params={"identifier": f"urn:ietf:rfc:3986|{value}"}).json())
    assert kept == []  # a transaction is all or nothing


def test_a_dictation_for_a_patient_outside_ones_care_is_refused(
        server: Server, users: dict[str, httpx.Client]) -> None:
    patient = inpatient(users["lege1"])
    response = users["lege2"].post("", json=dictation_bundle(patient, practitioner_of(server, "lege2")))
    assert response.status_code == 403, response.text


def test_a_body_over_the_limit_is_refused(server: Server, users: dict[str, httpx.Client]) -> None:
    patient = inpatient(users["lege1"])
    body = photo_body(patient, practitioner_of(server, "lege1"))
    body["content"]["data"] = "A" * MAX_BODY
    assert users["lege1"].post("Media", json=body).status_code == 413
