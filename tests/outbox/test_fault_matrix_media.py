"""The fault matrix for dictations and clinical photos against the real mock EPJ: whatever the
network does (a dropped connection before or after the EPJ stored it, a 503, a timeout, the server
down), a dictation ends as exactly one DocumentReference and one transcription Task, and a photo as
exactly one Media; the bytes wait encrypted and are gone from the phone once delivered."""

from __future__ import annotations

import io
import math
import struct
from pathlib import Path

import pytest
from PIL import Image

from mobile_app.domain.media import DictationDraft, MediaDraft, PhotoDraft
from mobile_app.epj.client import EpjClient
from mobile_app.epj.recording_mapping import full_url
from mobile_app.epj.terminology import terms
from mobile_app.epj.write_mapping import URI
from mobile_app.services.audio_encode import encode_recording
from mobile_app.services.outbox_items import ItemState, Reason
from mobile_app.services.outbox_store import EncryptedOutboxStore
from mobile_app.services.photo_prep import prepare_photo
from tests.support.epj_logins import token_login
from tests.support.memory_keyring import MemoryKeyring
from tests.support.outboxes import delivered, outbox_for
from tests.support.restartable_epj import RestartableEpj


def tone(seconds: float, rate: int = 16_000) -> bytes:
    return b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 330 * i / rate)))
                    for i in range(int(seconds * rate)))


def dictation(author: str, patient: str, seconds: float = 3.0) -> DictationDraft:
    audio = encode_recording(tone(seconds), 16_000)
    return DictationDraft(patient_id=patient, author_id=author, author_name="Lege En", ward_id="ward-med",
                          audio=audio.data, content_type=audio.content_type, duration=audio.duration)


def photo(author: str, patient: str) -> PhotoDraft:
    image = Image.new("RGB", (800, 600), (220, 170, 150))
    raw = io.BytesIO()
    image.save(raw, "JPEG")
    prepared = prepare_photo(raw.getvalue())
    return PhotoDraft(patient_id=patient, author_id=author, author_name="Lege En", image=prepared.jpeg,
                      width=prepared.width, height=prepared.height, description="Trykksår hæl",
                      body_site="Høyre hæl")


def copies(epj: RestartableEpj, draft: MediaDraft) -> dict[str, int]:
    if isinstance(draft, DictationDraft):
        return {"DocumentReference": len(epj.copies("DocumentReference", URI, f"urn:uuid:{draft.client_id}")),
                "Task": len(epj.copies("Task", URI, full_url(draft.client_id, "task")))}
    return {"Media": len(epj.copies("Media", URI, f"urn:uuid:{draft.client_id}"))}


def draft_of(kind: str, author: str, patient: str) -> MediaDraft:
    return dictation(author, patient) if kind == "dictation" else photo(author, patient)


def once(found: dict[str, int]) -> bool:
    return bool(found) and set(found.values()) == {1}


FAULTS = {
    "drop-before": {"drop_next": 1},
    "503": {"error_next": 1},
    "drop-after-commit": {"drop_next": 1, "drop_after_processing": True},
}


