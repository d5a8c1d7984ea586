"""The fault matrix for the structured registrations against the real mock EPJ: whatever the network
does, a set of vital signs (nine resources in one transaction), a thrombosis-risk assessment and a
scale choice each end as exactly one copy in the EPJ, or as an item that says why not."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from mobile_app.domain.news2 import Consciousness
from mobile_app.domain.padua import PaduaItem
from mobile_app.domain.recording import Payload, Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.domain.vital_entry import OxygenDevice
from mobile_app.epj import recording_mapping as rm
from mobile_app.epj.terminology import terms
from mobile_app.epj.write_mapping import URI
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ClientDelivery, Delivered, ItemState, OutboxItem, Reason
from mobile_app.services.outbox_store import EncryptedOutboxStore
from tests.support.memory_keyring import MemoryKeyring
from tests.support.outboxes import FAST, delivered, outbox_for
from tests.support.restartable_epj import RestartableEpj

HYPERCAPNIC = "pat-000041"


def vital_set(author: str, patient: str) -> VitalSignsDraft:
    return VitalSignsDraft(patient_id=patient, author_id=author, respiration=24, spo2=93, on_oxygen=True,
                           oxygen_flow=2, oxygen_device=OxygenDevice.NASAL_CANNULA, systolic=105, diastolic=70,
                           pulse=112, consciousness=Consciousness.ALERT, temperature=38.4)


def copies(epj: RestartableEpj, payload: Payload) -> dict[str, int]:
    """How many copies the EPJ holds of each resource the registration makes."""
    if isinstance(payload, VitalSignsDraft):
        bundle = rm.vital_signs_transaction(payload)
        return {e["resource"]["code"]["coding"][0]["code"]: len(epj.copies("Observation", URI, e["fullUrl"]))
                for e in bundle["entry"]}
    if isinstance(payload, ThrombosisRiskDraft):
        answers = [r for r in epj.rows("QuestionnaireResponse")
                   if r.get("identifier", {}).get("value") == rm.full_url(payload.client_id, "answers")]
        return {"RiskAssessment": len(epj.copies("RiskAssessment", URI, f"urn:uuid:{payload.client_id}")),
                "QuestionnaireResponse": len(answers)}
    assert isinstance(payload, Spo2ScaleDraft)
    return {"Flag": len(epj.copies("Flag", terms().identifier_systems.spo2_scale, payload.patient_id))}


def draft_of(kind: str, author: str, patient: str) -> Payload:
    if kind == "vital-signs":
        return vital_set(author, patient)
    if kind == "thrombosis-risk":
        return ThrombosisRiskDraft(patient_id=patient, author_id=author,
                                   present=(PaduaItem.ACTIVE_CANCER, PaduaItem.AGE_70))
    return Spo2ScaleDraft(patient_id=HYPERCAPNIC, author_id=author, scale=1)


def once(found: dict[str, int]) -> bool:
    return bool(found) and set(found.values()) == {1}


@pytest.mark.parametrize("kind", ["vital-signs", "thrombosis-risk", "spo2-scale"])
async def test_response_lost_after_the_server_stored_it_gives_exactly_one_copy(epj: RestartableEpj, kind: str) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    payload = draft_of(kind, me.practitioner_id, epj.inpatient())
    epj.faults(drop_next=1, drop_after_processing=True, methods=["POST"])
    item = await outbox.submit(payload)
    assert item.state is ItemState.WAITING and item.possibly_delivered
    assert once(copies(epj, payload))  # stored, though the answer was lost
    outbox.retry_now()
    await outbox.run_due()
    sent = outbox.get(item.id)
    assert sent.state is ItemState.SENT, sent.last_error
    assert once(copies(epj, payload))
    assert delivered(sent).resource_id


async def test_server_down_at_send_waits_then_the_set_is_sent_once(epj: RestartableEpj) -> None:
    client, me = await epj.login("spl1")
    outbox = outbox_for(client, me.practitioner_id)
    epj.stop()
    payload = vital_set(me.practitioner_id, epj.inpatient())
    item = await outbox.submit(payload)
    assert item.state is ItemState.WAITING and not item.possibly_delivered
    assert item.last_error is not None and item.last_error.reason is Reason.OFFLINE
    assert set(copies(epj, payload).values()) == {0}
    epj.restart()
    outbox.retry_now()
    assert await outbox.run_due() == 1
    assert outbox.get(item.id).state is ItemState.SENT
    assert once(copies(epj, payload))


async def test_503_then_success_is_retried_by_the_loop(epj: RestartableEpj) -> None:
    client, me = await epj.login("spl1")
    outbox = outbox_for(client, me.practitioner_id)
    epj.faults(error_next=1, methods=["POST"])
    outbox.start()
    try:
        payload = vital_set(me.practitioner_id, epj.inpatient())
        item = await outbox.submit(payload)
        assert item.state is ItemState.WAITING and item.last_error is not None
        assert item.last_error.status == 503
        for _ in range(100):
            if outbox.get(item.id).state is ItemState.SENT:
                break
            await asyncio.sleep(0.02)
    finally:
        await outbox.stop()
    assert outbox.get(item.id).state is ItemState.SENT and outbox.get(item.id).attempts == 2
    assert once(copies(epj, payload))


async def test_a_refused_registration_fails_at_once_and_stores_nothing(epj: RestartableEpj) -> None:
    client, me = await epj.login("hfa1")  # a health worker: vital signs yes, thrombosis risk no
    outbox = outbox_for(client, me.practitioner_id)
    payload = draft_of("thrombosis-risk", me.practitioner_id, epj.inpatient())
    item = await outbox.submit(payload)
    assert item.state is ItemState.FAILED and item.last_error is not None
    assert (item.last_error.reason, item.last_error.status) == (Reason.ACCESS_DENIED, 403)
    assert set(copies(epj, payload).values()) == {0}
    allowed = await outbox.submit(vital_set(me.practitioner_id, epj.inpatient()))
    assert allowed.state is ItemState.SENT


async def test_app_restarted_with_sets_waiting_delivers_them_once(epj: RestartableEpj, tmp_path: Path,
                                                                  memory_keyring: MemoryKeyring) -> None:
    client, me = await epj.login("spl1")
    first = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    epj.stop()
    payloads: list[Any] = [vital_set(me.practitioner_id, epj.inpatient()) for _ in range(2)]
    items = [await first.submit(p) for p in payloads]
    assert all(i.state is ItemState.WAITING for i in items)
    raw = next((tmp_path / "outbox").glob("*.outbox")).read_bytes()
    for plain in (epj.inpatient(), "38.4", "vital-signs", "nasal-cannula"):
        assert plain.encode() not in raw  # encrypted at rest
    del first  # the app is killed
    epj.restart()
    again = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    again.retry_now()
    assert await again.run_due() == 2
    assert all(again.get(i.id).state is ItemState.SENT for i in items)
    assert all(once(copies(epj, p)) for p in payloads)


async def test_crash_while_sending_after_the_server_stored_the_set_is_found_again(
        epj: RestartableEpj, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    client, me = await epj.login("spl1")
    store = EncryptedOutboxStore(tmp_path / "outbox")
    snapshot = tmp_path / "at-crash.bin"
    real = ClientDelivery(client)

    async def deliver_then_crash(item: OutboxItem) -> Delivered:
        result = await real(item)
        shutil.copy(store.path(me.practitioner_id), snapshot)  # the disk still says "sending"
        return result

    first = Outbox(deliver_then_crash, store, backoff=FAST)
    first.open(me.practitioner_id)
    payload = vital_set(me.practitioner_id, epj.inpatient())
    item = await first.submit(payload)
    assert item.state is ItemState.SENT
    shutil.copy(snapshot, store.path(me.practitioner_id))
    again = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    assert again.get(item.id).possibly_delivered
    await again.run_due()
    assert again.get(item.id).state is ItemState.SENT
    assert once(copies(epj, payload))


async def test_a_second_scale_choice_while_the_first_waits_replaces_it(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    epj.stop()
    await outbox.submit(Spo2ScaleDraft(patient_id=HYPERCAPNIC, author_id=me.practitioner_id, scale=1))
    await outbox.submit(Spo2ScaleDraft(patient_id=HYPERCAPNIC, author_id=me.practitioner_id, scale=2))
    assert len(outbox.items) == 1  # one unsent write per patient's scale
    epj.restart()
    outbox.retry_now()
    await outbox.run_due()
    (flag,) = epj.copies("Flag", terms().identifier_systems.spo2_scale, HYPERCAPNIC)
    assert flag["code"]["coding"][0]["code"] == "scale-2"
