"""Lab results, microbiology, signing, following and notifications against a running mock EPJ,
checked against what the database holds."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mobile_app.domain.labs import needs_signing
from mobile_app.domain.models import LabFlag, NotificationKind, NotificationView
from mobile_app.epj.errors import AccessDenied, Conflict, Offline
from mobile_app.epj.signing import SignConflict
from tests.support.database import SeedData, copy_db
from tests.support.epj_logins import Login, logins_to, practitioner
from tests.support.lab_history import EXTRA_RESULTS, add_long_history
from tests.support.mock_server import Server, login, serve

pytestmark = pytest.mark.asyncio

INTERPRETATION_FLAGS = {"N": LabFlag.NORMAL, "L": LabFlag.LOW, "H": LabFlag.HIGH,
                        "LL": LabFlag.CRITICAL_LOW, "HH": LabFlag.CRITICAL_HIGH}
LAB_CATEGORY = "laboratory"


def lab_observations(seed: SeedData, patient_id: str) -> list[dict[str, Any]]:
    """The patient's blood tests as stored (not the microbiology results)."""
    return [o for o in seed.of_patient("Observation", patient_id)
            if any(c["code"] == LAB_CATEGORY for cat in o.get("category", []) for c in cat["coding"])
            and not o["code"]["coding"][0]["system"].startswith("https://visitt.example.no/fhir/CodeSystem/anti")
            and not o["code"]["coding"][0]["system"].endswith("micro-observation")]


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def test_a_long_history_loads_completely_from_a_strict_server(
        strict_lab_server: Server, seed: SeedData, long_patient: str) -> None:
    """Only the server's next links are followed: its opaque ``_page`` links work, and no page
    URL is made up (a strict server refuses ``_offset``)."""
    async for log_in in logins_to(strict_lab_server):
        lege1 = await log_in("lege1")
        before = lege1.client.round_trips
        panel = await lege1.client.lab_results(long_patient)
        assert panel.complete
        assert sum(len(h) for h in panel.history.values()) == len(lab_observations(seed, long_patient)) + EXTRA_RESULTS
        assert lege1.client.round_trips - before == lab_pages(seed, long_patient)


async def test_lab_results_of_a_ward_patient_match_the_database(
        reader: Login, seed: SeedData, ward_patients: list[str]) -> None:
    lege1 = await reader("lege1")
    patient = ward_patients[1]
    panel = await lege1.client.lab_results(patient)
    assert lege1.client.round_trips == 2  # login, then one batch
    stored = lab_observations(seed, patient)
    with_value = [o for o in stored if "valueQuantity" in o]
    newest: dict[str, dict[str, Any]] = {}
    for o in sorted(with_value, key=lambda o: instant(o["effectiveDateTime"])):
        newest[o["code"]["coding"][0]["code"]] = o
    assert {r.code: r.id for r in panel.latest} == {code: o["id"] for code, o in newest.items()}
    for result in panel.latest:
        source = newest[result.code]
        assert result.value == source["valueQuantity"]["value"]
        assert result.flag is INTERPRETATION_FLAGS[source["interpretation"][0]["coding"][0]["code"]]
        assert result.time == instant(source["effectiveDateTime"])
        assert result.version == "1" and not result.signed
    assert {r.id for r in panel.pending} == {o["id"] for o in stored if o["status"] == "registered"}
    assert sum(len(h) for h in panel.history.values()) == len(stored)
    for history in panel.history.values():
        times = [r.time for r in history]
        assert times == sorted(times)  # type: ignore[type-var]


def lab_pages(seed: SeedData, patient_id: str) -> int:
    """Pages of 1,000 (the mock's largest Observation page) the patient's laboratory results fill."""
    on_server = sum(1 for o in seed.of_patient("Observation", patient_id)
                    if any(c["code"] == LAB_CATEGORY for cat in o.get("category", []) for c in cat["coding"]))
    return math.ceil((on_server + EXTRA_RESULTS) / 1000)


