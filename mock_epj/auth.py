"""Logins with username and PIN, bearer tokens that expire, and lock-out after repeated failures."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from mock_epj.errors import FhirError
from mock_epj.store import Store

_ITERATIONS = 20_000


@dataclass(frozen=True)
class Session:
    token: str
    username: str
    practitioner_id: str
    role: str  # doctor | nurse | auditor
    name: str
    expires: float  # time.time() seconds

    @property
    def practitioner_ref(self) -> str:
        return f"Practitioner/{self.practitioner_id}"


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


@dataclass
class AuthConfig:
    token_ttl: float = 8 * 3600
    max_failures: int = 5
    lockout_seconds: float = 300
    clock: object = field(default=time.time)


def hash_pin(pin: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), _ITERATIONS).hex()


def save_logins(store: Store, logins: Iterable[tuple[str, str, str, str, str]]) -> None:
    """Store (username, pin, practitioner_id, role, name) rows, the PIN only as a salted hash."""
    rows = []
    for username, pin, practitioner_id, role, name in logins:
        salt = secrets.token_hex(8)
        rows.append((username, hash_pin(pin, salt), salt, practitioner_id, role, name))
    with store.write() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO logins (username, pin_hash, salt, practitioner_id, role, name)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )


class Authenticator:
    """Checks PINs, hands out tokens and remembers them in memory (a restart logs everyone out)."""

    def __init__(self, store: Store, config: AuthConfig | None = None) -> None:
        self.store = store
        self.config = config or AuthConfig()
        self._sessions: dict[str, Session] = {}
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def _now(self) -> float:
        clock = self.config.clock
        assert callable(clock)
        return float(clock())

    def login(self, username: str, pin: str) -> Session:
        username = username.strip().lower()
        now = self._now()
        with self._lock:
            failures = self._failures.setdefault(username, _Failures())
            if failures.locked_until > now:
                wait = int(failures.locked_until - now) + 1
                raise FhirError(
                    429, "throttled",
                    f"Too many wrong PINs: the user '{username}' is locked for {wait} more seconds",
                    headers={"Retry-After": str(wait)},
                )
        row = self.store.conn().execute(
            "SELECT pin_hash, salt, practitioner_id, role, name FROM logins WHERE username=?",
            (username,),
        ).fetchone()
        ok = row is not None and hmac.compare_digest(row[0], hash_pin(pin, row[1]))
        with self._lock:
            if not ok:
                failures.count += 1
                if failures.count >= self.config.max_failures:
                    failures.count = 0
                    failures.locked_until = now + self.config.lockout_seconds
                raise FhirError(401, "login", "Wrong username or PIN",
                                headers={"WWW-Authenticate": 'Bearer realm="visitt"'})
            failures.count = 0
            session = Session(secrets.token_urlsafe(32), username, row[2], row[3], row[4],
                              now + self.config.token_ttl)
            self._sessions[session.token] = session
            return session

    def logout(self, token: str) -> bool:
        with self._lock:
            return self._sessions.pop(token, None) is not None

    def authenticate(self, authorization: str | None) -> Session:
        """The session of an ``Authorization: Bearer ...`` header, or a 401 FhirError."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise FhirError(401, "login", "Log in first: this request carries no bearer token",
                            headers={"WWW-Authenticate": 'Bearer realm="visitt"'})
        token = authorization[7:].strip()
        session = self._sessions.get(token)
        if session is None:
            raise FhirError(
                401, "login", "The token is not valid (logged out or never issued)",
                headers={"WWW-Authenticate": 'Bearer realm="visitt", error="invalid_token"'},
            )
        if session.expires <= self._now():
            with self._lock:
                self._sessions.pop(token, None)
            raise FhirError(
                401, "expired", "The login has expired: log in again",
                headers={"WWW-Authenticate":
                         'Bearer realm="visitt", error="invalid_token", '
                         'error_description="The access token expired"'},
            )
        return session
