"""Write rules an attacker with a clinician's login tries first (issue 12): administrative data,
conditional-create leaks, Subscriptions naming several patients, authorship, signed notes,
signatures on results (Provenance), and the audit of every write."""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mock_epj.write_rules import ADMINISTRATIVE_TYPES
from tests.support.mock_server import Server, entries, inpatient, login, outcome_text

USERS = ("lege1", "spl1", "lege2", "revisor")


@pytest.fixture
def clients(server: Server) -> Iterator[dict[str, httpx.Client]]:
    made = {name: login(server.url, name) for name in USERS}
    yield made
    for client in made.values():
        client.close()


def _me(server: Server, username: str) -> str:
    answer = httpx.post(f"{server.url}/auth/token", json={"username": username, "pin": "1234"})
    return str(answer.json()["practitioner"])


def _name(server: Server, username: str) -> str:
    """The practitioner's name as the server has it."""
    row = server.epj.store.queries.login(username)
    assert row is not None
    return row[4]


def _denials(revisor: httpx.Client, agent: str, subtype: str) -> int:
    return int(revisor.get("AuditEvent", params={"agent": agent, "outcome": "4", "subtype": subtype,
                                                 "_summary": "count"}).json()["total"])


def _one(client: httpx.Client, type_: str, **params: str) -> dict[str, Any]:
    return entries(client.get(type_, params={**params, "_count": 1}).json())[0]


WriteRequest = tuple[str, str, dict[str, Any] | None, dict[str, str]]


def _write_requests(type_: str, current: dict[str, Any]) -> list[WriteRequest]:
    """(method, url, body, headers) of every way to write ``type_`` through the API."""
    changed = copy.deepcopy(current)
    changed.pop("meta", None)
    changed["language"] = "en"  # any change at all
    new = {k: v for k, v in changed.items() if k != "id"}
    return [
        ("POST", type_, new, {}),
        ("POST", type_, new, {"If-None-Exist": "_id=no-such-resource"}),
        ("PUT", f"{type_}/{current['id']}", changed, {}),
        ("PUT", f"{type_}/new-{uuid.uuid4().hex[:8]}", {**new, "id": "x"}, {}),
        ("PATCH", f"{type_}/{current['id']}", changed, {}),
        ("DELETE", f"{type_}/{current['id']}", None, {}),
    ]


def _as_entry(method: str, url: str, body: dict[str, Any] | None, headers: dict[str, str]) -> dict[str, Any]:
    if method == "PUT" and body is not None:
        body = {**body, "id": url.split("/")[1]}
    request: dict[str, Any] = {"method": method, "url": url}
    if "If-None-Exist" in headers:
        request["ifNoneExist"] = headers["If-None-Exist"]
    return {"request": request, **({"resource": body} if body is not None else {})}


@pytest.mark.parametrize("type_", sorted(ADMINISTRATIVE_TYPES))
def test_no_clinician_writes_administrative_data(server: Server, clients: dict[str, httpx.Client], type_: str) -> None:
    lege1, revisor = clients["lege1"], clients["revisor"]
    current = _one(lege1, type_, **({"location": "Location/ward-med"} if type_ == "Encounter" else {}))
    total = lege1.get(type_, params={"_summary": "count"}).json()["total"]
    me = _me(server, "lege1")
    for user in ("lege1", "spl1"):
        for method, url, body, headers in _write_requests(type_, current):
            if method == "PUT" and url.startswith(f"{type_}/new-"):
                body = {**(body or {}), "id": url.split("/")[1]}
            plain = clients[user].request(method, url, json=body, headers=headers)
            assert plain.status_code in (403, 405), (user, method, url, plain.text)
            for kind in ("batch", "transaction"):
                bundle = {"resourceType": "Bundle", "type": kind, "entry": [_as_entry(method, url, body, headers)]}
                answer = clients[user].post("", json=bundle)
                if kind == "transaction":
                    assert answer.status_code in (403, 405), (user, kind, method, url, answer.text)
                else:
                    status = answer.json()["entry"][0]["response"]["status"]
                    assert status.startswith(("403", "405")), (user, kind, method, url, status)
    after = lege1.get(f"{type_}/{current['id']}").json()
    assert after["meta"]["versionId"] == current["meta"]["versionId"]
    assert lege1.get(type_, params={"_summary": "count"}).json()["total"] == total
    assert _denials(revisor, me, "create") >= 2 and _denials(revisor, me, "update") >= 2
    assert _denials(revisor, me, "delete") >= 1
    refused = entries(revisor.get("AuditEvent", params={"agent": me, "outcome": "4", "subtype": "delete",
                                                        "entity": f"{type_}/{current['id']}"}).json())
    assert refused and "administrative" in refused[0]["outcomeDesc"]


