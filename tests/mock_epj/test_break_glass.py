"""Break-the-glass is for clinicians, needs a reason one can read, and opens one patient at a time."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.mock_server import Server, entries, inpatient, outcome_text

REASON = "Akutt tilsyn på medisinsk post, pasienten er ustabil"


def _audits(revisor: httpx.Client, patient: str) -> list[dict[str, Any]]:
    return entries(revisor.get("AuditEvent", params={"patient": patient, "_count": 100}).json())


def _glass(reason: str) -> dict[str, str]:
    return {"X-Break-Glass-Reason": quote(reason, safe="")}


def test_the_auditor_may_not_break_the_glass_and_the_refusal_is_audited(clients: dict[str, httpx.Client]) -> None:
    patient = inpatient(clients["lege1"])
    revisor = clients["revisor"]
    for path in (f"Condition?patient={patient}", f"Observation?patient={patient}&_count=1"):
        response = revisor.get(path, headers=_glass(REASON))
        assert response.status_code == 403, response.text
        assert "auditor" in outcome_text(response) and "break-the-glass" in outcome_text(response)
        assert "X-Break-Glass" not in response.headers
    encounter = clients["lege1"].get("Encounter", params={"patient": patient, "_count": 1}).json()
    stay = entries(encounter)[0]["id"]
    assert revisor.get(f"Encounter/{stay}", headers=_glass(REASON)).json()["meta"]["tag"]  # still subsetted
    batch = {"resourceType": "Bundle", "type": "batch",
             "entry": [{"request": {"method": "GET", "url": f"Flag?patient={patient}"}}]}
    answer = revisor.post("", json=batch, headers=_glass(REASON)).json()
    assert answer["entry"][0]["response"]["status"] == "403 Forbidden"
    assert revisor.get("Condition", params={"patient": patient}).status_code == 403  # no grant was made
    refused = [e for e in _audits(revisor, patient) if e["outcome"] == "4" and "auditor" in e.get("outcomeDesc", "")]
    assert len(refused) >= 3
    assert all(e["agent"][0]["who"]["display"] for e in refused)


def test_clinical_roles_may_break_the_glass(server: Server, clients: dict[str, httpx.Client]) -> None:
    patient = inpatient(clients["lege2"], "ward-kir")  # not on the medical ward
    for name in ("lege1", "hfa1"):
        response = clients[name].get("Flag", params={"patient": patient}, headers=_glass(REASON))
        assert response.status_code == 200, (name, response.text)
        assert f"Patient/{patient}" in response.headers["X-Break-Glass"]


@pytest.mark.parametrize("invisible", ["\u200b", "\x00", "\ufeff", "\u2060", "\u00ad", " ", "\u3164", "\u0301"])
def test_a_reason_must_have_ten_visible_characters(clients: dict[str, httpx.Client], invisible: str) -> None:
    patient = inpatient(clients["lege1"])
    lege2 = clients["lege2"]
    for reason in (invisible * 12, "akutt" + invisible * 12, invisible.join("akuttsyk")):
        response = lege2.get("Condition", params={"patient": patient}, headers=_glass(reason))
        assert response.status_code == 400, (repr(reason), response.text)
        text = outcome_text(response)
        assert "at least 10 characters" in text and "visible" in text
    assert lege2.get("Condition", params={"patient": patient}).status_code == 403  # nothing was granted
    assert lege2.get("Condition", params={"patient": patient},
                     headers=_glass(invisible.join("akutt tilsyn"))).status_code == 200


def test_a_search_naming_many_patients_grants_nothing(clients: dict[str, httpx.Client]) -> None:
    lege2, revisor = clients["lege2"], clients["revisor"]
    ward = entries(clients["lege1"].get("Encounter", params={"location": "Location/ward-med",
                                                              "status": "in-progress", "_count": 100}).json())
    patients = sorted({e["subject"]["reference"].split("/")[1] for e in ward})
    assert len(patients) >= 3
    for count in (2, len(patients)):
        named = ",".join(patients[:count])
        response = lege2.get("Observation", params={"patient": named, "_count": 1}, headers=_glass(REASON))
        assert response.status_code == 403, response.text
        assert "one patient" in outcome_text(response) and f"names {count} patients" in outcome_text(response)
        assert "X-Break-Glass" not in response.headers
    for patient in patients:
        assert lege2.get("Flag", params={"patient": patient}).status_code == 403, "no grant may remain"
    refused = [e for e in _audits(revisor, patients[0]) if e["outcome"] == "4"]
    assert any("one patient" in e.get("outcomeDesc", "") for e in refused)
    # one patient at a time works, and the same request cannot then open a second one
    batch = {"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "GET", "url": f"Flag?patient={patients[0]}"}},
        {"request": {"method": "GET", "url": f"Flag?patient={patients[1]}"}},
        {"request": {"method": "GET", "url": f"Condition?patient={patients[0]}"}}]}
    answer = lege2.post("", json=batch, headers=_glass(REASON))
    assert [e["response"]["status"][:3] for e in answer.json()["entry"]] == ["200", "403", "200"]
    assert answer.headers["X-Break-Glass"].count("Patient/") == 1
    assert lege2.get("Flag", params={"patient": patients[1]}).status_code == 403
