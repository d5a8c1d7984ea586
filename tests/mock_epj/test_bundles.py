"""Batch and transaction Bundles, including a Synthea-style transaction with urn:uuid references."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_epj.terminology import FNR
from tests.mock_epj.conftest import Server, entries, inpatient, login, outcome_text


@pytest.fixture
def lege1(server: Server) -> Iterator[httpx.Client]:
    with login(server.url, "lege1") as client:
        yield client






def test_batch_reads_a_patient_overview_in_one_round_trip(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    other = inpatient(lege1, "ward-kir")
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": f"Patient/{patient}"}},
        {"request": {"method": "GET", "url": f"Encounter?patient={patient}&status=in-progress"}},
        {"request": {"method": "GET", "url": f"AllergyIntolerance?patient={patient}"}},
        {"request": {"method": "GET", "url": f"Observation?patient={patient}&category=laboratory"
                                             "&_sort=-date&_count=10"}},
        {"request": {"method": "GET", "url": f"Condition?patient={other}"}},
        {"request": {"method": "GET", "url": "Patient/nobody-here"}},
    ]}
    response = lege1.post("", json=batch)
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "batch-response"
    statuses = [e["response"]["status"] for e in body["entry"]]
    assert statuses[:4] == ["200 OK"] * 4
    assert statuses[4].startswith("403")
    assert statuses[5].startswith("404")
    assert body["entry"][0]["resource"]["id"] == patient
    assert body["entry"][3]["resource"]["type"] == "searchset"
    assert body["entry"][4]["response"]["outcome"]["resourceType"] == "OperationOutcome"


def test_batch_entries_succeed_independently(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    good = {"resourceType": "Flag", "status": "active", "code": {"text": "Fallfare"},
            "subject": {"reference": f"Patient/{patient}"}}
    bad = {"resourceType": "Flag", "code": {"text": "mangler status"}}
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"resource": good, "request": {"method": "POST", "url": "Flag"}},
        {"resource": bad, "request": {"method": "POST", "url": "Flag"}},
    ]}
    body = lege1.post("", json=batch).json()
    assert body["entry"][0]["response"]["status"] == "201 Created"
    assert body["entry"][1]["response"]["status"].startswith("422")
    assert lege1.get(body["entry"][0]["response"]["location"].split("/fhir/")[1]).status_code == 200


def test_transaction_is_all_or_nothing(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    marker = str(uuid.uuid4())
    good = {"resourceType": "Flag", "status": "active", "code": {"text": marker},
            "identifier": [{"system": "urn:test", "value": marker}],
            "subject": {"reference": f"Patient/{patient}"}}
    bad = {"resourceType": "Flag", "code": {"text": "mangler status"}}
    transaction = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": good, "request": {"method": "POST", "url": "Flag"}},
        {"resource": bad, "request": {"method": "POST", "url": "Flag"}},
    ]}
    response = lege1.post("", json=transaction)
    assert response.status_code == 422
    assert "entry[1]" in outcome_text(response)
    assert lege1.get("Flag", params={"identifier": f"urn:test|{marker}"}).json()["total"] == 0
    transaction["entry"] = transaction["entry"][:1]
    ok = lege1.post("", json=transaction)
    assert ok.status_code == 200
    assert ok.json()["type"] == "transaction-response"
    assert lege1.get("Flag", params={"identifier": f"urn:test|{marker}"}).json()["total"] == 1


def synthea_style_bundle(fnr: str) -> dict[str, Any]:
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    encounter_url = f"urn:uuid:{uuid.uuid4()}"
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": patient_url,
         "resource": {"resourceType": "Patient", "identifier": [{"system": FNR, "value": fnr}],
                      "name": [{"family": "Syntheasen", "given": ["Ola"]}], "gender": "male",
                      "birthDate": "1961-03-04"},
         "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={FNR}|{fnr}"}},
        {"fullUrl": encounter_url,
         "resource": {"resourceType": "Encounter", "status": "finished",
                      "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                      "subject": {"reference": patient_url},
                      "serviceProvider": {"reference": "Organization?name=Fjordvik universitetssykehus"},
                      "period": {"start": "2024-01-02T10:00:00+01:00", "end": "2024-01-02T11:00:00+01:00"}},
         "request": {"method": "POST", "url": "Encounter"}},
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}",
         "resource": {"resourceType": "Condition", "subject": {"reference": patient_url},
                      "encounter": {"reference": encounter_url}, "code": {"text": "Hypertensjon"}},
         "request": {"method": "POST", "url": "Condition"}},
    ]}


def test_synthea_style_transaction_resolves_urn_uuid_references(lege1: httpx.Client) -> None:
    response = lege1.post("", json=synthea_style_bundle("04836112345"))
    assert response.status_code == 200, response.text
    results = response.json()["entry"]
    assert [r["response"]["status"] for r in results] == ["201 Created"] * 3
    patient_id = results[0]["resource"]["id"]
    encounter = results[1]["resource"]
    condition = results[2]["resource"]
    assert encounter["subject"]["reference"] == f"Patient/{patient_id}"
    assert encounter["serviceProvider"]["reference"].startswith("Organization/")
    assert condition["encounter"]["reference"] == f"Encounter/{encounter['id']}"
    found = entries(lege1.get("Encounter", params={"patient": patient_id}).json())
    assert [e["id"] for e in found] == [encounter["id"]]


def test_transaction_with_unresolvable_conditional_reference_fails(lege1: httpx.Client) -> None:
    bundle = synthea_style_bundle("04836112346")
    bundle["entry"][1]["resource"]["serviceProvider"]["reference"] = "Organization?name=Nowhere"
    response = lege1.post("", json=bundle)
    assert response.status_code == 412
    assert lege1.get("Patient", params={"identifier": f"{FNR}|04836112346"}).json()["total"] == 0


@pytest.mark.parametrize("bundle", [
    {"resourceType": "Bundle", "type": "searchset"},
    {"resourceType": "Patient"},
    {"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"url": "Patient"}}]},
    {"resourceType": "Bundle", "type": "batch", "entry": "nope"},
])
def test_malformed_bundles_are_400(lege1: httpx.Client, bundle: dict[str, Any]) -> None:
    assert lege1.post("", json=bundle).status_code == 400
