"""Lab results, microbiology, signing, following and notifications against a running mock EPJ,
checked against what the database holds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from mobile_app.domain.labs import needs_signing
from mobile_app.domain.models import LabFlag, NotificationKind, NotificationView, ResultVersion
from mobile_app.epj.errors import AccessDenied, Conflict
from mobile_app.epj.signing import SignConflict
from tests.epj.conftest import Login, SeedData
from tests.mock_epj.conftest import Server, login

from .conftest import EXTRA_RESULTS, practitioner

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


async def test_a_patient_with_two_thousand_more_results_loads_completely(
        reader: Login, seed: SeedData, long_patient: str) -> None:
    lege1 = await reader("lege1")
    before = lege1.client.round_trips
    panel = await lege1.client.lab_results(long_patient)
    stored = len(lab_observations(seed, long_patient)) + EXTRA_RESULTS
    assert panel.complete
    assert sum(len(h) for h in panel.history.values()) == stored
    assert lege1.client.round_trips - before == 2  # the first page, then every other page in one batch
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


async def test_signing_one_result_stores_the_signature_and_is_audited(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1 = await writer("lege1")
    panel = await lege1.client.lab_results(ward_patients[1])
    target = panel.latest[0]
    started = datetime.now(UTC) - timedelta(seconds=2)
    [done] = await lege1.client.sign_results([target], practitioner(lege1))
    assert (done.id, done.version, done.signature.practitioner_id) == (target.id, "2", lege1.practitioner_id)
    again = next(r for r in (await lege1.client.lab_results(ward_patients[1])).latest if r.id == target.id)
    assert again.signature is not None
    assert (again.signature.name, again.signature.practitioner_id) == (lege1.login.name, lege1.practitioner_id)
    assert again.signature.at is not None and again.signature.at >= started.replace(microsecond=0)
    assert again.version == "2" and again.value == target.value
    with login(write_server.url, "revisor") as revisor:
        audit = revisor.get("AuditEvent", params={"entity": f"Observation/{target.id}", "_count": 50}).json()
    writes = [e for e in audit.get("entry", []) if e["resource"]["subtype"][0]["code"] == "update"]
    assert len(writes) == 1
    assert writes[0]["resource"]["agent"][0]["who"]["reference"] == f"Practitioner/{lege1.practitioner_id}"


async def test_signing_several_results_is_one_transaction(writer: Login, ward_patients: list[str]) -> None:
    lege1 = await writer("lege1")
    panel = await lege1.client.lab_results(ward_patients[2])
    chosen = panel.unsigned()[:5]
    before = lege1.client.round_trips
    done = await lege1.client.sign_results(chosen, practitioner(lege1))
    assert lege1.client.round_trips - before == 2  # read the versions, then one transaction
    assert [d.id for d in done] == [r.id for r in chosen]
    after = await lege1.client.lab_results(ward_patients[2])
    signed = {r.id for r in after.history_of(chosen[0].analyte) + tuple(
        r for h in after.history.values() for r in h) if r.signed}
    assert signed == {r.id for r in chosen}


async def test_a_result_changed_since_it_was_seen_is_not_signed_and_the_conflict_names_who(
        writer: Login, ward_patients: list[str]) -> None:
    lege1, spl1 = await writer("lege1"), await writer("spl1")
    panel = await lege1.client.lab_results(ward_patients[3])
    first, second = panel.latest[0], panel.latest[1]
    await spl1.client.sign_results([first], practitioner(spl1))
    with pytest.raises(SignConflict) as refused:
        await lege1.client.sign_results([first, second], practitioner(lege1))
    assert isinstance(refused.value, Conflict)
    [changed] = refused.value.changed
    assert (changed.id, changed.changed_by, changed.seen_version, changed.version) == (
        first.id, spl1.login.name, "1", "2")
    assert spl1.login.name in str(refused.value)
    after = {r.id: r for h in (await lege1.client.lab_results(ward_patients[3])).history.values() for r in h}
    assert after[second.id].signature is None  # all or nothing
    signature = after[first.id].signature
    assert signature is not None and signature.name == spl1.login.name


async def test_a_change_between_reading_and_writing_is_caught_by_the_servers_version_check(
        writer: Login, ward_patients: list[str]) -> None:
    lege1, spl1 = await writer("lege1"), await writer("spl1")
    panel = await lege1.client.lab_results(ward_patients[3])
    target = panel.latest[2]
    original = lege1.client._batch
    raced = False

    async def batch_then_spl1_signs(urls: list[str], *args: Any, **kwargs: Any) -> Any:
        nonlocal raced
        answer = await original(urls, *args, **kwargs)
        if not raced:  # spl1 signs just after lege1 has read the versions
            raced = True
            await spl1.client.sign_results([ResultVersion(id=target.id, version="1")], practitioner(spl1))
        return answer

    lege1.client._batch = batch_then_spl1_signs  # type: ignore[method-assign]
    with pytest.raises(SignConflict) as refused:
        await lege1.client.sign_results([target], practitioner(lege1))
    assert refused.value.changed[0].changed_by == spl1.login.name
    assert f"was saved by {spl1.login.name}" in refused.value.server_detail  # the server's 412


async def test_the_server_refuses_a_signature_in_someone_elses_name(
        writer: Login, ward_patients: list[str]) -> None:
    lege1, spl1 = await writer("lege1"), await writer("spl1")
    target = (await spl1.client.lab_results(ward_patients[1])).latest[0]
    with pytest.raises(AccessDenied, match="own name"):
        await spl1.client.sign_results([target], practitioner(lege1))


async def test_the_ward_list_marks_patients_with_unsigned_new_results(
        writer: Login, seed: SeedData, ward_patients: list[str]) -> None:
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
    await lege1.client.sign_results([r for r in panel.unsigned() if needs_signing(r, now)], practitioner(lege1))
    assert await lege1.client.unsigned_new_results("ward-med") == marked - {patient}


# ------------------------------------------------------------------ following and notifications


async def arrive(server: Server, patient: str) -> None:
    async with httpx.AsyncClient() as admin:
        response = await admin.post(f"{server.url}/_admin/labs", json={"patient": patient})
        response.raise_for_status()


async def test_following_brings_a_lab_notification_to_the_follower_only(
        writer: Login, write_server: Server, ward_patients: list[str]) -> None:
    lege1, spl1 = await writer("lege1"), await writer("spl1")
    patient = ward_patients[4]
    await lege1.client.follow(patient)
    await lege1.client.follow(patient)  # twice is still one subscription
    assert await lege1.client.following() == {patient}
    assert await spl1.client.following() == set()
    before = {n.id for n in await spl1.client.notifications(spl1.practitioner_id)}
    await arrive(write_server, patient)
    found = [n for n in await lege1.client.notifications(lege1.practitioner_id)
             if n.kind is NotificationKind.LAB_RESULT]
    assert len(found) == 1
    [note] = found
    assert (note.patient_id, note.open_view, note.read) == (patient, NotificationView.LAB, False)
    assert note.text.startswith("Nye prøvesvar")
    assert {n.id for n in await spl1.client.notifications(spl1.practitioner_id)} == before
    assert await lege1.client.mark_notification_read(note.id)
    again = next(n for n in await lege1.client.notifications(lege1.practitioner_id) if n.id == note.id)
    assert again.read
    await lege1.client.unfollow(patient)
    assert await lege1.client.following() == set()
    await arrive(write_server, patient)
    assert [n for n in await lege1.client.notifications(lege1.practitioner_id)
            if n.kind is NotificationKind.LAB_RESULT] == [again]


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
             if t["owner"]["reference"] == me and t["status"] in ("requested", "in-progress")]
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