@pytest.fixture(scope="module")
def strict_lab_server(seeded_db: Path, long_patient: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The long history on a server in strict mode: paging links are opaque, ``_offset`` is refused."""
    db = copy_db(seeded_db, tmp_path_factory.mktemp("labs-strict") / "epj.sqlite3")
    add_long_history(db, long_patient)
    yield from serve(db, strict=True)


async def test_a_patient_with_two_thousand_more_results_loads_completely(
        reader: Login, seed: SeedData, long_patient: str) -> None:
    lege1 = await reader("lege1")
    before = lege1.client.round_trips
    panel = await lege1.client.lab_results(long_patient)
    stored = len(lab_observations(seed, long_patient)) + EXTRA_RESULTS
    assert panel.complete
    assert sum(len(h) for h in panel.history.values()) == stored
    assert lege1.client.round_trips - before == lab_pages(seed, long_patient)  # a batch, then each next link
    potassium = next(r for r in panel.latest if r.code == "NPU03230")
    history = panel.history_of(potassium.analyte)
    assert len(history) > EXTRA_RESULTS
    assert sum(r.flag.is_critical for r in history) >= 5  # the critical ones of the long history


async def test_microbiology_matches_the_database_with_the_susceptibility_table(
        reader: Login, seed: SeedData, ward_patients: list[str]) -> None:
    lege1 = await reader("lege1")
    reports = {r["id"]: r for r in seed.of("DiagnosticReport")
               if r["category"][0]["coding"][0]["code"] == "MB" and r["subject"]["reference"].split("/")[1]
               in ward_patients}
    with_table = next(r for r in reports.values()
                      if "hasMember" in seed.read("Observation", r["result"][0]["reference"].split("/")[1]))
    patient = with_table["subject"]["reference"].split("/")[1]
    before = lege1.client.round_trips
    found = await lege1.client.microbiology(patient)
    assert lege1.client.round_trips - before == 1
    expected = [r for r in reports.values() if r["subject"]["reference"] == f"Patient/{patient}"]
    assert {r.id for r in found} == {r["id"] for r in expected}
    report = next(r for r in found if r.id == with_table["id"])
    organism_obs = seed.read("Observation", with_table["result"][0]["reference"].split("/")[1])
    specimen = seed.read("Specimen", with_table["specimen"][0]["reference"].split("/")[1])
    assert (report.status, report.conclusion, report.specimen) == (
        with_table["status"], with_table["conclusion"], specimen["type"]["text"])
    assert report.collected == instant(specimen["collection"]["collectedDateTime"])
    [organism] = report.organisms
    assert organism.name == organism_obs["valueCodeableConcept"]["text"]
    table = [seed.read("Observation", m["reference"].split("/")[1]) for m in organism_obs["hasMember"]]
    assert [(s.antibiotic, s.result) for s in organism.susceptibilities] == [
        (o["code"]["text"], o["interpretation"][0]["coding"][0]["code"]) for o in table]


async def test_lab_results_without_a_care_relation_are_refused_with_the_patient_named(
        reader: Login, ward_patients: list[str]) -> None:
    lege2 = await reader("lege2")
    with pytest.raises(AccessDenied) as denied:
        await lege2.client.lab_results(ward_patients[1])
    assert denied.value.patient_id == ward_patients[1]


# ------------------------------------------------------------------ signing

LAST_MODIFIED_BY = "https://visitt.example.no/fhir/StructureDefinition/last-modified-by"


def lab_corrects(server: Server, result_id: str, value: float) -> None:
    """The laboratory's system corrects a result: a new version (not through the app's API)."""
    stored = server.epj.store.read("Observation", result_id)
    assert stored is not None
    resource = stored.resource()
    resource["valueQuantity"]["value"] = value
    resource["status"] = "corrected"
    resource["meta"] = {"extension": [{"url": LAST_MODIFIED_BY, "valueReference": {"display": "Medisinsk biokjemi"}}]}
    server.epj.store.put(resource)


def audit_of(server: Server, entity: str) -> list[dict[str, Any]]:
    with login(server.url, "revisor") as revisor:
        bundle = revisor.get("AuditEvent", params={"entity": entity, "_count": 100}).json()
    return [e["resource"] for e in bundle.get("entry", [])]


def denials(server: Server, who: Any) -> int:
    """Refused creates audited for a logged-in user."""
    with login(server.url, "revisor") as revisor:
        return int(revisor.get("AuditEvent", params={
            "agent": f"Practitioner/{who.practitioner_id}", "outcome": "4", "subtype": "create",
            "_summary": "count"}).json()["total"])


async def test_signing_writes_a_provenance_and_leaves_the_results_version_alone(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1 = await writer("lege1")
    panel = await lege1.client.lab_results(ward_patients[1])
    target = panel.latest[0]
    started = datetime.now(UTC) - timedelta(seconds=2)
    [done] = await lege1.client.sign_results([target], practitioner(lege1))
    assert (done.id, done.version, done.signature.practitioner_id) == (target.id, "1", lege1.practitioner_id)
    stored = write_server.epj.store.read("Observation", target.id)
    assert stored is not None and stored.version == 1  # the lab's result is not touched
    again = next(r for r in (await lege1.client.lab_results(ward_patients[1])).latest if r.id == target.id)
    assert again.signature is not None
    assert (again.signature.name, again.signature.practitioner_id) == (lege1.login.name, lege1.practitioner_id)
    assert again.signature.at is not None and again.signature.at >= started.replace(microsecond=0)
    assert again.version == "1" and again.value == target.value
    assert not [e for e in audit_of(write_server, f"Observation/{target.id}") if e["subtype"][0]["code"] == "update"]
    with login(write_server.url, "lege1") as plain:
        [provenance] = [e["resource"] for e in plain.get("Provenance", params={
            "target": f"Observation/{target.id}"}).json()["entry"]]
    assert provenance["target"] == [{"reference": f"Observation/{target.id}/_history/1"}]
    created = [e for e in audit_of(write_server, f"Provenance/{provenance['id']}")
               if e["subtype"][0]["code"] == "create"]
    assert [e["agent"][0]["who"]["reference"] for e in created] == [f"Practitioner/{lege1.practitioner_id}"]


async def test_signing_several_results_is_one_transaction(writer: Login, ward_patients: list[str]) -> None:
    lege1 = await writer("lege1")
    panel = await lege1.client.lab_results(ward_patients[2])
    chosen = panel.unsigned()[:5]
    before = lege1.client.round_trips
    done = await lege1.client.sign_results(chosen, practitioner(lege1))
    assert lege1.client.round_trips - before == 2  # read the versions, then one transaction
    assert [d.id for d in done] == [r.id for r in chosen]
    after = await lege1.client.lab_results(ward_patients[2])
    signed = {r.id for h in after.history.values() for r in h if r.signed}
    assert signed == {r.id for r in chosen}


async def test_a_result_changed_since_it_was_seen_is_not_signed_and_the_conflict_names_who(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1 = await writer("lege1")
    panel = await lege1.client.lab_results(ward_patients[3])
    first, second = panel.latest[0], panel.latest[1]
    lab_corrects(write_server, first.id, 9.9)
    with pytest.raises(SignConflict) as refused:
        await lege1.client.sign_results([first, second], practitioner(lege1))
    assert isinstance(refused.value, Conflict)
    [changed] = refused.value.changed
    assert (changed.id, changed.changed_by, changed.seen_version, changed.version) == (
        first.id, "Medisinsk biokjemi", "1", "2")
    after = {r.id: r for h in (await lege1.client.lab_results(ward_patients[3])).history.values() for r in h}
    assert after[second.id].signature is None and after[first.id].signature is None  # all or nothing


async def test_a_value_changed_after_signing_is_unsigned_again(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1 = await writer("lege1")
    panel = await lege1.client.lab_results(ward_patients[4])
    target = panel.latest[0]
    await lege1.client.sign_results([target], practitioner(lege1))
    lab_corrects(write_server, target.id, 7.7)
    changed = next(r for h in (await lege1.client.lab_results(ward_patients[4])).history.values() for r in h
                   if r.id == target.id)
    assert (changed.version, changed.value, changed.signature) == ("2", 7.7, None)
    [again] = await lege1.client.sign_results([changed], practitioner(lege1))
    assert again.version == "2"
    signed = next(r for h in (await lege1.client.lab_results(ward_patients[4])).history.values() for r in h
                  if r.id == target.id)
    assert signed.signature is not None


async def test_a_change_between_reading_and_writing_leaves_the_new_version_unsigned(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1 = await writer("lege1")
    panel = await lege1.client.lab_results(ward_patients[3])
    target = panel.latest[2]
    original = lege1.client.transport.batch
    raced = False

    async def batch_then_the_lab_corrects(urls: list[str], *args: Any, **kwargs: Any) -> Any:
        nonlocal raced
        answer = await original(urls, *args, **kwargs)
        if not raced:  # the lab corrects the value just after lege1 has read the versions
            raced = True
            lab_corrects(write_server, target.id, 1.1)
        return answer

    lege1.client.transport.batch = batch_then_the_lab_corrects  # type: ignore[method-assign]
    [done] = await lege1.client.sign_results([target], practitioner(lege1))
    assert done.version == "1"  # what the doctor saw is what was signed
    lege1.client.transport.batch = original  # type: ignore[method-assign]
    now = next(r for h in (await lege1.client.lab_results(ward_patients[3])).history.values() for r in h
               if r.id == target.id)
    assert (now.version, now.signature) == ("2", None)


async def test_only_a_doctor_signs_and_only_in_their_own_name(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1, spl1 = await writer("lege1"), await writer("spl1")
    target = (await spl1.client.lab_results(ward_patients[1])).latest[0]
    users = {"lege1": lege1, "spl1": spl1}
    before = {name: denials(write_server, who) for name, who in users.items()}
    with pytest.raises(AccessDenied, match="Only a doctor"):
        await spl1.client.sign_results([target], practitioner(spl1))
    with pytest.raises(AccessDenied, match="own name"):
        await lege1.client.sign_results([target], practitioner(spl1))
    assert {name: denials(write_server, users[name]) - count for name, count in before.items()} == {
        "lege1": 1, "spl1": 1}
    after = next(r for r in (await lege1.client.lab_results(ward_patients[1])).latest if r.id == target.id)
    assert after.signature is None


async def test_the_ward_list_marks_patients_with_unsigned_new_results(
        writer: Login, write_server: Server, seed: SeedData, ward_patients: list[str]) -> None:
    lege1 = await writer("lege1")
    now = datetime.now(UTC)
    before = lege1.client.round_trips
    marked = await lege1.client.unsigned_new_results("ward-med")
    assert lege1.client.round_trips - before == 1
    recent = {p for p in ward_patients for o in lab_observations(seed, p)
              if "valueQuantity" in o and now - instant(o["effectiveDateTime"]) <= timedelta(hours=48)}
    assert marked == recent and marked
    patient = sorted(marked)[0]
    panel = await lege1.client.lab_results(patient)
    due = [r for r in panel.unsigned() if needs_signing(r, now)]
    await lege1.client.sign_results(due, practitioner(lege1))
    assert await lege1.client.unsigned_new_results("ward-med") == marked - {patient}
    assert patient not in (await lege1.client.ward_markers("ward-med")).unsigned
    lab_corrects(write_server, due[0].id, 0.5)  # a signed result changes: unsigned again
    assert patient in await lege1.client.unsigned_new_results("ward-med")
    assert patient in (await lege1.client.ward_markers("ward-med")).unsigned


# ------------------------------------------------------------------ following and notifications


async def arrive(server: Server, patient: str) -> list[str]:
    async with httpx.AsyncClient() as admin:
        response = await admin.post(f"{server.url}/_admin/labs", json={"patient": patient})
        response.raise_for_status()
        return [str(c) for c in response.json()["created"]]


def follow_lists(server: Server, practitioner_id: str) -> list[dict[str, Any]]:
    """Every following List the database holds for the practitioner."""
    rows = server.epj.store.read_rids(server.epj.store.queries.rids_referring_to(
        "List", "source", [f"Practitioner/{practitioner_id}"]))
    return [r.resource() for r in rows if not r.deleted
            and r.resource()["code"]["coding"][0]["code"] == "followed-patients"]


async def test_following_is_one_entry_on_my_own_list_that_no_colleague_sees(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1, phone2, spl1 = await writer("lege1"), await writer("lege1"), await writer("spl1")
    me, patient, other = lege1.practitioner_id, ward_patients[4], ward_patients[5]
    await asyncio.gather(lege1.client.follow(me, patient), phone2.client.follow(me, patient))  # two phones at once
    await lege1.client.follow(me, patient)  # again
    [stored] = follow_lists(write_server, me)
    assert [e["item"]["reference"] for e in stored["entry"]] == [f"Patient/{patient}"]
    # A write that reached the server but whose answer was lost, sent again (as a retry does).
    original = lege1.client.transport.request

    async def answer_lost(method: str, url: str, **kwargs: Any) -> Any:
        answer = await original(method, url, **kwargs)
        if method in ("POST", "PUT"):
            raise Offline("The answer was lost", request_sent=True)
        return answer

    lege1.client.transport.request = answer_lost  # type: ignore[method-assign]
    with pytest.raises(Offline):
        await lege1.client.follow(me, other)
    lege1.client.transport.request = original  # type: ignore[method-assign]
    await lege1.client.follow(me, other)
    [stored] = follow_lists(write_server, me)
    assert [e["item"]["reference"] for e in stored["entry"]] == [f"Patient/{patient}", f"Patient/{other}"]
    assert await lege1.client.following(me) == {patient, other}
    assert await spl1.client.following(spl1.practitioner_id) == set()
    assert await spl1.client.following(me) == set()  # my list, asked for by a colleague
    with login(write_server.url, "spl1") as colleague:
        assert colleague.get(f"List/{stored['id']}").status_code == 404
        assert colleague.get("List", params={"item": f"Patient/{patient}"}).json().get("total", 0) == 0
    await lege1.client.unfollow(me, patient)
    assert await lege1.client.following(me) == {other}


async def test_new_results_of_followed_patients_are_found_with_lastupdated_and_only_by_the_follower(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1, spl1 = await writer("lege1"), await writer("spl1")
    patient = ward_patients[4]
    await lege1.client.follow(lege1.practitioner_id, patient)
    shown = await lege1.client.notifications(lege1.practitioner_id)
    assert not [n for n in shown if n.kind is NotificationKind.LAB_RESULT]  # nothing new since following began
    before = {n.id for n in await spl1.client.notifications(spl1.practitioner_id)}
    await asyncio.sleep(0.01)
    created = await arrive(write_server, patient)
    assert not [c for c in created if c.startswith("Communication/")]  # the app needs no message from the server
    since = max(n.updated for n in shown if n.updated) if any(n.updated for n in shown) else None
    calls = lege1.client.round_trips
    found = [n for n in await lege1.client.notifications(lege1.practitioner_id, since)
             if n.kind is NotificationKind.LAB_RESULT]
    assert lege1.client.round_trips - calls == 2  # messages, tasks and my list; then one search for all followed
    [note] = found
    assert (note.patient_id, note.open_view, note.read) == (patient, NotificationView.LAB, False)
    assert "CRP" in note.text and len(note.text.split(", ")) == 6, note.text  # the panel's six analytes
    assert {n.id for n in await spl1.client.notifications(spl1.practitioner_id)} == before
    # Asked again since this one: nothing new.
    assert not [n for n in await lege1.client.notifications(lege1.practitioner_id, note.updated)
                if n.kind is NotificationKind.LAB_RESULT]
    await lege1.client.unfollow(lege1.practitioner_id, patient)
    await arrive(write_server, patient)
    assert not [n for n in await lege1.client.notifications(lege1.practitioner_id)
                if n.kind is NotificationKind.LAB_RESULT]


async def test_notifications_hold_messages_and_open_tasks_newest_first_in_one_round_trip(
        writer: Login, seed: SeedData) -> None:
    lege1 = await writer("lege1")
    me = f"Practitioner/{lege1.practitioner_id}"
    before = lege1.client.round_trips
    found = await lege1.client.notifications(lege1.practitioner_id)
    assert lege1.client.round_trips - before == 1
    messages = [c for c in seed.of("Communication") if c["category"][0]["coding"][0]["code"] == "internal-message"
                and any(r["reference"] == me for r in c["recipient"])]
    tasks = [t for t in seed.of("Task")
             if t["owner"]["reference"] == me and t["status"] in ("requested", "received", "accepted", "in-progress")]
    assert {n.id for n in found} == {f"Communication/{c['id']}" for c in messages} | {f"Task/{t['id']}" for t in tasks}
    times = [n.time for n in found]
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]
    unread_task = next(n for n in found if n.kind is NotificationKind.TASK and not n.read)
    assert await lege1.client.mark_notifications_read([unread_task.id]) == 1
    assert await lege1.client.mark_notifications_read([unread_task.id]) == 0  # already read
    latest = max(n.updated for n in found if n.updated)
    await asyncio.sleep(0.01)
    changed = await lege1.client.notifications(lege1.practitioner_id, since=latest)
    assert [(n.id, n.read, n.status) for n in changed] == [(unread_task.id, True, "received")]
