"""The outbox file's name says nothing of whose it is: a keyed hash (HMAC-SHA256) of the author
under a secret of this device kept in the secure store, not a hash anyone can recompute from a list
of practitioner ids. A file under the old name (an unsalted hash) is found, and moved to its new
name, when its author next logs in: no waiting note is lost."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import keyring
import pytest
from cryptography.fernet import Fernet

from mobile_app.domain.writing import NoteDraft
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import Delivered, ItemState, OutboxItem, new_item
from mobile_app.services.outbox_store import SERVICE, EncryptedOutboxStore
from tests.support.memory_keyring import MemoryKeyring


def texts(items: list[OutboxItem]) -> list[str]:
    """The note texts of loaded items (every item here is a NoteDraft)."""
    return [i.payload.text for i in items if isinstance(i.payload, NoteDraft)]

ME, OTHER = "prac-001", "prac-002"
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def item(text: str, author: str = ME) -> OutboxItem:
    draft = NoteDraft(patient_id="pat-000001", author_id=author, text=text)
    return new_item(draft, draft.client_id, NOW)


def unkeyed_names(author: str) -> set[str]:
    """What anyone can compute from a practitioner id (and the app's public service name)."""
    names = set()
    for text in (author, f"{SERVICE}:{author}", f"Practitioner/{author}"):
        for algorithm in ("sha256", "sha1", "md5", "sha512", "blake2b"):
            digest = hashlib.new(algorithm, text.encode()).hexdigest()
            names.update({digest, digest[:32], digest[:16]})
    return names


def old_outbox_file(directory: Path, author: str, items: list[OutboxItem]) -> Path:
    """An outbox as the app wrote it before: named by sha256("no.visitt.outbox:<author>")[:32],
    under the author's key (made now if they have none)."""
    stored = keyring.get_password(SERVICE, author)
    key = stored.encode() if stored else Fernet.generate_key()
    keyring.set_password(SERVICE, author, key.decode())
    document = {"format": 1, "author": author, "items": [i.model_dump(mode="json") for i in items]}
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{hashlib.sha256(f'{SERVICE}:{author}'.encode()).hexdigest()[:32]}.outbox"
    path.write_bytes(Fernet(key).encrypt(json.dumps(document).encode()))
    return path


def test_the_file_name_cannot_be_recomputed_from_the_practitioner_id(
        tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    store = EncryptedOutboxStore(tmp_path / "outbox")
    store.save(ME, [item("Mitt")])
    [stored] = (tmp_path / "outbox").glob("*.outbox")
    assert stored == store.path(ME)
    assert stored.stem not in unkeyed_names(ME)
    assert ME not in stored.name
    assert store.path(ME) != store.path(OTHER)


def test_another_device_names_the_same_authors_file_otherwise(tmp_path: Path) -> None:
    """The name is keyed by a secret of the device: the same author gets another name elsewhere."""
    names = []
    previous = keyring.get_keyring()
    try:
        for _ in range(2):
            keyring.set_keyring(MemoryKeyring())
            names.append(EncryptedOutboxStore(tmp_path / "outbox").path(ME).name)
    finally:
        keyring.set_keyring(previous)
    assert names[0] != names[1]


def test_the_same_device_finds_it_again_after_a_restart(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    EncryptedOutboxStore(tmp_path / "outbox").save(ME, [item("Venter")])
    assert texts(EncryptedOutboxStore(tmp_path / "outbox").load(ME)) == ["Venter"]


def test_an_outbox_under_the_old_name_is_found_and_moved(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    waiting = [item("Skrevet med forrige versjon")]
    old = old_outbox_file(tmp_path / "outbox", ME, waiting)
    store = EncryptedOutboxStore(tmp_path / "outbox")
    assert store.load(ME) == waiting
    assert not old.exists()
    assert [p.name for p in (tmp_path / "outbox").glob("*.outbox")] == [store.path(ME).name]
    assert EncryptedOutboxStore(tmp_path / "outbox").load(ME) == waiting


def test_a_waiting_note_under_the_old_name_is_sent_after_the_authors_login(
        tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    waiting = item("Venter fra før oppgraderingen")
    old_outbox_file(tmp_path / "outbox", ME, [waiting])
    sent: list[str] = []

    async def deliver(outgoing: OutboxItem) -> Delivered:
        sent.append(outgoing.id)
        return Delivered(resource_type="DocumentReference", resource_id="d1")

    outbox = Outbox(deliver, EncryptedOutboxStore(tmp_path / "outbox"))
    assert [i.id for i in outbox.open(ME)] == [waiting.id]
    asyncio.run(outbox.run_due())
    assert sent == [waiting.id] and outbox.items[0].state is ItemState.SENT
    assert not list((tmp_path / "outbox").glob("*.outbox"))


def test_an_old_file_that_came_back_is_merged_not_lost(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    """Files under both names (an older app version ran again after the move): both are kept."""
    store = EncryptedOutboxStore(tmp_path / "outbox")
    newer = item("Skrevet i ny versjon")
    store.save(ME, [newer])
    older = item("Skrevet i gammel versjon igjen")
    old = old_outbox_file(tmp_path / "outbox", ME, [older])
    loaded = EncryptedOutboxStore(tmp_path / "outbox").load(ME)
    assert {i.id for i in loaded} == {newer.id, older.id}
    assert not old.exists()


def test_another_authors_old_file_is_left_for_them(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    theirs = old_outbox_file(tmp_path / "outbox", OTHER, [item("Deres", author=OTHER)])
    store = EncryptedOutboxStore(tmp_path / "outbox")
    assert store.load(ME) == []
    assert theirs.exists()
    assert texts(store.load(OTHER)) == ["Deres"]


def test_a_reset_secure_store_is_reported_to_the_next_user(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    """The keyring was emptied (keys and naming secret gone): the files can be neither named nor
    read by anyone. They are set aside, and whoever logs in next is told something was lost."""
    from mobile_app.services.outbox_store import OutboxUnreadable

    EncryptedOutboxStore(tmp_path / "outbox").save(ME, [item("Tapt")])
    memory_keyring.values.clear()
    store = EncryptedOutboxStore(tmp_path / "outbox")
    with pytest.raises(OutboxUnreadable):
        store.load(OTHER)
    assert not list((tmp_path / "outbox").glob("*.outbox"))
    assert list((tmp_path / "outbox").glob("*.unreadable"))
    assert store.load(OTHER) == []  # said once
