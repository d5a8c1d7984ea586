"""The login session on a shared phone: log in, lock when idle, unlock with the PIN, log out.

The PIN is never stored: while the app runs, a salted hash of it stays in memory so that the
same user can unlock even when the network is down. Locking keeps the user's place (and the
data already on screen) in memory but shows nothing of it; logging out or switching user drops
the token, the PIN hash and every listener's patient data (``on_clear`` callbacks).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import keyring.errors

from mobile_app.domain.models import Role
from mobile_app.epj.client import EpjClient, LoginResult
from mobile_app.epj.errors import AuthError, EpjError, WrongCredentials
from mobile_app.services.token_store import MemoryTokenStore, StoredSession, TokenStore

DEFAULT_IDLE_SECONDS = 300.0
_PIN_ITERATIONS = 50_000


class Phase(StrEnum):
    LOGGED_OUT = "logged_out"
    ACTIVE = "active"
    LOCKED = "locked"


@dataclass(frozen=True)
class User:
    username: str
    practitioner_id: str
    name: str
    role: Role

    @property
    def practitioner_ref(self) -> str:
        return f"Practitioner/{self.practitioner_id}"


def _hash_pin(pin: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, _PIN_ITERATIONS)


class Session:
    """State machine LOGGED_OUT -> ACTIVE <-> LOCKED -> LOGGED_OUT, with an idle clock."""

    def __init__(
        self,
        client: EpjClient,
        token_store: TokenStore,
        *,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.token_store = token_store
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.phase = Phase.LOGGED_OUT
        self.user: User | None = None
        self.last_activity = clock()
        self.secure_storage_failed = not token_store.secure
        self._pin_salt = b""
        self._pin_hash = b""
        self._on_clear: list[Callable[[], None]] = []

    # ------------------------------------------------------------ lifecycle

    def on_clear(self, callback: Callable[[], None]) -> None:
        """Register a callback that drops patient data (run on logout and switch user)."""
        self._on_clear.append(callback)

    async def login(self, username: str, pin: str) -> User:
        """Log in; raises an EpjError subclass (WrongCredentials, AccountLocked, Offline, ...)."""
        result = await self.client.login(username.strip(), pin)
        self._start(username.strip().lower(), pin, result)
        return self.user  # type: ignore[return-value]

    def _start(self, username: str, pin: str, result: LoginResult) -> None:
        self.client.set_token(result.token)
        self.user = User(username, result.practitioner_id, result.name, result.role)
        self._pin_salt = secrets.token_bytes(16)
        self._pin_hash = _hash_pin(pin, self._pin_salt)
        self.phase = Phase.ACTIVE
        self.touch()
        self._remember(result)

    def _remember(self, result: LoginResult) -> None:
        assert self.user is not None
        stored = StoredSession(result.token, self.user.username, result.practitioner_id,
                               result.name, str(result.role), result.expires_at.isoformat(),
                               self.client.base_url)
        try:
            self.token_store.save(stored)
        except keyring.errors.KeyringError:
            # The secure store exists but refused: keep the token in memory only, and say so.
            self.token_store = MemoryTokenStore()
            self.token_store.save(stored)
            self.secure_storage_failed = True

    def touch(self) -> None:
        """Note user activity (every tap and keystroke)."""
        self.last_activity = self.clock()

    def idle_for(self) -> float:
        return self.clock() - self.last_activity

    def check_idle(self) -> bool:
        """Lock when idle too long; returns True if this call locked the app."""
        if self.phase is Phase.ACTIVE and self.idle_for() >= self.idle_seconds:
            self.lock()
            return True
        return False

    def lock(self) -> None:
        if self.phase is Phase.ACTIVE:
            self.phase = Phase.LOCKED

    async def unlock(self, pin: str) -> None:
        """Unlock as the same user. Raises WrongCredentials on a wrong PIN."""
        if self.phase is not Phase.LOCKED or self.user is None:
            return
        if self._pin_hash:
            if not hmac.compare_digest(_hash_pin(pin, self._pin_salt), self._pin_hash):
                raise WrongCredentials("Wrong PIN")
            self.phase = Phase.ACTIVE
            self.touch()
            return
        # No PIN hash (the app restarted while locked): the server checks the PIN.
        result = await self.client.login(self.user.username, pin)
        self._start(self.user.username, pin, result)

    async def logout(self) -> None:
        """Forget everything: token (here and on the server), PIN hash and patient data."""
        if self.phase is not Phase.LOGGED_OUT:
            with contextlib.suppress(EpjError):  # the token is dropped here whatever the server says
                await self.client.logout()
        self.expire()

    def expire(self) -> None:
        """End the session without asking the server (e.g. after a 401)."""
        self.client.set_token(None)
        self.token_store.clear()
        self.user = None
        self.phase = Phase.LOGGED_OUT
        self._pin_hash = b""
        self._pin_salt = b""
        for callback in self._on_clear:
            callback()

    def restore(self) -> bool:
        """After a restart: a stored, unexpired token for this EPJ resumes as a locked session."""
        stored = self.token_store.load()
        if stored is None or stored.epj_url != self.client.base_url:
            return False
        try:
            expires = datetime.fromisoformat(stored.expires_at)
        except ValueError:
            self.token_store.clear()
            return False
        if expires <= datetime.now(UTC):
            self.token_store.clear()
            return False
        self.client.set_token(stored.token)
        try:
            role = Role(stored.role)
        except ValueError:
            role = Role.OTHER
        self.user = User(stored.username, stored.practitioner_id, stored.name, role)
        self.phase = Phase.LOCKED
        return True

    @staticmethod
    def is_auth_failure(error: BaseException) -> bool:
        return isinstance(error, AuthError)
