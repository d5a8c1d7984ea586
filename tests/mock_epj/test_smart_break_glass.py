"""Break-the-glass through the authorization server: a token exchange (RFC 8693) with purpose of use
BTG gives a token limited to one patient for four hours, by the checks and audit of the header path
(a clinical role, a reason with ten visible characters, the grant and every later read audited
with the reason). Each test names the rule it covers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.mock_server import Server, entries, inpatient, login, outcome_text
from tests.support.smart_login import fhir_client, revoke, smart_login, token_call

BTG = "http://terminology.hl7.org/CodeSystem/v3-ActReason|BTG"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
REASON = "Akutt tilsyn, pasienten er ustabil og vakthavende er opptatt"


def _exchange(server: Server, subject: str, patient: str, reason: str = REASON, **changes: str) -> httpx.Response:
    form = {"grant_type": TOKEN_EXCHANGE, "subject_token": subject, "subject_token_type": ACCESS_TOKEN,
            "purpose_of_use": BTG, "patient": patient, "reason": reason, **changes}
    return token_call(server.url, **form)


def _audits(server: Server, patient: str) -> list[dict[str, Any]]:
    with login(server.url, "revisor") as revisor:
        return entries(revisor.get("AuditEvent", params={"patient": patient, "_count": 100}).json())


@pytest.fixture
def medical(server: Server) -> tuple[str, str]:
    """Two patients on the medical ward (no care relation for lege2 on the surgical ward)."""
    with login(server.url, "lege1") as lege1:
        bundle = lege1.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                                "_count": 20}).json()
    patients = sorted({e["subject"]["reference"].split("/")[1] for e in entries(bundle)})
    return patients[0], patients[1]


def test_an_exchange_opens_one_patient_for_four_hours_and_is_audited(server: Server, medical: tuple[str, str]) -> None:
    """Rules: the exchanged token reaches that one patient (reads, searches, Patient), nobody
    else, for 4 hours; the grant and the reads with it are audited with the reason, as today."""
    patient, other = medical
    lege2 = smart_login(server.url, "lege2")
    with fhir_client(server.url, lege2["access_token"]) as mine:
        assert mine.get("Condition", params={"patient": patient}).status_code == 403
    answer = _exchange(server, lege2["access_token"], f"Patient/{patient}")
    assert answer.status_code == 200, answer.text
    granted = answer.json()
    assert granted["issued_token_type"] == ACCESS_TOKEN and granted["token_type"] == "Bearer"
    assert granted["patient"] == patient and granted["scope"] == "patient/*.cruds"
    assert 4 * 3600 - 120 <= granted["expires_in"] <= 4 * 3600
    assert "refresh_token" not in granted
    with fhir_client(server.url, granted["access_token"]) as glass:
        assert glass.get("Condition", params={"patient": patient}).status_code == 200
        assert glass.get(f"Patient/{patient}").status_code == 200
        assert glass.get("Condition", params={"patient": other}).status_code == 403
        assert glass.get(f"Patient/{other}").status_code == 403
        found = entries(glass.get("Patient", params={"_count": 50}).json())
        assert [p["id"] for p in found] == [patient]
        observations = entries(glass.get("Observation", params={"_count": 100}).json())
        assert observations and {o["subject"]["reference"] for o in observations} == {f"Patient/{patient}"}
        stays = entries(glass.get("Encounter", params={"location": "Location/ward-med", "_count": 100}).json())
        assert {s["subject"]["reference"] for s in stays} == {f"Patient/{patient}"}  # not even subsets of others
        header = glass.get("Condition", params={"patient": other}, headers={"X-Break-Glass-Reason": REASON})
        assert header.status_code == 403  # the header cannot stretch a break-the-glass token
        note = {"resourceType": "Observation", "status": "final", "code": {"text": "Puls"},
                "subject": {"reference": f"Patient/{other}"}, "valueQuantity": {"value": 80, "unit": "/min"}}
        written = glass.post("Observation", json=note, headers={"Content-Type": "application/fhir+json"})
        assert written.status_code == 403
        assert glass.delete(f"Patient/{patient}").status_code == 403
    events = _audits(server, patient)
    grants = [e for e in events if e.get("outcomeDesc") == "Break-the-glass access granted for 4 hours"]
    assert len(grants) == 1
    assert grants[0]["purposeOfEvent"][0]["coding"][0]["code"] == "BTG"
    assert grants[0]["purposeOfEvent"][0]["text"] == REASON
    reads = [e for e in events if e["outcome"] == "0" and e.get("purposeOfEvent") and e is not grants[0]]
    assert reads and all(e["purposeOfEvent"][0]["text"] == REASON for e in reads)
    assert all(e["agent"][0]["who"]["display"] for e in grants + reads)


def test_a_role_that_may_not_break_the_glass_is_refused_and_audited(server: Server,
                                                                      medical: tuple[str, str]) -> None:
    """Rule: the auditor may not break the glass (only clinical roles may); the refusal is
    audited and nothing is granted."""
    patient, _ = medical
    revisor = smart_login(server.url, "revisor")
    answer = _exchange(server, revisor["access_token"], patient)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert "auditor" in answer.json()["error_description"]
    with fhir_client(server.url, revisor["access_token"]) as client:
        assert client.get("Condition", params={"patient": patient}).status_code == 403
    refused = [e for e in _audits(server, patient) if e["outcome"] == "4" and "auditor" in e.get("outcomeDesc", "")]
    assert len(refused) == 1


@pytest.mark.parametrize("reason", ["", "kort", "\u200b" * 12, " " * 20, "akutt" + "\u0301" * 10])
def test_a_reason_needs_ten_visible_characters(server: Server, medical: tuple[str, str], reason: str) -> None:
    """Rule: the reason is checked as on the header path: ten visible characters, or nothing is granted."""
    patient, _ = medical
    lege2 = smart_login(server.url, "lege2")
    answer = _exchange(server, lege2["access_token"], patient, reason)
    assert answer.status_code == 400 and "at least 10 characters" in answer.json()["error_description"]
    with fhir_client(server.url, lege2["access_token"]) as client:
        assert client.get("Condition", params={"patient": patient}).status_code == 403


def test_the_exchange_refuses_what_it_should(server: Server, medical: tuple[str, str]) -> None:
    """Rules: only purpose of use BTG; a valid, unexpired subject token of the same client; never a
    break-the-glass token again; an existing patient (invalid_target otherwise) the user has no
    care relation to; only this server as audience; never wider scopes than the user's."""
    patient, _ = medical
    lege2 = smart_login(server.url, "lege2")
    token = lege2["access_token"]
    assert _exchange(server, token, patient, purpose_of_use="http://terminology.hl7.org/CodeSystem/v3-ActReason|TREAT"
                     ).json()["error"] == "invalid_request"
    assert _exchange(server, "not-a-token", patient).json()["error"] == "invalid_request"
    assert _exchange(server, token, patient, subject_token_type="urn:ietf:params:oauth:token-type:id_token"
                     ).json()["error"] == "invalid_request"
    assert _exchange(server, token, "no-such-patient").json()["error"] == "invalid_target"
    assert _exchange(server, token, patient, audience="https://other.example/fhir").json()["error"] == "invalid_target"
    assert _exchange(server, token, patient, client_id="mock-epj-cli").json()["error"] == "invalid_request"
    with login(server.url, "lege2") as plain:
        own = inpatient(plain, "ward-kir")
    needless = _exchange(server, token, own)
    assert needless.json()["error"] == "invalid_request" and "care relation" in needless.json()["error_description"]
    reader = smart_login(server.url, "lege2", scope="openid fhirUser user/*.rs")
    assert _exchange(server, reader["access_token"], patient, scope="patient/*.cruds").json()["scope"] == "patient/*.rs"
    glass = _exchange(server, token, patient).json()
    again = _exchange(server, glass["access_token"], patient)
    assert again.json()["error"] == "invalid_request" and "cannot be exchanged" in again.json()["error_description"]


