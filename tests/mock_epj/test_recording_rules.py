"""The mock EPJ's rules for structured registrations: health workers record vital signs and nothing
else (not even by turning another resource into a vital sign), only a doctor records a patient's
SpO2 scale and only for that patient, and the new resource types search as the
CapabilityStatement says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_epj import terminology as t
from tests.support.mock_server import Server, entries, login, outcome_text

VITAL = {"coding": [{"system": t.OBSERVATION_CATEGORY, "code": "vital-signs"}]}


@pytest.fixture
def users(server: Server) -> Iterator[dict[str, httpx.Client]]:
    made = {name: login(server.url, name) for name in ("lege1", "spl1", "hfa1", "revisor")}
    yield made
    for client in made.values():
        client.close()


@pytest.fixture
def patient(users: dict[str, httpx.Client]) -> str:
    stays = entries(users["lege1"].get("Encounter", params={"location": "Location/ward-med",
                                                             "status": "in-progress"}).json())
    return str(stays[0]["subject"]["reference"].split("/")[1])


def pulse(patient: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "category": [VITAL],
            "code": {"coding": [{"system": t.LOINC, "code": "8867-4"}]}, "subject": {"reference": f"Patient/{patient}"},
            "effectiveDateTime": "2026-11-24T08:00:00Z",
            "valueQuantity": {"value": 72, "unit": "/min", "system": t.UCUM, "code": "/min"}, **extra}


def scale_flag(patient: str, key: str | None = None) -> dict[str, Any]:
    return {"resourceType": "Flag", "status": "active",
            "identifier": [{"system": t.SPO2_SCALE_KEY, "value": key or patient}],
            "code": {"coding": [{"system": t.SPO2_SCALE_CODES, "code": "scale-2"}]},
            "subject": {"reference": f"Patient/{patient}"}}


def test_a_health_worker_records_vital_signs_and_it_is_audited(users: dict[str, httpx.Client], patient: str) -> None:
    created = users["hfa1"].post("Observation", json=pulse(patient))
    assert created.status_code == 201, created.text
    what = f"Observation/{created.json()['id']}"
    events = entries(users["revisor"].get("AuditEvent", params={"entity": what}).json())
    assert [e["action"] for e in events] == ["C"]
    score = users["hfa1"].post("Observation", json={
        "resourceType": "Observation", "status": "final", "subject": {"reference": f"Patient/{patient}"},
        "code": {"coding": [{"system": t.SNOMED, "code": t.SNOMED_NEWS2_TOTAL}]}, "valueInteger": 2})
    assert score.status_code == 201, score.text


def test_a_health_worker_writes_nothing_else(users: dict[str, httpx.Client], patient: str) -> None:
    worker = users["hfa1"]
    lab = pulse(patient, category=[{"coding": [{"system": t.OBSERVATION_CATEGORY, "code": "laboratory"}]}])
    refused = worker.post("Observation", json=lab)
    assert refused.status_code == 403 and "vital signs" in outcome_text(refused)
    assert worker.post("RiskAssessment", json={"resourceType": "RiskAssessment", "status": "final",
                                                "subject": {"reference": f"Patient/{patient}"}}).status_code == 403
    assert worker.post("Flag", json={"resourceType": "Flag", "status": "active", "code": {"text": "x"},
                                     "subject": {"reference": f"Patient/{patient}"}}).status_code == 403
    result = entries(users["lege1"].get("Observation", params={"patient": patient, "category": "laboratory",
                                                                "_count": 1}).json())[0]
    turned = pulse(patient, id=result["id"])  # a lab result overwritten as a "vital sign"
    assert worker.put(f"Observation/{result['id']}", json=turned).status_code == 403
    mine = worker.post("Observation", json=pulse(patient)).json()
    assert worker.delete(f"Observation/{mine['id']}").status_code == 403


def test_only_a_doctor_records_the_scale_and_only_for_the_flags_own_patient(users: dict[str, httpx.Client],
                                                                            patient: str) -> None:
    refused = users["spl1"].post("Flag", json=scale_flag(patient))
    assert refused.status_code == 403 and "doctor" in outcome_text(refused)
    assert users["hfa1"].post("Flag", json=scale_flag(patient)).status_code == 403
    mismatched = users["lege1"].post("Flag", json=scale_flag(patient, key="pat-999999"))
    assert mismatched.status_code == 422
    created = users["lege1"].post("Flag", json=scale_flag(patient))
    assert created.status_code == 201, created.text
    found = users["spl1"].get("Flag", params={"identifier": f"{t.SPO2_SCALE_KEY}|", "status": "active"}).json()
    assert [f["id"] for f in entries(found)] == [created.json()["id"]]  # nurses read it all the same


def test_risk_assessments_and_answers_search_by_method_date_and_questionnaire(
        server: Server, users: dict[str, httpx.Client], patient: str) -> None:
    doctor = users["lege1"]
    risks = doctor.get("RiskAssessment", params={"method": f"{t.RISK_METHOD}|padua", "date": "ge2000-01-01",
                                                  "_sort": "-date", "_count": 100}).json()
    assert risks["total"] >= 5
    assert all(r["method"]["coding"][0]["code"] == "padua" for r in entries(risks))
    high = doctor.get("RiskAssessment", params={"risk": f"{t.RISK_PROBABILITY}|high", "_count": 100}).json()
    assert all(r["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high" for r in entries(high))
    answers = doctor.get("QuestionnaireResponse", params={"questionnaire": t.PADUA_QUESTIONNAIRE,
                                                          "_sort": "-authored", "_count": 100}).json()
    assert answers["total"] == risks["total"]  # one answer sheet per assessment
    other = doctor.get("QuestionnaireResponse", params={"questionnaire": f"{t.LOCAL}/Questionnaire/other"}).json()
    assert other["total"] == 0
    surgeon = login(server.url, "lege2")  # another ward: sees none of ward-med's assessments
    try:
        seen = surgeon.get("RiskAssessment", params={"method": f"{t.RISK_METHOD}|padua", "_count": 100}).json()
        assert not {r["subject"]["reference"] for r in entries(seen)} & {f"Patient/{patient}"}
    finally:
        surgeon.close()