def test_a_clinician_cannot_give_themselves_a_ward(server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1 = clients["lege1"]
    patient = inpatient(lege1, "ward-kir")
    assert lege1.get("Observation", params={"patient": patient}).status_code == 403
    me = _me(server, "lege1")
    role = {"resourceType": "PractitionerRole", "active": True, "practitioner": {"reference": me},
            "location": [{"reference": "Location/ward-kir"}],
            "code": [{"coding": [{"system": "urn:oid:2.16.578.1.12.4.1.1.9060", "code": "LE"}]}]}
    assert lege1.post("PractitionerRole", json=role).status_code == 403
    mine = _one(lege1, "PractitionerRole", practitioner=me)
    assert lege1.put(f"PractitionerRole/{mine['id']}", json={**mine, "location": [{"reference": "Location/ward-kir"}]}
                     ).status_code == 403
    assert lege1.get("Observation", params={"patient": patient}).status_code == 403
    assert lege1.get("PractitionerRole", params={"practitioner": me, "location": "Location/ward-kir"}
                     ).json()["total"] == 0


def test_nobody_deletes_another_patients_stay(clients: dict[str, httpx.Client]) -> None:
    patient = inpatient(clients["lege1"])
    stay = _one(clients["lege1"], "Encounter", patient=patient, status="in-progress")
    for user in ("lege2", "lege1"):
        assert clients[user].delete(f"Encounter/{stay['id']}").status_code == 403
    assert clients["lege1"].get("Observation", params={"patient": patient, "_count": 1}).status_code == 200


# ------------------------------------------------------------------ conditional create


def test_if_none_exist_never_returns_what_the_user_may_not_read(
        server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1, lege2 = clients["lege1"], clients["lege2"]
    theirs = inpatient(lege1)
    mine = inpatient(lege2, "ward-kir")
    hidden = _one(lege1, "Observation", patient=theirs)
    flag = {"resourceType": "Flag", "status": "active", "code": {"text": "Fallfare"},
            "subject": {"reference": f"Patient/{mine}"}}
    me = _me(server, "lege2")
    before = _denials(clients["revisor"], me, "create")
    for type_, target in (("Observation", hidden["id"]), ("Flag", hidden["id"])):
        body = {**flag, "resourceType": "Flag"} if type_ == "Flag" else {
            "resourceType": "Observation", "status": "final", "code": {"text": "Puls"},
            "subject": {"reference": f"Patient/{mine}"}}
        if type_ == "Observation":
            response = lege2.post("Observation", json=body, headers={"If-None-Exist": f"_id={target}"})
            assert response.status_code == 403, response.text
            assert response.json()["resourceType"] == "OperationOutcome"
            assert "valueQuantity" not in response.text and theirs not in response.text
        transaction = {"resourceType": "Bundle", "type": "transaction", "entry": [{
            "fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": body,
            "request": {"method": "POST", "url": type_, "ifNoneExist": f"_id={target}"}}]}
        answer = lege2.post("", json=transaction)
        if type_ == "Observation":
            assert answer.status_code == 403, answer.text
            assert "valueQuantity" not in answer.text and theirs not in answer.text
    assert _denials(clients["revisor"], me, "create") > before


def test_if_none_exist_still_returns_the_users_own_copy(clients: dict[str, httpx.Client]) -> None:
    patient = inpatient(clients["lege1"])
    key = str(uuid.uuid4())
    flag = {"resourceType": "Flag", "status": "active", "code": {"text": "Fallfare"},
            "identifier": [{"system": "urn:test", "value": key}], "subject": {"reference": f"Patient/{patient}"}}
    first = clients["lege1"].post("Flag", json=flag, headers={"If-None-Exist": f"identifier=urn:test|{key}"})
    again = clients["lege1"].post("Flag", json=flag, headers={"If-None-Exist": f"identifier=urn:test|{key}"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


# ------------------------------------------------------------------ subscriptions


def _subscription(criteria: str) -> dict[str, Any]:
    return {"resourceType": "Subscription", "status": "requested", "reason": "Følger prøvesvar",
            "criteria": criteria, "channel": {"type": "message"}}


def test_a_subscription_is_checked_for_every_patient_it_names(server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1 = clients["lege1"]
    mine = inpatient(lege1)
    other = inpatient(lege1, "ward-kir")
    refused = [
        f"Observation?patient=Patient/{mine},Patient/{other}",
        f"Observation?patient={mine},{other}&category=laboratory",
        f"Observation?patient=Patient/{mine}&patient=Patient/{other}",
        f"Observation?patient=Patient/{mine}&subject=Patient/{other}",
    ]
    for criteria in refused:
        response = lege1.post("Subscription", json=_subscription(criteria))
        assert response.status_code == 403, (criteria, response.text)
    unreachable = [
        f"Observation?patient=Patient/{mine}&subject:Patient=Patient/{other}",
        f"Observation?patient=Patient/{mine}&subject.identifier=x",
        f"Observation?patient=Patient/{mine}&encounter=Encounter/x",
        f"Observation?patient=Patient/{mine}&_has:Encounter:patient:status=in-progress",
        f"Observation?patient=http://elsewhere/fhir/Patient/{other}",
        f"Observation?patient=Group/{other}",
        f"Observation?patient=Patient/{mine}&patient:missing=true",
    ]
    for criteria in unreachable:
        response = lege1.post("Subscription", json=_subscription(criteria))
        assert response.status_code == 422, (criteria, response.text)
    assert entries(lege1.get("Subscription").json()) == []
    created = server.epj.labs.arrive(other)
    notes = [r for r in created if r.startswith("Communication/")]
    assert notes == []  # nobody follows the other ward's patient
    ok = lege1.post("Subscription", json=_subscription(f"Observation?patient=Patient/{mine}&category=laboratory"))
    assert ok.status_code == 201, ok.text


# ------------------------------------------------------------------ authorship


def _note(patient: str, author: dict[str, Any] | None, status: str = "final") -> dict[str, Any]:
    note: dict[str, Any] = {
        "resourceType": "DocumentReference", "status": "current", "docStatus": status,
        "type": {"coding": [{"system": "https://visitt.example.no/fhir/CodeSystem/document-type",
                             "code": "sykepleienotat"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "content": [{"attachment": {"contentType": "text/plain", "data": base64.b64encode(b"Notat").decode()}}]}
    if author is not None:
        note["author"] = [author]
    return note


def test_the_author_is_always_the_logged_in_user(server: Server, clients: dict[str, httpx.Client]) -> None:
    spl1 = clients["spl1"]
    patient = inpatient(spl1)
    doctor, me = _me(server, "lege1"), _me(server, "spl1")
    role = _one(spl1, "PractitionerRole", practitioner=doctor)
    forged = [{"reference": doctor}, {"reference": f"{server.fhir}/{me}"}, {"display": "Spl. En"},
              {"reference": f"PractitionerRole/{role['id']}"}, {"reference": doctor, "display": "Spl. En"}]
    for author in forged:
        note = spl1.post("DocumentReference", json=_note(patient, author))
        assert note.status_code == 403, (author, note.text)
        flag = spl1.post("Flag", json={"resourceType": "Flag", "status": "active", "code": {"text": "Avdelingsnotat"},
                                       "subject": {"reference": f"Patient/{patient}"}, "author": author})
        assert flag.status_code == 403, (author, flag.text)
        message = spl1.post("Communication", json={
            "resourceType": "Communication", "status": "completed", "sender": author,
            "recipient": [{"reference": doctor}], "payload": [{"contentString": "Forfalsket"}]})
        assert message.status_code == 403, (author, message.text)
        vital = spl1.post("Observation", json={
            "resourceType": "Observation", "status": "final", "code": {"text": "Puls"},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "vital-signs"}]}],
            "subject": {"reference": f"Patient/{patient}"}, "performer": [author],
            "valueQuantity": {"value": 80, "unit": "/min"}})
        assert vital.status_code == 403, (author, vital.text)
    own = spl1.post("DocumentReference", json=_note(patient, {"reference": me, "display": "Dr. Falsk"}))
    assert own.status_code == 201
    assert own.json()["author"] == [{"reference": me, "display": _name(server, "spl1")}]
    unnamed = spl1.post("DocumentReference", json=_note(patient, None))
    assert unnamed.json()["author"][0]["reference"] == me


def test_only_the_author_amends_a_note_and_a_signed_note_is_never_deleted(
        server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1, spl1 = clients["lege1"], clients["spl1"]
    patient = inpatient(lege1)
    doctor = _me(server, "lege1")
    signed = lege1.post("DocumentReference", json=_note(patient, {"reference": doctor})).json()
    rewrite = {**signed, "docStatus": "amended", "author": [{"reference": doctor}]}
    assert spl1.put(f"DocumentReference/{signed['id']}", json=rewrite).status_code == 403
    assert spl1.put(f"DocumentReference/{signed['id']}",
                    json={**rewrite, "author": [{"reference": _me(server, "spl1")}]}).status_code == 403
    assert spl1.delete(f"DocumentReference/{signed['id']}").status_code == 403
    assert lege1.delete(f"DocumentReference/{signed['id']}").status_code == 403
    not_amended = lege1.put(f"DocumentReference/{signed['id']}", json={**signed, "description": "Endret"})
    assert not_amended.status_code == 422
    amended = lege1.put(f"DocumentReference/{signed['id']}", json={**signed, "docStatus": "amended"})
    assert amended.status_code == 200
    assert amended.json()["meta"]["versionId"] == "2"
    draft = lege1.post("DocumentReference", json=_note(patient, None, "preliminary")).json()
    assert spl1.delete(f"DocumentReference/{draft['id']}").status_code == 403
    assert lege1.delete(f"DocumentReference/{draft['id']}").status_code == 204
    assert lege1.get(f"DocumentReference/{signed['id']}").json()["docStatus"] == "amended"


def test_a_message_is_sent_in_ones_own_name(server: Server, clients: dict[str, httpx.Client]) -> None:
    me, doctor = _me(server, "spl1"), _me(server, "lege1")
    sent = clients["spl1"].post("Communication", json={
        "resourceType": "Communication", "status": "completed", "recipient": [{"reference": doctor}],
        "payload": [{"contentString": "Hei"}]})
    assert sent.status_code == 201
    assert sent.json()["sender"]["reference"] == me


# ------------------------------------------------------------------ signatures on results (Provenance)

ISO_21089 = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"


def _lab_result(client: httpx.Client, patient: str) -> dict[str, Any]:
    return _one(client, "Observation", patient=patient, category="laboratory")


def _signature(target: str, who: str, name: str = "Overlege Falsk") -> dict[str, Any]:
    return {"resourceType": "Provenance", "target": [{"reference": target}], "recorded": "2001-01-01T10:00:00Z",
            "activity": {"coding": [{"system": ISO_21089, "code": "verify"}]},
            "agent": [{"who": {"reference": who, "display": name}}],
            "signature": [{"type": [{"system": "urn:iso-astm:E1762-95:2013", "code": "1.2.840.10065.1.12.1.5"}],
                           "when": "2001-01-01T10:00:00Z", "who": {"reference": who}}]}


def test_a_doctor_signs_a_result_with_a_provenance_that_leaves_the_result_alone(
        server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1, spl1, lege2 = clients["lege1"], clients["spl1"], clients["lege2"]
    patient = inpatient(lege1)
    doctor = _me(server, "lege1")
    result = _lab_result(lege1, patient)
    target = f"Observation/{result['id']}/_history/{result['meta']['versionId']}"
    signed = lege1.post("Provenance", json=_signature(target, doctor))
    assert signed.status_code == 201, signed.text
    stored = signed.json()
    assert stored["agent"][0]["who"] == {"reference": doctor, "display": _name(server, "lege1")}  # the server's name
    assert stored["agent"][0]["type"]["coding"][0]["code"] == "verifier"
    assert stored["recorded"] > "2026" and stored["signature"][0]["when"] == stored["recorded"]  # the server's clock
    assert lege1.get(f"Observation/{result['id']}").json()["meta"]["versionId"] == result["meta"]["versionId"]
    # Found with standard searches by those who may read the result, and by nobody else.
    found = lege1.get("Observation", params={"_id": result["id"], "_revinclude": "Provenance:target"}).json()
    assert [r["id"] for r in entries(found, "include")] == [stored["id"]]
    for params in ({"target": f"Observation/{result['id']}"}, {"patient": patient}, {"agent": doctor}):
        assert stored["id"] in {r["id"] for r in entries(spl1.get("Provenance", params=params).json())}, params
    assert spl1.get(f"Provenance/{stored['id']}").status_code == 200
    assert lege2.get(f"Provenance/{stored['id']}").status_code == 403
    assert lege2.get("Provenance", params={"patient": patient}).status_code == 403
    assert stored["id"] not in {r["id"] for r in entries(lege2.get("Provenance", params={"agent": doctor}).json())}
    # A signature is never changed or deleted.
    assert lege1.put(f"Provenance/{stored['id']}", json=stored).status_code == 403
    assert lege1.delete(f"Provenance/{stored['id']}").status_code == 403
    audit = entries(clients["revisor"].get("AuditEvent", params={"entity": f"Provenance/{stored['id']}",
                                                                 "_count": 100}).json())
    assert any(e["subtype"][0]["code"] == "create" and e["agent"][0]["who"]["reference"] == doctor for e in audit)


def test_only_a_doctor_signs_in_their_own_name_results_of_their_patients(
        server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1, spl1, lege2, revisor = clients["lege1"], clients["spl1"], clients["lege2"], clients["revisor"]
    patient = inpatient(lege1)
    doctor, nurse, other = _me(server, "lege1"), _me(server, "spl1"), _me(server, "lege2")
    result = _lab_result(lege1, patient)
    target = f"Observation/{result['id']}/_history/{result['meta']['versionId']}"
    before = _denials(revisor, nurse, "create")
    refused = spl1.post("Provenance", json=_signature(target, nurse))
    assert refused.status_code == 403 and "Only a doctor" in outcome_text(refused)
    assert _denials(revisor, nurse, "create") == before + 1  # audited
    for who in (other, "Practitioner/unknown", f"https://elsewhere.example/fhir/{doctor}"):
        named = lege1.post("Provenance", json=_signature(target, who))
        assert named.status_code == 403 and "own name" in outcome_text(named), who
    forged = _signature(target, doctor)
    forged["signature"][0]["who"] = {"reference": other}
    assert lege1.post("Provenance", json=forged).status_code == 403
    assert lege2.post("Provenance", json=_signature(target, other)).status_code == 403  # no care relation
    for wrong in (f"Observation/{result['id']}/_history/99", f"Patient/{patient}", "Observation/nonexistent"):
        assert lege1.post("Provenance", json=_signature(wrong, doctor)).status_code == 422, wrong
    stays = entries(lege1.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                                   "_count": 2}).json())
    first, second = (_lab_result(lege1, s["subject"]["reference"].split("/")[1]) for s in stays)
    both = _signature(f"Observation/{first['id']}/_history/1", doctor)
    both["target"].append({"reference": f"Observation/{second['id']}/_history/1"})
    assert lege1.post("Provenance", json=both).status_code == 422  # one patient's results at a time


# ------------------------------------------------------------------ audit


def test_every_write_is_audited(server: Server, clients: dict[str, httpx.Client]) -> None:
    lege1, revisor = clients["lege1"], clients["revisor"]
    me = _me(server, "lege1")
    listed = lege1.post("List", json={"resourceType": "List", "status": "current", "mode": "working",
                                      "title": "Mine pasienter"}).json()
    sent = lege1.post("Communication", json={
        "resourceType": "Communication", "status": "completed", "recipient": [{"reference": _me(server, "spl1")}],
        "payload": [{"contentString": "Hei"}]}).json()
    lege1.put(f"List/{listed['id']}", json={**listed, "title": "Følger"})
    lege1.delete(f"List/{listed['id']}")
    for what, subtypes in ((f"List/{listed['id']}", ("create", "update", "delete")),
                           (f"Communication/{sent['id']}", ("create",))):
        audit = entries(revisor.get("AuditEvent", params={"entity": what, "agent": me, "_count": 50}).json())
        assert {e["subtype"][0]["code"] for e in audit} >= set(subtypes), what
    assert outcome_text(lege1.post("Practitioner", json={"resourceType": "Practitioner"}))