def test_a_read_only_login_gets_a_read_only_break_the_glass_token(server: Server, medical: tuple[str, str]) -> None:
    """Rule: the exchanged token never has more permissions than the user's own token."""
    patient, _ = medical
    reader = smart_login(server.url, "lege2", scope="openid fhirUser user/*.rs")
    glass = _exchange(server, reader["access_token"], patient).json()
    assert glass["scope"] == "patient/*.rs"
    note = {"resourceType": "Observation", "status": "final", "code": {"text": "Puls"},
            "subject": {"reference": f"Patient/{patient}"}, "valueQuantity": {"value": 80, "unit": "/min"}}
    with fhir_client(server.url, glass["access_token"]) as client:
        answer = client.post("Observation", json=note, headers={"Content-Type": "application/fhir+json"})
    assert answer.status_code == 403 and "patient/Observation.c" in outcome_text(answer)


def test_logging_out_ends_the_break_the_glass_token(server: Server, medical: tuple[str, str]) -> None:
    """Rule: revoking the login (logout) revokes the tokens exchanged for it."""
    patient, _ = medical
    lege2 = smart_login(server.url, "lege2")
    glass = _exchange(server, lege2["access_token"], patient).json()
    assert revoke(server.url, lege2["refresh_token"]).status_code == 200
    with fhir_client(server.url, glass["access_token"]) as client:
        assert client.get(f"Patient/{patient}").status_code == 401


def test_a_plain_login_token_can_be_exchanged_too(server: Server, medical: tuple[str, str]) -> None:
    """Rule (until the app switches over): the token of the plain login may be exchanged, and its
    logout ends the exchanged token as well."""
    patient, _ = medical
    plain = httpx.post(f"{server.url}/auth/token", json={"username": "hfa1", "pin": "1234"}).json()["access_token"]
    with login(server.url, "lege2") as lege2:
        other = inpatient(lege2, "ward-kir")
    glass = _exchange(server, plain, other)
    assert glass.status_code == 200 and glass.json()["scope"] == "patient/*.cruds"
    with fhir_client(server.url, glass.json()["access_token"]) as client:
        assert client.get("Condition", params={"patient": other}).status_code == 200
        assert httpx.post(f"{server.url}/auth/logout", headers={"Authorization": f"Bearer {plain}"}).status_code == 204
        assert client.get("Condition", params={"patient": other}).status_code == 401
    assert patient != other
