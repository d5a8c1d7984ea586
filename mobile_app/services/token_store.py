"""Where the login token lives between app starts: the platform's secure store, or memory only.

On desktops that is ``keyring`` (Secret Service, macOS Keychain, Windows Credential Locker). On
phones the same interface would be backed by flet-secure-storage (Android Keystore / iOS
Keychain). When no secure store exists the app says so and keeps the token in memory only:
a token is never written to a plain file.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from typing import Protocol

import keyring
import keyring.backend
import keyring.errors

SERVICE = "no.visitt.session"
ACCOUNT = "current"


@dataclass(frozen=True)
class StoredSession:
    token: str
    username: str
    practitioner_id: str
    name: str
    role: str
    expires_at: str  # ISO 8601
    epj_url: str


class TokenStore(Protocol):
    @property
    def secure(self) -> bool: ...

    def load(self) -> StoredSession | None: ...

    def save(self, session: StoredSession) -> None: ...

    def clear(self) -> None: ...


class MemoryTokenStore:
    """Keeps the session in this process only; gone when the app stops."""

    secure = False

    def __init__(self) -> None:
        self._session: StoredSession | None = None

    def load(self) -> StoredSession | None:
        return self._session

    def save(self, session: StoredSession) -> None:
        self._session = session

    def clear(self) -> None:
        self._session = None


class KeyringTokenStore:
    """The desktop's secure store through ``keyring``."""

    secure = True

    def load(self) -> StoredSession | None:
        try:
            raw = keyring.get_password(SERVICE, ACCOUNT)
        except keyring.errors.KeyringError:
            return None
        if not raw:
            return None
        try:
            return StoredSession(**json.loads(raw))
        except (TypeError, ValueError):
            self.clear()  # a damaged entry is worse than none
            return None

    def save(self, session: StoredSession) -> None:
        keyring.set_password(SERVICE, ACCOUNT, json.dumps(asdict(session)))

    def clear(self) -> None:
        # Nothing stored, or the store went away: either way nothing is left.
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(SERVICE, ACCOUNT)


def secure_store_available() -> bool:
    """True when keyring has a backend that really stores secrets."""
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if name.startswith(("keyring.backends.fail", "keyring.backends.null")):
        return False
    try:
        priority = backend.priority
    except Exception:
        return False
    return bool(priority is None or priority > 0)


def default_token_store() -> TokenStore:
    if secure_store_available():
        return KeyringTokenStore()
    return MemoryTokenStore()
