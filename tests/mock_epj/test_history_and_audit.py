"""An old version is read under its own access rules, and a denial inside a transaction is audited
although the transaction is rolled back."""

from __future__ import annotations

from typing import Any

import httpx

from mock_epj.terminology import V3_CONFIDENTIALITY
from tests.support.mock_server import Server, entries, inpatient

SECRET = "Gammel tekst om en annen pasient"


def _note(patient: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}], "text": "Puls"},
            "subject": {"reference": f"Patient/{patient}"}, "effectiveDateTime": "2026-11-28T08:00:00+01:00",
            "valueQuantity": {"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"},
            "note": [{"text": text}], **extra}


def test_an_old_version_of_a_moved_resource_is_authorized_by_its_own_patient(
        server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1, lege2, revisor = clients["lege1"], clients["lege2"], clients["revisor"]
    medical, surgical = inpatient(lege1), inpatient(lege2, "ward-kir")
    created = lege1.post("Observation", json=_note(medical, SECRET))
    assert created.status_code == 201, created.text
    moved = {**created.json(), "subject": {"reference": f"Patient/{surgical}"}, "note": [{"text": "Ny tekst"}]}
    server.epj.store.put(moved)  # moved to another patient (by whatever path: an import, a correction)
    assert lege2.get(f"Observation/{moved['id']}").status_code == 200  # now on lege2's ward
    assert lege2.get(f"Observation/{moved['id']}/_history/2").status_code == 200
    old = lege2.get(f"Observation/{moved['id']}/_history/1")
    assert old.status_code == 403, old.text
    assert SECRET not in old.text
    # who may read both (lege1's own patient, and the new one by break-the-glass) reads the old text
    both = lege1.get(f"Observation/{moved['id']}/_history/1",
                     headers={"X-Break-Glass-Reason": "Akutt tilsyn, pasienten er ustabil"})
    assert both.status_code == 200 and both.json()["note"][0]["text"] == SECRET
    denied = [e for e in entries(revisor.get("AuditEvent", params={"patient": medical, "_count": 100}).json())
              if e["outcome"] == "4" and e["subtype"][0]["code"] == "vread"]
    assert denied, "the refused vread is audited against the old version's patient"


def _practitioner(server: Server, username: str) -> str:
    answer = httpx.post(f"{server.url}/auth/token", json={"username": username, "pin": "1234"})
    return str(answer.json()["practitioner"])


def test_an_old_version_labelled_private_stays_private(server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1, spl1 = clients["lege1"], clients["spl1"]
    patient = inpatient(lege1)
    own_note = {"resourceType": "Flag", "status": "active", "code": {"text": SECRET},
                "subject": {"reference": f"Patient/{patient}"},
                "author": {"reference": _practitioner(server, "lege1")},
                "meta": {"security": [{"system": V3_CONFIDENTIALITY, "code": "R"}]}}
    created = lege1.post("Flag", json=own_note)
    assert created.status_code == 201, created.text
    flag = created.json()
    assert spl1.get(f"Flag/{flag['id']}").status_code == 404
    public = {**flag, "meta": {}, "code": {"text": "Til alle"}}
    assert lege1.put(f"Flag/{flag['id']}", json=public).status_code == 200
    assert spl1.get(f"Flag/{flag['id']}").status_code == 200
    old = spl1.get(f"Flag/{flag['id']}/_history/1")
    assert old.status_code == 404
    assert SECRET not in old.text
    assert lege1.get(f"Flag/{flag['id']}/_history/1").json()["code"]["text"] == SECRET


def test_a_denied_read_inside_a_transaction_is_audited(server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1, lege2, revisor = clients["lege1"], clients["lege2"], clients["revisor"]
    patient = inpatient(lege1)  # not on lege2's ward

    def denials() -> list[dict[str, Any]]:
        found = entries(revisor.get("AuditEvent", params={"patient": patient, "agent": lege2_ref,
                                                          "_count": 100}).json())
        return [e for e in found if e["outcome"] == "4"]

    lege2_ref = _practitioner(server, "lege2")
    before = len(denials())
    own = inpatient(lege2, "ward-kir")
    transaction = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": _note(own, "Skrives ikke"), "request": {"method": "POST", "url": "Observation"}},
        {"request": {"method": "GET", "url": f"Condition?patient={patient}"}}]}
    answer = lege2.post("", json=transaction)
    assert answer.status_code == 403, answer.text
    assert len(denials()) == before + 1
    written = entries(lege2.get("Observation", params={"patient": own, "_count": 1000}).json())
    assert not [o for o in written if o.get("note", [{}])[0].get("text") == "Skrives ikke"]  # rolled back
