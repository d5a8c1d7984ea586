"""The CapabilityStatement, and proof that every search parameter it lists really works."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhirclient.models.bundle import Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement

from mock_epj.dates import MAX, MIN
from mock_epj.searchparams import NOT_BY_PATIENT_TYPES, RESOURCES, index_rows
from tests.support.mock_server import Server, entries, login


def test_metadata_is_a_valid_r4_capability_statement(shared_server: Server) -> None:
    response = httpx.get(f"{shared_server.fhir}/metadata")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    CapabilityStatement(body)  # raises on anything that is not valid R4
    assert body["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in body["rest"][0]["resource"]}
    assert set(RESOURCES) == types
    interactions = {i["code"] for i in body["rest"][0]["interaction"]}
    assert interactions == {"batch", "transaction"}


@pytest.fixture(scope="module")
def users(shared_server: Server) -> Iterator[dict[str, httpx.Client]]:
    made = {name: login(shared_server.url, name) for name in ("lege1", "revisor")}
    patient = entries(made["lege1"].get("Encounter", params={
        "location": "Location/ward-med", "status": "in-progress", "_count": 1}).json())[0]["subject"]
    me = httpx.post(f"{shared_server.url}/auth/token",
                    json={"username": "lege1", "pin": "1234"}).json()["practitioner"]
    made["lege1"].post("Subscription", json={
        "resourceType": "Subscription", "status": "requested", "reason": "test",
        "criteria": f"Observation?patient={patient['reference']}", "channel": {"type": "message"}})
    made["lege1"].post("List", json={
        "resourceType": "List", "status": "current", "mode": "working",
        "code": {"coding": [{"system": "urn:test", "code": "recent-patients"}]},
        "source": {"reference": me}, "subject": patient, "entry": [{"item": patient}],
        "identifier": [{"system": "urn:test", "value": "x"}]})
    made["lege1"].post("Procedure", json={
        "resourceType": "Procedure", "status": "completed", "subject": patient,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "80146002"}],
                 "text": "Appendektomi"},
        "performedDateTime": "2026-11-20T10:00:00+01:00",
        "identifier": [{"system": "urn:test", "value": "p1"}]})
    result = entries(made["lege1"].get("Observation", params={
        "patient": patient["reference"], "category": "laboratory", "_count": 1}).json())[0]
    signed = made["lege1"].post("Provenance", json={
        "resourceType": "Provenance", "recorded": "2026-11-20T10:00:00+01:00",
        "target": [{"reference": f"Observation/{result['id']}/_history/{result['meta']['versionId']}"}],
        "activity": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle",
                                 "code": "verify"}]},
        "agent": [{"who": {"reference": me}}]})
    assert signed.status_code == 201, signed.text
    yield made
    for client in made.values():
        client.close()


def _query_value(kind: str, row: tuple[Any, ...]) -> str | None:
    if kind == "string":
        return str(row[1])
    if kind == "token":
        system, code = row[1], row[2]
        return f"{system}|{code}" if system else str(code)
    if kind == "date":
        lo, hi = row[1], row[2]
        if lo == MIN:
            return f"le{hi[:10]}"
        if hi == MAX:
            return f"ge{lo[:10]}"
        return f"ge{lo[:10]}"
    return str(row[1])


@pytest.mark.parametrize("type_", sorted(RESOURCES))
def test_every_listed_search_parameter_finds_a_resource(
        shared_server: Server, users: dict[str, httpx.Client], type_: str) -> None:
    client = users["revisor" if type_ == "AuditEvent" else "lege1"]
    capability = httpx.get(f"{shared_server.fhir}/metadata").json()
    listed = next(r for r in capability["rest"][0]["resource"] if r["type"] == type_)
    sample_bundle = client.get(type_, params={"_count": 5}).json()
    samples = entries(sample_bundle)
    assert samples, f"no {type_} visible to test with"
    Bundle(sample_bundle)  # the searchset and every resource in it are valid R4
    if type_ in NOT_BY_PATIENT_TYPES:  # seen subsetted, it may not be searched by its patient
        samples = [s for s in samples if "SUBSETTED" not in [t.get("code") for t in s["meta"].get("tag", [])]]
        assert samples, f"no {type_} seen in full to test with"
    checked: set[str] = set()
    for resource in samples:
        strings, tokens, dates, refs = index_rows(resource)
        rows: dict[str, list[tuple[Any, ...]]] = {
            "string": strings, "token": tokens, "date": dates, "reference": refs}
        for param in listed["searchParam"]:
            name, kind = param["name"], param["type"]
            candidates = [r for r in rows[kind] if r[0] == name]
            if name == "_id":
                candidates = [("_id", None, resource["id"])]
            if not candidates:
                continue
            value = _query_value(kind, candidates[0])
            response = client.get(type_, params=[("_id", resource["id"]), (name, value or "")])
            assert response.status_code == 200, (name, value, response.text)
            assert response.json()["total"] == 1, f"{type_}?{name}={value} missed {resource['id']}"
            alone = client.get(type_, params={name: value, "_summary": "count"}).json()
            assert alone["total"] >= 1
            checked.add(name)
    assert "_id" in checked
