"""Where unsent writes wait between app starts: one encrypted file per author, or memory only.

Each author's items are one file in the user data directory, encrypted with Fernet (AES-128-CBC
with HMAC-SHA256) under a key of their own kept in the keyring (service ``no.visitt.outbox``,
account = the practitioner id). The file is named by HMAC-SHA256(device secret, practitioner id):
the device secret is random, made on first use and kept in the keyring too (account
``#file-names``, which no FHIR id can be), so the directory does not say whose items wait, and
nobody without the keyring can recompute a name from a list of practitioner ids. Files the app
wrote before (named by an unsalted SHA-256 of the id, 32 hex digits; the new names have 64) are
found and moved to their new name when their author next logs in. Every save writes a temporary
file (0600 from creation, private_files.py), fsyncs it and renames it over the old one (then
fsyncs the directory), so a crash leaves either the old or the new file, never a torn one. Sent
items are not stored: only what is still on its way.

If the keyring is emptied, the files can be neither named nor decrypted by anyone: when a new
device secret has to be made while files under a previous one lie there, they are set aside as
``*.unreadable`` and the next user to open the outbox is told (OutboxUnreadable) once.

Without a secure store (no keyring backend) nothing is written: ``MemoryOutboxStore`` keeps the
items for as long as the app runs, and says so with ``persistent = False``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Protocol

import keyring
import keyring.errors
import platformdirs
from cryptography.fernet import Fernet, InvalidToken
from pydantic import TypeAdapter, ValidationError

from mobile_app.services.outbox_items import ItemState, OutboxItem
from mobile_app.services.private_files import temporary_files, write_private
from mobile_app.services.token_store import secure_store_available

SERVICE = "no.visitt.outbox"
NAMES_ACCOUNT = "#file-names"  # the device secret that names the files ('#' is in no FHIR id)
FORMAT = 1
_ITEMS = TypeAdapter(list[OutboxItem])
_NAMED = re.compile(r"[0-9a-f]{64}\.outbox")  # a file named under a device secret
_MAKING_SECRET = threading.Lock()  # one device secret, however many stores of this process ask at once


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
    """Replace ``path`` with ``data`` (0600 from creation) so that a crash at any moment leaves the old
    or the new file."""
    write_private(path, data)


class EncryptedOutboxStore:
    """One Fernet-encrypted file per author; the keys (and the secret naming the files) live in the
    keyring."""

    persistent = True

    def __init__(self, directory: Path | None = None, service: str = SERVICE) -> None:
        self.directory = directory or default_directory()
        self.service = service
        self._keys: dict[str, Fernet] = {}
        self._names: bytes | None = None
        self._set_aside = 0  # files of a previous device secret set aside, not yet reported

    # ------------------------------------------------------------ names

    def path(self, author: str) -> Path:
        """The author's file: HMAC-SHA256 of the practitioner id under this device's secret."""
        digest = hmac.new(self._name_secret(), author.encode(), hashlib.sha256).hexdigest()
        return self.directory / f"{digest}.outbox"

    def legacy_path(self, author: str) -> Path:
        """Where the app kept the author's file before names were keyed (an unsalted hash)."""
        digest = hashlib.sha256(f"{self.service}:{author}".encode()).hexdigest()[:32]
        return self.directory / f"{digest}.outbox"

    def _name_secret(self) -> bytes:
        if self._names is not None:
            return self._names
        if not secure_store_available():
            raise StorageFailed("The keyring does not encrypt what it keeps; the outbox is not stored")
        with _MAKING_SECRET:
            try:
                stored = keyring.get_password(self.service, NAMES_ACCOUNT)
                if not stored:
                    self._set_aside_unnamed()  # a previous secret's files: nobody can find them now
                    keyring.set_password(self.service, NAMES_ACCOUNT, secrets.token_hex(32))
                    stored = keyring.get_password(self.service, NAMES_ACCOUNT)
            except keyring.errors.KeyringError as error:
                raise StorageFailed(f"The keyring refused the outbox's naming secret: {error}") from error
        if not stored:
            raise StorageFailed("The keyring did not keep the outbox's naming secret")
        self._names = stored.encode()
        return self._names

    def _set_aside_unnamed(self) -> None:
        for orphan in self.directory.glob("*.outbox"):
            if _NAMED.fullmatch(orphan.name):
                with contextlib.suppress(OSError):
                    os.replace(orphan, orphan.with_suffix(".unreadable"))
                    self._set_aside += 1

    # ------------------------------------------------------------ keys

    def _key(self, author: str, *, create: bool) -> Fernet | None:
        if author in self._keys:
            return self._keys[author]
        if not secure_store_available():  # e.g. a plaintext keyring: the key would lie beside the file
            raise StorageFailed("The keyring does not encrypt what it keeps; the outbox key is not put in it")
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

    # ------------------------------------------------------------ reading and writing

    def load(self, author: str) -> list[OutboxItem]:
        """The author's unsent items. OutboxUnreadable when the file cannot be decrypted or read
        (it is then moved aside, never overwritten), or once after files of a reset keyring were
        set aside; StorageFailed when the keyring refuses."""
        path, legacy = self.path(author), self.legacy_path(author)
        for leftover in [*temporary_files(path), *temporary_files(legacy)]:  # saves cut short by a crash
            with contextlib.suppress(OSError):
                leftover.unlink()
        items = self._read(author, path)
        if legacy.exists():  # written before names were keyed: moved (merged) to its new name
            items = _merged(items, self._read(author, legacy))
            if items:
                self._write(author, path, items)
            with contextlib.suppress(FileNotFoundError):
                legacy.unlink()
        if self._set_aside and not items:
            count, self._set_aside = self._set_aside, 0
            raise OutboxUnreadable(f"{count} stored outbox file(s) could not be read: the secure store was reset")
        return items

    def _read(self, author: str, path: Path) -> list[OutboxItem]:
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
        with contextlib.suppress(FileNotFoundError):  # what it held is in ``items`` (load moved it)
            self.legacy_path(author).unlink()
        if not unsent:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return
        self._write(author, path, unsent)

    def _write(self, author: str, path: Path, unsent: list[OutboxItem]) -> None:
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
        for path in (self.path(author), self.legacy_path(author)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        self._keys.pop(author, None)
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(self.service, author)


def _merged(first: list[OutboxItem], second: list[OutboxItem]) -> list[OutboxItem]:
    """Both lists' items, one per id (the one changed last wins)."""
    by_id: dict[str, OutboxItem] = {}
    for item in [*first, *second]:
        kept = by_id.get(item.id)
        if kept is None or item.updated > kept.updated:
            by_id[item.id] = item
    return sorted(by_id.values(), key=lambda i: i.created)


def default_outbox_store(directory: Path | None = None) -> OutboxStore:
    """The encrypted store where a secure store exists, else memory only."""
    if secure_store_available():
        return EncryptedOutboxStore(directory)
    return MemoryOutboxStore()
