"""Need-to-know access: care relations, 403 for others, break-the-glass and its audit trail."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_epj.terminology import SUBSETTED_TAG
from tests.support.mock_server import Server, entries, login, outcome_text


@pytest.fixture
def clients(server: Server) -> Iterator[dict[str, httpx.Client]]:
    made = {name: login(server.url, name) for name in ("lege1", "spl1", "lege2", "revisor")}
    yield made
    for client in made.values():
        client.close()


def _inpatients(client: httpx.Client, ward: str) -> list[dict[str, Any]]:
    bundle = client.get("Encounter", params={"location": f"Location/{ward}", "status": "in-progress",
                                             "_count": 100}).json()
    return entries(bundle)


def _patient_of(encounter: dict[str, Any]) -> str:
    return str(encounter["subject"]["reference"].split("/")[1])


def test_anyone_logged_in_may_read_demographics(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    for client in clients.values():
        assert client.get(f"Patient/{patient}").status_code == 200


def test_own_ward_patients_clinical_data_is_readable(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    for name in ("lege1", "spl1"):
        response = clients[name].get("Observation", params={"patient": patient, "_count": 5})
        assert response.status_code == 200
        assert response.json()["total"] > 0


def test_other_ward_patients_clinical_data_is_403(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    response = clients["lege2"].get("Observation", params={"patient": patient})
    assert response.status_code == 403
    text = outcome_text(response)
    assert "care relation" in text
    assert "X-Break-Glass-Reason" in text
    allergy_read = clients["lege2"].get("AllergyIntolerance", params={"patient": patient})
    assert allergy_read.status_code == 403


def test_reading_one_resource_of_another_ward_is_403(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    observation = entries(clients["lege1"].get("Observation", params={"patient": patient,
                                                                       "_count": 1}).json())[0]
    assert clients["lege2"].get(f"Observation/{observation['id']}").status_code == 403


def test_searches_without_a_patient_only_return_my_patients(clients: dict[str, httpx.Client]) -> None:
    mine = {_patient_of(e) for e in _inpatients(clients["lege2"], "ward-kir")}
    bundle = clients["lege2"].get("Condition", params={"_count": 100}).json()
    seen = {c["subject"]["reference"].split("/")[1] for c in entries(bundle)}
    assert seen
    assert seen <= mine | _extra_relations(clients["lege2"])


def _extra_relations(client: httpx.Client) -> set[str]:
    """Patients reached through appointments or stays the user takes part in."""
    token = client.headers["Authorization"]
    me = httpx.post(str(client.base_url).replace("/fhir", "/auth/token"),
                    json={"username": "lege2", "pin": "1234"}).json()["practitioner"]
    del token
    appts = entries(client.get("Appointment", params={"practitioner": me, "_count": 100}).json())
    out = {a["reference"].split("/")[1] for appt in appts for p in appt["participant"]
           for a in [p.get("actor", {})] if a.get("reference", "").startswith("Patient/")}
    stays = entries(client.get("Encounter", params={"participant": me, "status": "in-progress",
                                                     "_count": 100}).json())
    return out | {_patient_of(e) for e in stays}


def test_encounters_of_other_wards_are_subsetted(clients: dict[str, httpx.Client]) -> None:
    encounter = _inpatients(clients["lege1"], "ward-med")[0]
    assert "reasonCode" in encounter
    seen_by_other = clients["lege2"].get(f"Encounter/{encounter['id']}").json()
    assert SUBSETTED_TAG["code"] in [t["code"] for t in seen_by_other["meta"]["tag"]]
    assert "reasonCode" not in seen_by_other
    assert "participant" not in seen_by_other
    assert seen_by_other["location"] == encounter["location"]  # ward and bed stay visible


def test_break_the_glass_grants_access_and_is_audited(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    lege2 = clients["lege2"]
    reason = "Akutt tilsyn på medisinsk post, pasienten er ustabil"
    response = lege2.get("AllergyIntolerance", params={"patient": patient},
                         headers=[(b"X-Break-Glass-Reason", reason.encode())])
    assert response.status_code == 200, response.text
    assert f"Patient/{patient}; expires=" in response.headers["X-Break-Glass"]
    # later requests in the 4 hours need no reason, and still say it is emergency access
    later = lege2.get("Observation", params={"patient": patient, "_count": 1})
    assert later.status_code == 200
    assert f"Patient/{patient}" in later.headers["X-Break-Glass"]
    audit = clients["revisor"].get("AuditEvent", params={"patient": patient, "_count": 100}).json()
    btg = [e for e in entries(audit) if e.get("purposeOfEvent")]
    assert btg, "break-the-glass access must be audited"
    assert btg[0]["purposeOfEvent"][0]["coding"][0]["code"] == "BTG"
    assert btg[0]["purposeOfEvent"][0]["text"] == reason
    assert btg[0]["agent"][0]["who"]["reference"].startswith("Practitioner/")


def test_break_the_glass_reason_must_be_ten_characters(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    response = clients["lege2"].get("Observation", params={"patient": patient},
                                    headers={"X-Break-Glass-Reason": "akutt"})
    assert response.status_code == 400
    assert "10 characters" in outcome_text(response)
    assert clients["lege2"].get("Observation", params={"patient": patient}).status_code == 403


def test_percent_encoded_break_glass_reason(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    reason = "Hjertestans på gangen, trenger kritisk info"
    from urllib.parse import quote

    response = clients["lege2"].get("Flag", params={"patient": patient},
                                    headers={"X-Break-Glass-Reason": quote(reason)})
    assert response.status_code == 200
    audit = clients["revisor"].get("AuditEvent", params={"patient": patient, "_count": 100}).json()
    assert reason in [e["purposeOfEvent"][0]["text"] for e in entries(audit) if e.get("purposeOfEvent")]


def test_denied_access_is_audited_too(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[1])
    clients["lege2"].get("Condition", params={"patient": patient})
    audit = entries(clients["revisor"].get("AuditEvent", params={"patient": patient, "outcome": "4"}).json())
    assert audit
    assert audit[0]["outcome"] == "4"


def test_reads_are_audited_with_the_query(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[2])
    clients["spl1"].get("Observation", params={"patient": patient, "category": "vital-signs"})
    audit = entries(clients["revisor"].get("AuditEvent", params={"patient": patient,
                                                                 "_sort": "-date"}).json())
    queries = [base64.b64decode(ent["query"]).decode()
               for e in audit for ent in e["entity"] if "query" in ent]
    assert any("vital-signs" in q for q in queries)


def test_only_auditors_read_the_audit_log(clients: dict[str, httpx.Client]) -> None:
    assert clients["lege1"].get("AuditEvent").status_code == 403
    assert clients["revisor"].get("AuditEvent").status_code == 200


def test_auditor_has_no_clinical_access(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    assert clients["revisor"].get("Observation", params={"patient": patient}).status_code == 403


def test_subscriptions_are_private_to_their_creator(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    subscription = {
        "resourceType": "Subscription", "status": "requested", "reason": "Følger prøvesvar",
        "criteria": f"Observation?patient=Patient/{patient}&category=laboratory",
        "channel": {"type": "message"},
    }
    created = clients["lege1"].post("Subscription", json=subscription)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "active"
    sid = created.json()["id"]
    assert clients["lege1"].get(f"Subscription/{sid}").status_code == 200
    assert clients["spl1"].get(f"Subscription/{sid}").status_code == 404
    assert sid not in {s["id"] for s in entries(clients["spl1"].get("Subscription").json())}


def test_subscription_needs_access_to_the_patient(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    subscription = {
        "resourceType": "Subscription", "status": "requested", "reason": "Følger prøvesvar",
        "criteria": f"Observation?patient=Patient/{patient}", "channel": {"type": "message"},
    }
    assert clients["lege2"].post("Subscription", json=subscription).status_code == 403


def test_messages_are_readable_by_sender_and_recipient_only(clients: dict[str, httpx.Client],
                                                            server: Server) -> None:
    lege2_ref = httpx.post(f"{server.url}/auth/token",
                           json={"username": "lege2", "pin": "1234"}).json()["practitioner"]
    message = {
        "resourceType": "Communication", "status": "completed",
        "recipient": [{"reference": lege2_ref}],
        "payload": [{"contentString": "Kan du se på pasienten i rom 4?"}],
    }
    created = clients["lege1"].post("Communication", json=message)
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    assert created.json()["sender"]["reference"].startswith("Practitioner/")
    assert clients["lege2"].get(f"Communication/{cid}").status_code == 200
    assert clients["spl1"].get(f"Communication/{cid}").status_code == 403
    inbox = entries(clients["lege2"].get("Communication", params={"recipient": lege2_ref,
                                                                  "_count": 100}).json())
    assert cid in {c["id"] for c in inbox}


def test_cannot_send_in_someone_elses_name(clients: dict[str, httpx.Client], server: Server) -> None:
    lege2_ref = httpx.post(f"{server.url}/auth/token",
                           json={"username": "lege2", "pin": "1234"}).json()["practitioner"]
    message = {"resourceType": "Communication", "status": "completed", "sender": {"reference": lege2_ref},
               "payload": [{"contentString": "Forfalsket"}]}
    assert clients["lege1"].post("Communication", json=message).status_code == 403


def test_writing_for_a_patient_without_access_is_403(clients: dict[str, httpx.Client]) -> None:
    patient = _patient_of(_inpatients(clients["lege1"], "ward-med")[0])
    flag = {"resourceType": "Flag", "status": "active", "code": {"text": "Merknad"},
            "subject": {"reference": f"Patient/{patient}"}}
    assert clients["lege2"].post("Flag", json=flag).status_code == 403
    assert clients["lege1"].post("Flag", json=flag).status_code == 201


def test_revinclude_gives_other_wards_encounters_subsetted(clients: dict[str, httpx.Client]) -> None:
    encounter = _inpatients(clients["lege1"], "ward-med")[0]
    patient = _patient_of(encounter)
    bundle = clients["lege2"].get("Patient", params={"_id": patient, "_revinclude": "Encounter:patient"}).json()
    included = [e for e in entries(bundle, "include") if e["id"] == encounter["id"]]
    assert included, "the current stay must be included so that search can show ward and bed"
    assert "reasonCode" not in included[0]
    assert SUBSETTED_TAG["code"] in [t["code"] for t in included[0]["meta"]["tag"]]
