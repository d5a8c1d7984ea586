"""Read, vread, create, conditional create, update with If-Match, delete, and the error statuses."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from mock_epj.routes import MAX_BODY
from tests.support.mock_server import Server, entries, inpatient, login, outcome_text

Clients = Callable[[str], httpx.Client]


@pytest.fixture
def lege1(server: Server) -> Iterator[httpx.Client]:
    with login(server.url, "lege1") as client:
        yield client




def _note(patient: str, text: str = "Pasienten er i bedring.", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}], "text": "Puls"},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2026-11-28T08:00:00+01:00",
        "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org",
                          "code": "/min"},
        "note": [{"text": text}],
        **extra,
    }


def test_read_returns_the_resource_with_a_weak_etag(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    response = lege1.get(f"Patient/{patient}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    assert body["id"] == patient
    assert response.headers["ETag"] == f'W/"{body["meta"]["versionId"]}"'
    assert body["meta"]["lastUpdated"]


def test_read_of_unknown_id_is_404(lege1: httpx.Client) -> None:
    response = lege1.get("Patient/does-not-exist")
    assert response.status_code == 404
    assert "does-not-exist" in outcome_text(response)


def test_create_returns_201_with_location_and_etag(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    response = lege1.post("Observation", json=_note(patient),
                          headers={"Content-Type": "application/fhir+json"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Location"].endswith(f"/Observation/{body['id']}/_history/1")
    assert lege1.get(f"Observation/{body['id']}").json()["note"][0]["text"] == "Pasienten er i bedring."


def test_conditional_create_returns_the_existing_resource(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    key = str(uuid.uuid4())
    resource = _note(patient, identifier=[{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{key}"}])
    headers = {"Content-Type": "application/fhir+json",
               "If-None-Exist": f"identifier=urn:ietf:rfc:3986|urn:uuid:{key}"}
    first = lege1.post("Observation", json=resource, headers=headers)
    second = lege1.post("Observation", json=resource, headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    found = lege1.get("Observation", params={"identifier": f"urn:ietf:rfc:3986|urn:uuid:{key}"}).json()
    assert found["total"] == 1


def test_update_with_current_version_then_stale_version(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    created = lege1.post("Observation", json=_note(patient)).json()
    created["note"] = [{"text": "Oppdatert"}]
    ok = lege1.put(f"Observation/{created['id']}", json=created, headers={"If-Match": 'W/"1"'})
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == 'W/"2"'
    stale = lege1.put(f"Observation/{created['id']}", json=created, headers={"If-Match": 'W/"1"'})
    assert stale.status_code == 412
    text = outcome_text(stale)
    assert "version 2" in text
    assert "saved by" in text
    assert lege1.get(f"Observation/{created['id']}/_history/1").json()["note"][0]["text"] == \
        "Pasienten er i bedring."
    assert lege1.get(f"Observation/{created['id']}/_history/2").json()["note"][0]["text"] == "Oppdatert"


def test_update_records_who_changed_it(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    created = lege1.post("Observation", json=_note(patient)).json()
    ext = created["meta"]["extension"][0]
    assert ext["valueReference"]["reference"].startswith("Practitioner/")
    assert ext["valueReference"]["display"]


def test_update_with_mismatched_id_is_400(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    created = lege1.post("Observation", json=_note(patient)).json()
    response = lege1.put(f"Observation/{created['id']}", json={**created, "id": "other"})
    assert response.status_code == 400


def test_malformed_if_match_is_400(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    created = lege1.post("Observation", json=_note(patient)).json()
    response = lege1.put(f"Observation/{created['id']}", json=created, headers={"If-Match": "yesterday"})
    assert response.status_code == 400


def test_delete_then_read_is_410(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    created = lege1.post("Observation", json=_note(patient)).json()
    assert lege1.delete(f"Observation/{created['id']}").status_code == 204
    assert lege1.get(f"Observation/{created['id']}").status_code == 410
    search = lege1.get("Observation", params={"_id": created["id"]}).json()
    assert search["total"] == 0


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"resourceType": "Patient", "name": [{"family": "Ok"}]}, "sent to the Observation endpoint"),
        ({"resourceType": "Observation", "code": {"text": "x"}}, "status: required element missing"),
        ({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "colour": "red"},
         "colour: unknown element"),
        ({"resourceType": "Observation", "status": "final", "code": {"text": 5}}, "wrong type"),
        ({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
          "effectiveDateTime": "yesterday"}, "format"),
        ({"status": "final"}, "no resourceType"),
    ],
)
def test_invalid_resources_are_422(lege1: httpx.Client, body: dict[str, Any], fragment: str) -> None:
    response = lege1.post("Observation", json=body)
    assert response.status_code == 422
    assert fragment in outcome_text(response)


def test_malformed_json_is_400(lege1: httpx.Client) -> None:
    response = lege1.post("Observation", content=b'{"resourceType": ',
                          headers={"Content-Type": "application/fhir+json"})
    assert response.status_code == 400
    assert "not valid JSON" in outcome_text(response)


def test_body_that_is_not_an_object_is_400(lege1: httpx.Client) -> None:
    response = lege1.post("Observation", json=[1, 2, 3])
    assert response.status_code == 400


def test_wrong_content_type_is_415(lege1: httpx.Client) -> None:
    response = lege1.post("Observation", content=b"<Observation/>",
                          headers={"Content-Type": "application/fhir+xml"})
    assert response.status_code == 415


def test_body_over_the_limit_is_413(lege1: httpx.Client) -> None:
    big = b'{"resourceType":"Observation","x":"' + b"a" * MAX_BODY + b'"}'
    try:
        response = lege1.post("Observation", content=big, headers={"Content-Type": "application/fhir+json"})
    except httpx.TransportError:  # the server may close before the client finished sending
        pytest.fail("the server should answer 413, not drop the connection")
    assert response.status_code == 413


def test_wrong_method_is_405(lege1: httpx.Client) -> None:
    response = lege1.delete("metadata")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert lege1.patch("Patient/x", json={}).status_code == 405


def test_unknown_path_is_404(server: Server) -> None:
    response = httpx.get(f"{server.url}/nothing/here")
    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_accept_xml_only_is_406(lege1: httpx.Client) -> None:
    response = lege1.get("Patient", headers={"Accept": "application/fhir+xml"})
    assert response.status_code == 406


def test_prefer_return_minimal(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    response = lege1.post("Observation", json=_note(patient), headers={"Prefer": "return=minimal"})
    assert response.status_code == 201
    assert response.content == b""
    assert response.headers["Location"]


def test_auditor_may_not_write(server: Server) -> None:
    with login(server.url, "revisor") as revisor:
        response = revisor.post("Patient", json={"resourceType": "Patient", "name": [{"family": "X"}]})
        assert response.status_code == 403


def test_a_health_worker_writes_a_ward_note_on_their_ward_and_an_auditor_may_not(server: Server) -> None:
    category = {"coding": [{"system": "https://visitt.example.no/fhir/CodeSystem/note-category",
                            "code": "ward-note"}]}
    with login(server.url, "hfa1") as hfa1, login(server.url, "revisor") as revisor:
        patient = inpatient(hfa1)  # a patient on ward-med, hfa1's ward
        flag = {"resourceType": "Flag", "status": "active", "category": [category],
                "code": {**category, "text": "Trenger hjelp til å spise."},
                "subject": {"reference": f"Patient/{patient}"}}
        written = hfa1.post("Flag", json=flag)
        assert written.status_code == 201, written.text
        refused = revisor.post("Flag", json=flag)
        assert refused.status_code == 403
        assert "may not change the record" in outcome_text(refused)


def test_new_resources_show_up_in_search_at_once(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    before = lege1.get("Observation", params={"patient": patient, "code": "8867-4", "_count": 0}).json()
    lege1.post("Observation", json=_note(patient))
    after = lege1.get("Observation", params={"patient": patient, "code": "8867-4", "_count": 0}).json()
    assert after["total"] == before["total"] + 1
    newest = lege1.get("Observation", params={"patient": patient, "code": "8867-4", "_sort": "-_lastUpdated",
                                              "_count": 1}).json()
    assert entries(newest)[0]["note"][0]["text"] == "Pasienten er i bedring."
