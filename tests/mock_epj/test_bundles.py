"""Batch and transaction Bundles, including a Synthea-style transaction with urn:uuid references."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_epj.terminology import FNR
from tests.support.mock_server import Server, entries, inpatient, login, outcome_text


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
    """A Synthea-like transaction that registers a patient and a stay: administrative data, which
    only the administrator loads (mock-epj import), never a clinician through the API."""
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
                      "period": {"start": "2024-01-02T10:00:00+01:00", "end": "2024-01-02T11:00:00+01:00"}},
         "request": {"method": "POST", "url": "Encounter"}},
    ]}


def lab_report_bundle(patient: str, marker: str, lab: str) -> dict[str, Any]:
    """A transaction of a result and the report that holds it, linked by urn:uuid, the lab named by
    a conditional reference."""
    result_url = f"urn:uuid:{uuid.uuid4()}"
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": result_url,
         "resource": {"resourceType": "Observation", "status": "final", "code": {"text": "Hemoglobin"},
                      "subject": {"reference": f"Patient/{patient}"},
                      "valueQuantity": {"value": 13.1, "unit": "g/dL"}},
         "request": {"method": "POST", "url": "Observation"}},
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}",
         "resource": {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "Blodstatus"},
                      "identifier": [{"system": "urn:test", "value": marker}],
                      "subject": {"reference": f"Patient/{patient}"}, "result": [{"reference": result_url}],
                      "performer": [{"reference": f"Organization?name={lab}"}]},
         "request": {"method": "POST", "url": "DiagnosticReport"}},
    ]}


def test_transaction_resolves_urn_uuid_and_conditional_references(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    response = lege1.post("", json=lab_report_bundle(patient, "rep-1", "Fjordvik universitetssykehus"))
    assert response.status_code == 200, response.text
    results = response.json()["entry"]
    assert [r["response"]["status"] for r in results] == ["201 Created"] * 2
    observation, report = results[0]["resource"], results[1]["resource"]
    assert report["result"] == [{"reference": f"Observation/{observation['id']}"}]
    assert report["performer"][0]["reference"].startswith("Organization/")


def test_transaction_with_unresolvable_conditional_reference_fails(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    response = lege1.post("", json=lab_report_bundle(patient, "rep-2", "Nowhere"))
    assert response.status_code == 412
    assert lege1.get("DiagnosticReport", params={"identifier": "urn:test|rep-2"}).json()["total"] == 0


def test_a_clinician_cannot_register_patients_and_stays(lege1: httpx.Client) -> None:
    response = lege1.post("", json=synthea_style_bundle("04836112345"))
    assert response.status_code == 403
    assert "administrative" in outcome_text(response)
    assert lege1.get("Patient", params={"identifier": f"{FNR}|04836112345"}).json()["total"] == 0


@pytest.mark.parametrize("bundle", [
    {"resourceType": "Bundle", "type": "searchset"},
    {"resourceType": "Patient"},
    {"resourceType": "Bundle", "type": "batch", "entry": [{"request": {"url": "Patient"}}]},
    {"resourceType": "Bundle", "type": "batch", "entry": "nope"},
])
def test_malformed_bundles_are_400(lege1: httpx.Client, bundle: dict[str, Any]) -> None:
    assert lege1.post("", json=bundle).status_code == 400


def _batch(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "batch", "entry": list(entries)}


def _flag(patient: str, text: str = "Fallfare") -> dict[str, Any]:
    return {"resourceType": "Flag", "status": "active", "code": {"text": text},
            "subject": {"reference": f"Patient/{patient}"}}


def test_bundle_entries_reach_fhir_interactions_only(server: Server, lege1: httpx.Client) -> None:
    faults_before = httpx.get(f"{server.url}/_admin/faults").json()
    login_body = {"username": "lege1", "pin": "1234"}
    outside = [
        ("POST", "../auth/token", login_body), ("POST", "/auth/token", login_body),
        ("POST", f"{server.url}/auth/token", login_body), ("POST", "auth/token", login_body),
        ("POST", "../_admin/faults", {"error_next": 5}), ("POST", f"{server.url}/_admin/faults", {"error_next": 5}),
        ("GET", f"{server.url}/v1/logs/export", None), ("POST", "../v1/logs", {"resourceLogs": []}),
        ("GET", "metadata", None),  # about the server, not an interaction on the record
        ("POST", "", _batch()),  # no Bundle inside a Bundle
    ]
    batch = _batch(*({"request": {"method": method, "url": url}, **({"resource": body} if body else {})}
                     for method, url, body in outside))
    response = lege1.post("", json=batch)
    assert response.status_code == 200, response.text
    statuses = [e["response"]["status"] for e in response.json()["entry"]]
    assert all(status[:3] in ("400", "404", "405") for status in statuses), statuses
    assert "access_token" not in response.text
    assert httpx.get(f"{server.url}/_admin/faults").json() == faults_before
    transaction = {**batch, "type": "transaction", "entry": batch["entry"][:1]}
    assert lege1.post("", json=transaction).status_code in (400, 404, 405)


def test_an_entry_has_its_own_if_match(lege1: httpx.Client) -> None:
    created = lege1.post("Flag", json=_flag(inpatient(lege1))).json()
    created["code"] = {"text": "Endret"}
    stale = {"resource": created, "request": {"method": "PUT", "url": f"Flag/{created['id']}", "ifMatch": 'W/"7"'}}
    answer = lege1.post("", json=_batch(stale)).json()["entry"][0]["response"]
    assert answer["status"] == "412 Precondition Failed"
    assert "you edited version 7, but version 1 was saved by" in answer["outcome"]["issue"][0]["diagnostics"]
    # The Bundle's own If-Match header belongs to the POST of the Bundle, not to its entries.
    fresh = {"resource": created, "request": {"method": "PUT", "url": f"Flag/{created['id']}"}}
    answer = lege1.post("", json=_batch(fresh), headers={"If-Match": 'W/"7"'}).json()["entry"][0]["response"]
    assert (answer["status"], answer["etag"]) == ("200 OK", 'W/"2"')


def test_an_entry_with_if_none_exist_gives_the_existing_resource(lege1: httpx.Client) -> None:
    marker = str(uuid.uuid4())
    flag = {**_flag(inpatient(lege1)), "identifier": [{"system": "urn:test", "value": marker}]}
    first = lege1.post("Flag", json=flag).json()
    entry = {"resource": flag, "request": {"method": "POST", "url": "Flag",
                                           "ifNoneExist": f"identifier=urn:test|{marker}"}}
    answer = lege1.post("", json=_batch(entry)).json()["entry"][0]
    assert answer["response"]["status"] == "200 OK"
    assert answer["resource"]["id"] == first["id"]
    assert lege1.get("Flag", params={"identifier": f"urn:test|{marker}"}).json()["total"] == 1


def test_absolute_entry_urls_must_be_on_this_server(server: Server, lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    batch = _batch({"request": {"method": "GET", "url": f"{server.fhir}/Patient/{patient}"}},
                   {"request": {"method": "GET", "url": f"{server.fhir}/Flag?patient={patient}"}},
                   {"request": {"method": "GET", "url": f"http://elsewhere.example/fhir/Patient/{patient}"}})
    answers = lege1.post("", json=batch).json()["entry"]
    assert [a["response"]["status"][:3] for a in answers] == ["200", "200", "404"]
    assert answers[0]["resource"]["id"] == patient
    assert answers[1]["resource"]["type"] == "searchset"


def test_break_the_glass_denial_and_audit_inside_a_batch(server: Server, lege1: httpx.Client) -> None:
    patient = inpatient(lege1)  # on lege1's ward, not on lege2's
    with login(server.url, "lege2") as lege2, login(server.url, "revisor") as revisor:
        denied = lege2.post("", json=_batch({"request": {"method": "GET", "url": f"Condition?patient={patient}"}}))
        assert denied.json()["entry"][0]["response"]["status"] == "403 Forbidden"
        reason = "Akutt tilsyn på medisinsk post, pasienten er ustabil"
        granted = lege2.post("", json=_batch({"request": {"method": "GET", "url": f"Flag?patient={patient}"}}),
                             headers=[(b"X-Break-Glass-Reason", reason.encode())])
        assert granted.json()["entry"][0]["response"]["status"] == "200 OK"
        assert f"Patient/{patient}; expires=" in granted.headers["X-Break-Glass"]
        audit = entries(revisor.get("AuditEvent", params={"patient": patient, "_count": 100}).json())
    assert any(e["outcome"] == "4" for e in audit), "the denied entry must be audited"
    assert reason in [e["purposeOfEvent"][0]["text"] for e in audit if e.get("purposeOfEvent")]


def test_prefer_return_minimal_applies_to_every_entry(lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    transaction = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": _flag(patient), "request": {"method": "POST", "url": "Flag"}}]}
    answer = lege1.post("", json=transaction, headers={"Prefer": "return=minimal"}).json()["entry"][0]
    assert answer["response"]["status"] == "201 Created"
    assert answer["response"]["location"].startswith(f"{lege1.base_url}Flag/")
    assert "resource" not in answer
