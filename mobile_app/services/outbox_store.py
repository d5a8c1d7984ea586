"""Where unsent writes wait between app starts: one encrypted file per author, or memory only.

Each author's items are one file in the user data directory, encrypted with Fernet (AES-128-CBC
with HMAC-SHA256) under a key of their own kept in the keyring (service ``no.visitt.outbox``,
account = the practitioner id). The file name is a hash of the practitioner id, so the directory
does not say whose items wait. Every save writes a temporary file, fsyncs it and renames it over
the old one (then fsyncs the directory), so a crash leaves either the old or the new file, never a
torn one. Sent items are not stored: only what is still on its way.

Without a secure store (no keyring backend) nothing is written: ``MemoryOutboxStore`` keeps the
items for as long as the app runs, and says so with ``persistent = False``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors
import platformdirs
from cryptography.fernet import Fernet, InvalidToken
from pydantic import TypeAdapter, ValidationError

from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.services.token_store import secure_store_available

SERVICE = "no.visitt.outbox"
FORMAT = 1
_ITEMS = TypeAdapter(list[OutboxItem])


class OutboxUnreadable(Exception):
    """A stored outbox could not be read (its key is gone or the file is damaged). The file is
    kept aside as ``*.unreadable`` rather than overwritten."""


class StorageFailed(Exception):
    """The items could not be saved (the keyring refused, or the disk did)."""


class OutboxStore(Protocol):
    @property
    def persistent(self) -> bool: ...

    def load(self, author: str) -> list[OutboxItem]: ...

    def save(self, author: str, items: list[OutboxItem]) -> None: ...

    def clear(self, author: str) -> None: ...


def _unsent(author: str, items: list[OutboxItem]) -> list[OutboxItem]:
    return [item for item in items if item.author == author and item.state is not ItemState.SENT]


class MemoryOutboxStore:
    """Items kept in this process only, per author: gone when the app stops."""

    persistent = False

    def __init__(self) -> None:
        self._items: dict[str, list[OutboxItem]] = {}

    def load(self, author: str) -> list[OutboxItem]:
        return list(self._items.get(author, []))

    def save(self, author: str, items: list[OutboxItem]) -> None:
        self._items[author] = _unsent(author, items)

    def clear(self, author: str) -> None:
        self._items.pop(author, None)


def default_directory() -> Path:
    return Path(platformdirs.user_data_dir("visitt", appauthor=False)) / "outbox"


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash at any moment leaves the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
        directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class EncryptedOutboxStore:
    """One Fernet-encrypted file per author; the keys live in the keyring."""

    persistent = True

    def __init__(self, directory: Path | None = None, service: str = SERVICE) -> None:
        self.directory = directory or default_directory()
        self.service = service
        self._keys: dict[str, Fernet] = {}

    def path(self, author: str) -> Path:
        digest = hashlib.sha256(f"{self.service}:{author}".encode()).hexdigest()[:32]
        return self.directory / f"{digest}.outbox"

    def _key(self, author: str, *, create: bool) -> Fernet | None:
        if author in self._keys:
            return self._keys[author]
        try:
            stored = keyring.get_password(self.service, author)
            if stored is None and create:
                stored = Fernet.generate_key().decode("ascii")
                keyring.set_password(self.service, author, stored)
        except keyring.errors.KeyringError as error:
            raise StorageFailed(f"The keyring refused the outbox key: {error}") from error
        if stored is None:
            return None
        key = Fernet(stored.encode("ascii"))
        self._keys[author] = key
        return key

    def load(self, author: str) -> list[OutboxItem]:
        """The author's unsent items. OutboxUnreadable when the file cannot be decrypted or read
        (it is then moved aside, never overwritten); StorageFailed when the keyring refuses."""
        path = self.path(author)
        for leftover in path.parent.glob(f"{path.name}.*.tmp"):  # a save cut short by a crash
            with contextlib.suppress(OSError):
                leftover.unlink()
        if not path.exists():
            return []
        key = self._key(author, create=False)
        try:
            if key is None:
                raise OutboxUnreadable("The outbox key is missing from the keyring")
            document = json.loads(key.decrypt(path.read_bytes()))
            if document.get("author") != author:
                raise OutboxUnreadable("The outbox file belongs to someone else")
            return _unsent(author, _ITEMS.validate_python(document.get("items", [])))
        except (OutboxUnreadable, InvalidToken, ValueError, ValidationError, AttributeError) as error:
            with contextlib.suppress(OSError):
                os.replace(path, path.with_suffix(".unreadable"))
            if isinstance(error, OutboxUnreadable):
                raise
            raise OutboxUnreadable(f"The stored outbox could not be read: {type(error).__name__}") from error

    def save(self, author: str, items: list[OutboxItem]) -> None:
        unsent = _unsent(author, items)
        path = self.path(author)
        if not unsent:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return
        key = self._key(author, create=True)
        assert key is not None
        document = {"format": FORMAT, "author": author,
                    "items": [item.model_dump(mode="json") for item in unsent]}
        try:
            write_atomically(path, key.encrypt(json.dumps(document, ensure_ascii=False).encode()))
        except OSError as error:
            raise StorageFailed(f"The outbox could not be written: {error}") from error

    def clear(self, author: str) -> None:
        """Delete the author's file and key (nothing of theirs is left to decrypt)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(author).unlink()
        self._keys.pop(author, None)
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(self.service, author)


def default_outbox_store(directory: Path | None = None) -> OutboxStore:
    """The encrypted store where a secure store exists, else memory only."""
    if secure_store_available():
        return EncryptedOutboxStore(directory)
    return MemoryOutboxStore()
