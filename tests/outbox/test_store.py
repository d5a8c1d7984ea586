"""The encrypted outbox file: per author, atomic, crash-safe, unreadable without its key."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime
from pathlib import Path

import keyring.errors
import pytest

from mobile_app.domain.writing import NoteDraft
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import Delivered, ItemState, OutboxItem, new_item
from mobile_app.services.outbox_store import (
    SERVICE,
    EncryptedOutboxStore,
    OutboxUnreadable,
    StorageFailed,
    write_atomically,
)
from tests.support.memory_keyring import MemoryKeyring

ME, OTHER = "prac-001", "prac-002"
NOW = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def item(text: str, author: str = ME, state: ItemState = ItemState.WAITING) -> OutboxItem:
    draft = NoteDraft(patient_id="pat-000001", author_id=author, text=text)
    return new_item(draft, draft.client_id, NOW).model_copy(update={"state": state})


@pytest.fixture
def store(tmp_path: Path, memory_keyring: MemoryKeyring) -> EncryptedOutboxStore:
    return EncryptedOutboxStore(tmp_path / "outbox")


def test_items_round_trip_through_the_encrypted_file(store: EncryptedOutboxStore) -> None:
    saved = [item("Første"), item("Andre", state=ItemState.FAILED)]
    store.save(ME, saved)
    again = EncryptedOutboxStore(store.directory).load(ME)  # a new process, the same keyring
    assert again == saved


def test_sent_items_are_not_stored_and_an_empty_outbox_leaves_no_file(store: EncryptedOutboxStore) -> None:
    store.save(ME, [item("Sendt", state=ItemState.SENT)])
    assert not store.path(ME).exists()
    store.save(ME, [item("Venter")])
    assert store.path(ME).exists()
    store.save(ME, [])
    assert not store.path(ME).exists()


def test_each_author_has_a_file_and_a_key_of_their_own(store: EncryptedOutboxStore,
                                                       memory_keyring: MemoryKeyring) -> None:
    store.save(ME, [item("Mitt")])
    store.save(OTHER, [item("Ditt", author=OTHER)])
    assert store.path(ME) != store.path(OTHER)
    assert memory_keyring.values[(SERVICE, ME)] != memory_keyring.values[(SERVICE, OTHER)]
    assert [getattr(i.payload, "text", None) for i in store.load(OTHER)] == ["Ditt"]
    store.save(ME, [item("Mitt"), item("Smuglet inn", author=OTHER)])  # never stored under my name
    assert [getattr(i.payload, "text", None) for i in store.load(ME)] == ["Mitt"]


def test_a_file_under_another_authors_key_is_unreadable(store: EncryptedOutboxStore) -> None:
    store.save(OTHER, [item("Ditt", author=OTHER)])
    store.save(ME, [item("Mitt")])
    os.replace(store.path(OTHER), store.path(ME))  # someone swaps the files on disk
    with pytest.raises(OutboxUnreadable):
        store.load(ME)
    assert store.path(ME).with_suffix(".unreadable").exists()  # kept aside, never overwritten
    assert store.load(ME) == []


def test_a_lost_key_makes_the_file_unreadable_not_silently_empty(store: EncryptedOutboxStore,
                                                                 memory_keyring: MemoryKeyring) -> None:
    store.save(ME, [item("Mitt")])
    del memory_keyring.values[(SERVICE, ME)]
    with pytest.raises(OutboxUnreadable, match="key"):
        EncryptedOutboxStore(store.directory).load(ME)


def test_a_crash_mid_write_leaves_the_last_complete_state(store: EncryptedOutboxStore) -> None:
    before = [item("Lagret")]
    store.save(ME, before)
    path = store.path(ME)
    torn = path.parent / f"{path.name}.abc123.tmp"  # what a crash during write_atomically leaves
    torn.write_bytes(b"gAAAAA-half-written")
    assert EncryptedOutboxStore(store.directory).load(ME) == before
    assert not torn.exists()  # cleaned up on the next start


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "file.bin"
    write_atomically(target, b"old")

    def crash(source: object, destination: object) -> None:
        raise OSError("disk unplugged")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        write_atomically(target, b"new")
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_the_file_is_private_to_the_user(store: EncryptedOutboxStore) -> None:
    store.save(ME, [item("Mitt")])
    assert store.path(ME).stat().st_mode & 0o077 == 0


def test_clear_removes_the_file_and_the_key(store: EncryptedOutboxStore, memory_keyring: MemoryKeyring) -> None:
    store.save(ME, [item("Mitt")])
    store.clear(ME)
    assert not store.path(ME).exists()
    assert (SERVICE, ME) not in memory_keyring.values


async def test_a_keyring_that_refuses_makes_the_outbox_memory_only_and_say_so(
        tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(service: str, username: str, password: str) -> None:
        raise keyring.errors.PasswordSetError("locked")

    store = EncryptedOutboxStore(tmp_path / "outbox")
    store.path(ME)  # the device's naming secret exists; the author's key is made at the first save
    monkeypatch.setattr(memory_keyring, "set_password", refuse)

    async def deliver(sent: OutboxItem) -> Delivered:
        return Delivered(resource_type="DocumentReference", resource_id="d1")

    outbox = Outbox(deliver, EncryptedOutboxStore(tmp_path / "outbox"), rng=random.Random(1))
    outbox.open(ME)
    assert outbox.persistent
    sent = await outbox.submit(NoteDraft(patient_id="pat-000001", author_id=ME, text="Likevel sendt"))
    assert sent.state is ItemState.SENT
    assert not outbox.persistent and outbox.storage_error is not None
    assert not list((tmp_path / "outbox").glob("*.outbox"))


def test_a_refusing_keyring_is_a_storage_failure(store: EncryptedOutboxStore, memory_keyring: MemoryKeyring,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    monkeypatch.setattr(memory_keyring, "get_password", refuse)
    with pytest.raises(StorageFailed):
        store.save(ME, [item("Mitt")])


async def test_an_item_caught_sending_by_a_crash_is_tried_again_as_possibly_delivered(
        store: EncryptedOutboxStore) -> None:
    store.save(ME, [item("Underveis", state=ItemState.SENDING)])

    async def deliver(sent: OutboxItem) -> Delivered:
        return Delivered(resource_type="DocumentReference", resource_id="d1")

    outbox = Outbox(deliver, EncryptedOutboxStore(store.directory))
    (loaded,) = outbox.open(ME)
    assert loaded.state is ItemState.WAITING and loaded.possibly_delivered
    assert await outbox.run_due() == 1


def test_an_unreadable_outbox_is_reported_not_hidden(store: EncryptedOutboxStore, memory_keyring: MemoryKeyring
                                                     ) -> None:
    store.save(ME, [item("Mitt")])
    memory_keyring.values.clear()

    async def deliver(sent: OutboxItem) -> Delivered:
        raise AssertionError("nothing to send")

    outbox = Outbox(deliver, EncryptedOutboxStore(store.directory))
    assert outbox.open(ME) == []
    assert outbox.load_error is not None
