"""Where the running session is noted between app starts: the platform's secure store, or memory only.

What is kept is who is logged in, to which EPJ, and the lock screen's count of wrong PINs: no
token. A restarted app does not resume a session (its PIN hash lived in memory only); it finds the
note, forgets it and says the session has ended. So an app that stops without logging out leaves
no token on the phone.

On desktops that is ``keyring`` (Secret Service, macOS Keychain, Windows Credential Locker). On
phones the same interface would be backed by flet-secure-storage (Android Keystore / iOS
Keychain). When no secure store exists the app says so and keeps the note in memory only: nothing
of a session is written to a plain file.

Only a keyring backend known to encrypt what it keeps counts as a secure store
(``SECURE_BACKENDS``, by exact class): keyrings.alt's PlaintextKeyring writes secrets to a file in
the clear, its EncryptedKeyring would ask for a password on a terminal the app does not have, and
the fail and null backends keep nothing. A chainer counts only when every backend it would write
to counts. Anything else, and any subclass of a listed backend, is refused: the app then keeps the
note, and the outbox, in memory only and says so. ``trust_backend`` adds a backend class (the
tests' in-memory keyring, an adapter to a phone's secure storage).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, fields
from typing import Protocol

import keyring
import keyring.backend
import keyring.errors
from keyring.backends.chainer import ChainerBackend

SERVICE = "no.visitt.session"
ACCOUNT = "current"


@dataclass(frozen=True)
class StoredSession:
    username: str
    practitioner_id: str
    epj_url: str
    failed_unlocks: int = 0  # wrong PINs on the lock screen since the last good one (see session.py)


_FIELDS = frozenset(f.name for f in fields(StoredSession))


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
            data = json.loads(raw)
            # an older app's entry (with its token and more) is still found, so that it is forgotten
            stored = StoredSession(**{k: v for k, v in data.items() if k in _FIELDS})
            if isinstance(stored.failed_unlocks, bool) or not isinstance(stored.failed_unlocks, int) \
                    or stored.failed_unlocks < 0:
                raise ValueError("failed_unlocks must be a count")
            return stored
        except (TypeError, ValueError):
            self.clear()  # a damaged entry is worse than none
            return None

    def save(self, session: StoredSession) -> None:
        """KeyringError when keyring's backend is not (or no longer) a secure store."""
        if not secure_store_available():
            raise keyring.errors.PasswordSetError("The keyring backend does not encrypt what it keeps")
        keyring.set_password(SERVICE, ACCOUNT, json.dumps(asdict(session)))

    def clear(self) -> None:
        # Nothing stored, or the store went away: either way nothing is left.
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(SERVICE, ACCOUNT)


# keyring's backends that keep secrets encrypted at rest, under the user's login (module.class).
SECURE_BACKENDS = frozenset({
    "keyring.backends.SecretService.Keyring",  # GNOME Keyring / KeePassXC over Secret Service (D-Bus)
    "keyring.backends.libsecret.Keyring",  # the same store through libsecret
    "keyring.backends.kwallet.DBusKeyring",  # KDE Wallet
    "keyring.backends.kwallet.DBusKeyringKWallet4",
    "keyring.backends.macOS.Keyring",  # macOS Keychain
    "keyring.backends.Windows.WinVaultKeyring",  # Windows Credential Locker
})
_trusted: set[type[keyring.backend.KeyringBackend]] = set()


def trust_backend(backend_class: type[keyring.backend.KeyringBackend]) -> None:
    """Count ``backend_class`` (exactly that class) as a secure store."""
    _trusted.add(backend_class)


def is_secure_backend(backend: keyring.backend.KeyringBackend) -> bool:
    """Whether ``backend`` keeps secrets encrypted at rest: a listed or trusted class (not a
    subclass of one), or a chainer whose every backend is."""
    if isinstance(backend, ChainerBackend):
        try:
            chained = list(backend.backends)
        except Exception:
            return False
        return bool(chained) and all(is_secure_backend(b) for b in chained)
    kind = type(backend)
    if kind not in _trusted and f"{kind.__module__}.{kind.__qualname__}" not in SECURE_BACKENDS:
        return False
    try:
        priority = backend.priority
    except Exception:  # a backend that cannot tell is not usable here
        return False
    return bool(priority is None or priority > 0)


def secure_store_available() -> bool:
    """True when keyring's backend keeps secrets encrypted (see ``is_secure_backend``)."""
    return is_secure_backend(keyring.get_keyring())


def default_token_store() -> TokenStore:
    if secure_store_available():
        return KeyringTokenStore()
    return MemoryTokenStore()
