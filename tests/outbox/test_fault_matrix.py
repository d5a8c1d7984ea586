"""The fault matrix against the real mock EPJ and its fault injection: whatever the network does,
each write ends as exactly one copy in the EPJ, or as a failed item that says why."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from mobile_app.domain.writing import MessageDraft, NoteDraft, NoteStatus, PatientNoteDraft
from mobile_app.epj.client import EpjClient
from mobile_app.epj.terminology import terms
from mobile_app.epj.write_mapping import URI
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ClientDelivery, Delivered, ItemState, OutboxItem, Reason
from mobile_app.services.outbox_store import EncryptedOutboxStore
from tests.support.epj_logins import token_login
from tests.support.memory_keyring import MemoryKeyring
from tests.support.outboxes import FAST, delivered, outbox_for
from tests.support.restartable_epj import RestartableEpj


def signed_note(author: str, patient: str, text: str = "Sign and send: pasienten er i bedring.") -> NoteDraft:
    return NoteDraft(patient_id=patient, author_id=author, text=text, status=NoteStatus.FINAL,
                     author_name="Kari Nordmann")


def note_copies(epj: RestartableEpj, item: OutboxItem) -> int:
    return len(epj.copies("DocumentReference", URI, f"urn:uuid:{item.id}"))


async def test_server_down_at_send_waits_then_is_sent_once(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    epj.stop()
    item = await outbox.submit(signed_note(me.practitioner_id, epj.inpatient()))
    assert item.state is ItemState.WAITING
    assert item.last_error is not None and item.last_error.reason is Reason.OFFLINE
    assert not item.possibly_delivered  # the connection was refused: nothing can have arrived
    assert note_copies(epj, item) == 0
    epj.restart()
    outbox.retry_now()
    assert await outbox.run_due() == 1
    sent = outbox.get(item.id)
    assert sent.state is ItemState.SENT and delivered(sent).resource_type == "DocumentReference"
    assert note_copies(epj, item) == 1


async def test_server_restarted_as_a_new_process_pauses_until_login_again(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    epj.stop()
    item = await outbox.submit(signed_note(me.practitioner_id, epj.inpatient()))
    epj.restart(fresh=True)  # a new server has forgotten every token
    outbox.retry_now()
    await outbox.run_due()
    paused = outbox.get(item.id)
    assert paused.state is ItemState.WAITING and paused.paused
    assert paused.last_error is not None and paused.last_error.reason is Reason.NOT_LOGGED_IN
    assert await outbox.run_due() == 0  # paused items wait for a login, not for the clock
    await token_login(client, "lege1")
    outbox.retry_now()
    await outbox.run_due()
    assert outbox.get(item.id).state is ItemState.SENT
    assert note_copies(epj, item) == 1


@pytest.mark.parametrize("kind", ["note", "message", "ward-note"])
async def test_response_lost_after_the_server_stored_it_gives_exactly_one_copy(epj: RestartableEpj, kind: str) -> None:
    client, me = await epj.login("lege1")
    _, colleague = await epj.login("spl1")
    outbox = outbox_for(client, me.practitioner_id)
    patient = epj.inpatient()
    payload: NoteDraft | MessageDraft | PatientNoteDraft
    if kind == "note":
        payload = signed_note(me.practitioner_id, patient)
        resource_type, system, value = "DocumentReference", URI, f"urn:uuid:{payload.client_id}"
    elif kind == "message":
        payload = MessageDraft(author_id=me.practitioner_id, recipient_id=colleague.practitioner_id,
                               text="Kan du se til pasienten?", about_patient_id=patient)
        resource_type, system, value = "Communication", URI, f"urn:uuid:{payload.client_id}"
    else:
        payload = PatientNoteDraft(kind="ward-note", patient_id=patient, author_id=me.practitioner_id,
                                   text="Fastende fra midnatt")
        resource_type, system, value = "Flag", terms().identifier_systems.ward_note, patient
    epj.faults(drop_next=1, drop_after_processing=True, methods=["POST"])
    item = await outbox.submit(payload)
    assert item.state is ItemState.WAITING and item.possibly_delivered
    assert len(epj.copies(resource_type, system, value)) == 1  # stored, though the answer was lost
    outbox.retry_now()
    await outbox.run_due()
    sent = outbox.get(item.id)
    assert sent.state is ItemState.SENT, sent.last_error
    copies = epj.copies(resource_type, system, value)
    assert len(copies) == 1
    assert copies[0]["id"] == delivered(sent).resource_id
    assert copies[0]["meta"]["versionId"] == "1"  # found again, not written again


async def test_lost_answer_to_an_update_is_recognised_by_its_write_id(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    patient = epj.inpatient()
    first = await client.save_patient_note(PatientNoteDraft(kind="ward-note", patient_id=patient,
                                                            author_id=me.practitioner_id, text="Versjon 1"))
    epj.faults(drop_next=1, drop_after_processing=True, methods=["PUT"])
    item = await outbox.submit(PatientNoteDraft(kind="ward-note", patient_id=patient, author_id=me.practitioner_id,
                                                text="Versjon 2", version=first.version, note_id=first.id))
    assert item.state is ItemState.WAITING and item.possibly_delivered
    outbox.retry_now()
    await outbox.run_due()  # If-Match 1 now gives 412, but version 2 carries this item's write id
    sent = outbox.get(item.id)
    assert sent.state is ItemState.SENT, sent.last_error
    assert delivered(sent).version == "2"
    (stored,) = epj.copies("Flag", terms().identifier_systems.ward_note, patient)
    assert stored["code"]["text"] == "Versjon 2" and stored["meta"]["versionId"] == "2"


async def test_503_then_success_is_retried_by_the_loop_with_backoff(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    epj.faults(error_next=1, methods=["POST"])
    changes: list[list[OutboxItem]] = []
    outbox.on_change(changes.append)
    outbox.start()
    try:
        item = await outbox.submit(signed_note(me.practitioner_id, epj.inpatient()))
        assert item.state is ItemState.WAITING
        assert item.last_error is not None
        assert (item.last_error.reason, item.last_error.status) == (Reason.SERVER_ERROR, 503)
        assert item.next_attempt_at is not None
        for _ in range(100):  # the loop retries after about 50 ms
            if outbox.get(item.id).state is ItemState.SENT:
                break
            await asyncio.sleep(0.02)
    finally:
        await outbox.stop()
    sent = outbox.get(item.id)
    assert sent.state is ItemState.SENT and sent.attempts == 2
    assert note_copies(epj, item) == 1
    states = [next(i.state for i in snapshot if i.id == item.id) for snapshot in changes if snapshot]
    assert states[:3] == [ItemState.WAITING, ItemState.SENDING, ItemState.WAITING]
    assert states[-1] is ItemState.SENT


async def test_403_for_a_patient_without_care_relation_fails_at_once_and_is_not_retried(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege2")  # Kirurgisk sengepost
    outbox = outbox_for(client, me.practitioner_id)
    item = await outbox.submit(signed_note(me.practitioner_id, epj.inpatient("ward-med")))
    assert item.state is ItemState.FAILED and item.attempts == 1
    assert item.last_error is not None
    assert (item.last_error.reason, item.last_error.status) == (Reason.ACCESS_DENIED, 403)
    assert "care relation" in item.last_error.detail
    outbox.retry_now()
    assert await outbox.run_due() == 0
    assert outbox.get(item.id).attempts == 1
    assert note_copies(epj, item) == 0


async def test_422_from_the_server_fails_with_its_reason_and_is_not_retried(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    item = await outbox.submit(signed_note(me.practitioner_id, "pat-does-not-exist"))
    assert item.state is ItemState.FAILED
    assert item.last_error is not None
    assert (item.last_error.reason, item.last_error.status) == (Reason.INVALID, 422)
    assert "does not exist" in item.last_error.detail
    outbox.retry_now()
    assert await outbox.run_due() == 0
    assert note_copies(epj, item) == 0


async def test_app_restarted_with_items_waiting_delivers_them_once(epj: RestartableEpj, tmp_path: Path,
                                                                   memory_keyring: MemoryKeyring) -> None:
    client, me = await epj.login("lege1")
    first = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    epj.stop()
    items = [await first.submit(signed_note(me.practitioner_id, epj.inpatient(), f"Notat nummer {n}"))
             for n in range(3)]
    assert all(i.state is ItemState.WAITING for i in items)
    del first  # the app is killed: nothing is closed or flushed
    epj.restart()
    again = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    assert again.persistent
    assert sorted(i.id for i in again.items) == sorted(i.id for i in items)
    again.retry_now()
    assert await again.run_due() == 3
    assert all(again.get(i.id).state is ItemState.SENT for i in items)
    assert [note_copies(epj, i) for i in items] == [1, 1, 1]
    assert not list((tmp_path / "outbox").glob("*.outbox"))  # nothing unsent is left on disk


async def test_crash_while_sending_after_the_server_stored_it_is_found_again(epj: RestartableEpj, tmp_path: Path,
                                                                             memory_keyring: MemoryKeyring) -> None:
    client, me = await epj.login("lege1")
    store = EncryptedOutboxStore(tmp_path / "outbox")
    snapshot = tmp_path / "at-crash.bin"
    real = ClientDelivery(client)

    async def deliver_then_crash(item: OutboxItem) -> Delivered:
        result = await real(item)  # the EPJ stored it ...
        shutil.copy(store.path(me.practitioner_id), snapshot)  # ... and the disk still says "sending"
        return result

    first = Outbox(deliver_then_crash, store, backoff=FAST)
    first.open(me.practitioner_id)
    item = await first.submit(signed_note(me.practitioner_id, epj.inpatient()))
    assert item.state is ItemState.SENT
    shutil.copy(snapshot, store.path(me.practitioner_id))  # the app died before recording it
    again = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    restored = again.get(item.id)
    assert restored.state is ItemState.WAITING and restored.possibly_delivered
    await again.run_due()
    assert again.get(item.id).state is ItemState.SENT
    assert note_copies(epj, item) == 1


async def test_two_users_edit_the_same_ward_note_and_the_second_loses_nothing(epj: RestartableEpj) -> None:
    doctor_client, doctor = await epj.login("lege1")
    nurse_client, nurse = await epj.login("spl1")
    patient = epj.inpatient()
    await doctor_client.save_patient_note(PatientNoteDraft(kind="ward-note", patient_id=patient,
                                                           author_id=doctor.practitioner_id, text="Mobiliseres"))
    _, seen_by_doctor = await doctor_client.list_own_and_ward_notes(patient)
    _, seen_by_nurse = await nurse_client.list_own_and_ward_notes(patient)
    assert seen_by_doctor is not None and seen_by_nurse is not None
    doctors = outbox_for(doctor_client, doctor.practitioner_id)
    nurses = outbox_for(nurse_client, nurse.practitioner_id)
    saved = await doctors.submit(PatientNoteDraft(
        kind="ward-note", patient_id=patient, author_id=doctor.practitioner_id, text="Mobiliseres med rullator",
        version=seen_by_doctor.version, note_id=seen_by_doctor.id))
    assert saved.state is ItemState.SENT
    mine = "Fastende fra kl. 24 til gastroskopi"
    lost = await nurses.submit(PatientNoteDraft(
        kind="ward-note", patient_id=patient, author_id=nurse.practitioner_id, text=mine,
        version=seen_by_nurse.version, note_id=seen_by_nurse.id))
    assert lost.state is ItemState.FAILED
    assert lost.last_error is not None and lost.last_error.reason is Reason.CONFLICT
    assert lost.last_error.changed_by == doctor.name
    assert lost.last_error.changed_at is not None
    assert isinstance(lost.payload, PatientNoteDraft) and lost.payload.text == mine  # nothing lost
    _, reloaded = await nurse_client.list_own_and_ward_notes(patient)  # "reload", then apply again
    assert reloaded is not None and reloaded.text == "Mobiliseres med rullator"
    merged = lost.payload.model_copy(update={"text": f"{reloaded.text}. {mine}", "version": reloaded.version})
    again = await nurses.edit(lost.id, merged)
    assert again.state is ItemState.SENT
    (stored,) = epj.copies("Flag", terms().identifier_systems.ward_note, patient)
    assert stored["code"]["text"] == f"Mobiliseres med rullator. {mine}"


async def test_the_encrypted_file_holds_no_plaintext(epj: RestartableEpj, tmp_path: Path,
                                                     memory_keyring: MemoryKeyring) -> None:
    client, me = await epj.login("lege1")
    store = EncryptedOutboxStore(tmp_path / "outbox")
    outbox = outbox_for(client, me.practitioner_id, store)
    epj.stop()
    secret = "Hemmelig: pasienten har fortalt om rusmisbruk"
    patient = epj.inpatient()
    await outbox.submit(signed_note(me.practitioner_id, patient, secret))
    raw = store.path(me.practitioner_id).read_bytes()
    for plain in (secret, "rusmisbruk", patient, me.practitioner_id, "DocumentReference", "daglig-notat"):
        assert plain.encode() not in raw
    assert me.practitioner_id not in store.path(me.practitioner_id).name
    assert ("no.visitt.outbox", me.practitioner_id) in memory_keyring.values


async def test_another_users_items_are_never_returned(epj: RestartableEpj, tmp_path: Path,
                                                      memory_keyring: MemoryKeyring) -> None:
    client, doctor = await epj.login("lege1")
    outbox = outbox_for(client, doctor.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))
    epj.stop()
    item = await outbox.submit(signed_note(doctor.practitioner_id, epj.inpatient()))
    assert [i.id for i in outbox.pending_for(doctor.practitioner_id)] == [item.id]
    outbox.forget()  # lege1 logs out; spl1 logs in on the same phone
    epj.restart()
    _, nurse = await epj.login("spl1")
    outbox.open(nurse.practitioner_id)
    assert outbox.items == []
    assert outbox.pending_for(doctor.practitioner_id) == []
    assert outbox.pending_for(nurse.practitioner_id) == []
    outbox.retry_now()
    assert await outbox.run_due() == 0  # spl1's session never sends lege1's note
    assert note_copies(epj, item) == 0
    outbox.forget()
    outbox.open(doctor.practitioner_id)  # lege1 is back: the note is still waiting
    assert [i.id for i in outbox.items] == [item.id]


async def test_a_client_that_is_not_logged_in_pauses_items(epj: RestartableEpj) -> None:
    client = EpjClient(epj.fhir)
    epj.clients.append(client)
    outbox = outbox_for(client, "prac-001")
    item = await outbox.submit(signed_note("prac-001", epj.inpatient()))
    assert item.paused and item.last_error is not None and item.last_error.status == 401