@pytest.mark.parametrize("kind", ["dictation", "photo"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
async def test_a_fault_at_send_still_gives_exactly_one_copy(epj: RestartableEpj, kind: str, fault: str) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    draft = draft_of(kind, me.practitioner_id, epj.inpatient())
    epj.faults(**FAULTS[fault], methods=["POST"])
    item = await outbox.submit(draft)
    assert item.state is ItemState.WAITING, item.last_error
    stored = copies(epj, draft)
    if fault == "drop-after-commit":
        assert item.possibly_delivered and once(stored)  # stored, though the answer was lost
    else:
        assert set(stored.values()) == {0}
    outbox.retry_now()
    await outbox.run_due()
    sent = outbox.get(item.id)
    assert sent.state is ItemState.SENT, sent.last_error
    assert once(copies(epj, draft))
    assert delivered(sent).resource_type == ("DocumentReference" if kind == "dictation" else "Media")


@pytest.mark.parametrize("kind", ["dictation", "photo"])
async def test_a_timeout_while_the_epj_stores_it_gives_exactly_one_copy(epj: RestartableEpj, kind: str) -> None:
    impatient = EpjClient(epj.fhir, timeout=0.4)
    epj.clients.append(impatient)
    me = await token_login(impatient, "lege1")
    outbox = outbox_for(impatient, me.practitioner_id)
    draft = draft_of(kind, me.practitioner_id, epj.inpatient())
    epj.faults(latency_ms=1500, methods=["POST"])
    item = await outbox.submit(draft)
    assert item.state is ItemState.WAITING
    assert item.last_error is not None and item.last_error.reason is Reason.TIMEOUT
    assert item.possibly_delivered
    epj.faults(latency_ms=0)
    for _ in range(50):  # the slow request is still being carried out on the server
        if once(copies(epj, draft)):
            break
        await __import__("asyncio").sleep(0.1)
    outbox.retry_now()
    await outbox.run_due()
    assert outbox.get(item.id).state is ItemState.SENT, outbox.get(item.id).last_error
    assert once(copies(epj, draft))


@pytest.mark.parametrize("kind", ["dictation", "photo"])
async def test_server_down_waits_encrypted_then_sends_once_and_keeps_no_bytes(
        epj: RestartableEpj, kind: str, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    client, me = await epj.login("lege1")
    store = EncryptedOutboxStore(tmp_path / "outbox")
    outbox = outbox_for(client, me.practitioner_id, store)
    epj.stop()
    draft = draft_of(kind, me.practitioner_id, epj.inpatient())
    item = await outbox.submit(draft)
    assert item.state is ItemState.WAITING and item.last_error is not None
    assert item.last_error.reason is Reason.OFFLINE
    raw = store.path(me.practitioner_id).read_bytes()
    media = draft.audio if isinstance(draft, DictationDraft) else draft.image
    assert media[100:164] not in raw and b"Trykks" not in raw  # encrypted at rest
    epj.restart()
    again = outbox_for(client, me.practitioner_id, EncryptedOutboxStore(tmp_path / "outbox"))  # the app restarted
    again.retry_now()
    assert await again.run_due() == 1
    sent = again.get(item.id)
    assert sent.state is ItemState.SENT
    assert once(copies(epj, draft))
    assert not store.path(me.practitioner_id).exists()  # nothing left on the phone
    kept = sent.payload
    assert isinstance(kept, DictationDraft | PhotoDraft)
    assert (kept.audio if isinstance(kept, DictationDraft) else kept.image) == b""


async def test_the_dictation_task_goes_to_the_wards_secretary_service_and_points_at_the_audio(
        epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    draft = dictation(me.practitioner_id, epj.inpatient(), seconds=2)
    sent = await outbox.submit(draft)
    result = delivered(sent)
    assert result.task_owner == "Merkantil tjeneste, Medisinsk sengepost"
    (document,) = epj.copies("DocumentReference", URI, f"urn:uuid:{draft.client_id}")
    (task,) = epj.copies("Task", URI, full_url(draft.client_id, "task"))
    assert document["docStatus"] == "preliminary" and document["type"]["coding"][0]["code"] == "diktat"
    attachment = document["content"][0]["attachment"]
    assert attachment["contentType"] == draft.content_type and attachment["size"] == len(draft.audio)
    assert task["focus"]["reference"] == f"DocumentReference/{document['id']}"
    assert task["owner"]["reference"] == "Organization/secretary-ward-med"
    assert task["requester"]["reference"] == f"Practitioner/{me.practitioner_id}"
    assert task["status"] == "requested" and task["code"]["coding"][0]["code"] == terms().task_type.transcription.code


async def test_a_photo_is_read_back_for_the_patient_without_exif(epj: RestartableEpj) -> None:
    client, me = await epj.login("lege1")
    outbox = outbox_for(client, me.practitioner_id)
    patient = epj.inpatient()
    draft = photo(me.practitioner_id, patient)
    await outbox.submit(draft)
    photos = await client.patient_photos(patient)
    mine = next(p for p in photos if p.description == "Trykksår hæl")
    assert mine.body_site == "Høyre hæl" and mine.image == draft.image
    assert not Image.open(io.BytesIO(mine.image)).getexif()
