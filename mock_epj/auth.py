"""Logins with username and PIN, bearer tokens that expire, and lock-out after repeated failures.

Sessions and failure counts live in the database, so that every worker process of one server
sees the same: a token issued by one is valid on all, a logout is seen by all, and wrong PINs are
counted (and the user locked) across all. A session row holds a SHA-256 hash of its token, never
the token. Checking a token is one primary-key lookup per request, which costs less than keeping
a per-process cache correct after a logout elsewhere would. A server that starts (not a worker)
clears them: a restart logs everyone out, as before.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from mock_epj.errors import FhirError
from mock_epj.store import Store

_ITERATIONS = 20_000
T = TypeVar("T")
_DUMMY_SALT = secrets.token_hex(8)  # hashes the PIN of a username that does not exist


@dataclass(frozen=True)
class Session:
    token: str
    username: str
    practitioner_id: str
    role: str  # doctor | nurse | auditor
    name: str
    expires: float  # time.time() seconds
    # A token from the authorization server (oauth.py) says what it may do; one from the plain
    # username-and-PIN login (scope None) may do all that the user's role and care relations allow.
    scope: str | None = None  # SMART scopes, space-separated
    patient: str | None = None  # the one patient a break-the-glass token is limited to
    client_id: str | None = None
    family: str | None = None  # the login the token belongs to (refreshed and exchanged tokens too)

    @property
    def practitioner_ref(self) -> str:
        return f"Practitioner/{self.practitioner_id}"

    @property
    def account(self) -> Account:
        return Account(self.username, self.practitioner_id, self.role, self.name)


@dataclass(frozen=True)
class Account:
    """Who logged in: what a token is issued for."""

    username: str
    practitioner_id: str
    role: str
    name: str

    def row(self) -> tuple[str, str, str, str]:
        return self.username, self.practitioner_id, self.role, self.name


_KEEP_EXPIRED = 24 * 3600  # an expired session is answered "expired" for a day, then forgotten


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class AuthConfig:
    token_ttl: float = 8 * 3600
    max_failures: int = 5
    lockout_seconds: float = 300
    # Wrong PINs from one client address, for any users, within lockout_seconds before that
    # address is refused for lockout_seconds (guesses spread over many accounts).
    max_address_failures: int = 20
    clock: object = field(default=time.time)


def hash_pin(pin: str, salt: str) -> str:
    return hashlib.pbkdf2_hmac("sha256", pin.encode(), salt.encode(), _ITERATIONS).hex()


def save_logins(store: Store, logins: Iterable[tuple[str, str, str, str, str]]) -> None:
    """Store (username, pin, practitioner_id, role, name) rows, the PIN only as a salted hash."""
    rows = []
    for username, pin, practitioner_id, role, name in logins:
        salt = secrets.token_hex(8)
        rows.append((username, hash_pin(pin, salt), salt, practitioner_id, role, name))
    store.queries.save_logins(rows)


def _locked(username: str, locked_until: float, now: float) -> FhirError:
    wait = int(locked_until - now) + 1
    return FhirError(
        429, "throttled",
        f"Too many wrong PINs: the user '{username}' is locked for {wait} more seconds",
        headers={"Retry-After": str(wait)},
    )


def _address_locked(locked_until: float, now: float) -> FhirError:
    wait = int(locked_until - now) + 1
    return FhirError(
        429, "throttled",
        f"Too many wrong PINs from this address: logins from it are refused for {wait} more seconds",
        headers={"Retry-After": str(wait)},
    )


class Authenticator:
    """Checks PINs, hands out tokens and keeps sessions and failure counts in the database.

    ``fresh``: forget every session and failure count (a server starting; a worker joining a
    running server passes False).
    """

    def __init__(self, store: Store, config: AuthConfig | None = None, fresh: bool = True) -> None:
        self.store = store
        self.config = config or AuthConfig()
        if fresh:
            store.queries.forget_logins_state()

    def _now(self) -> float:
        clock = self.config.clock
        assert callable(clock)
        return float(clock())

    def login(self, username: str, pin: str, address: str = "") -> Session:
        """``address``: the client's address; wrong PINs are counted per user and per address."""
        def start(account: Account, now: float) -> Session:
            session = Session(secrets.token_urlsafe(32), *account.row(), now + self.config.token_ttl)
            self.store.queries.start_session(token_hash(session.token), *account.row(), session.expires,
                                             now - _KEEP_EXPIRED)
            return session

        return self._check_pin(username, pin, address, start)

    def verify_pin(self, username: str, pin: str, address: str = "") -> Account:
        """Check a PIN by the same rules as ``login`` (wrong PINs counted, lock-outs honoured, a
        right one forgets the count) without starting a session: the authorize page's check."""
        def accept(account: Account, now: float) -> Account:
            self.store.queries.forget_failures(account.username)
            return account

        return self._check_pin(username, pin, address, accept)

    def _check_pin(self, username: str, pin: str, address: str, then: Callable[[Account, float], T]) -> T:
        """Check a PIN; on success ``then`` runs in the same write transaction."""
        username = username.strip().lower()
        now = self._now()
        queries = self.store.queries
        address_until = queries.address_locked_until(address)
        if address_until > now:
            raise _address_locked(address_until, now)
        locked_until = queries.locked_until(username)
        if locked_until > now:
            raise _locked(username, locked_until, now)
        row = queries.login(username)
        # An unknown user's PIN is hashed too (with a dummy salt, at the same cost), so that the
        # time of the answer does not tell whether the username exists.
        candidate = hash_pin(pin, row[1] if row is not None else _DUMMY_SALT)
        ok = row is not None and hmac.compare_digest(row[0], candidate)
        result: T | None = None
        with self.store.write():  # one step across processes: count, lock, or log in
            address_until = queries.address_locked_until(address)
            locked_until = max(queries.locked_until(username), address_until)
            if locked_until <= now and not ok:
                queries.count_failed_login(username, self.config.max_failures,
                                           now + self.config.lockout_seconds)
                queries.count_address_failure(address, now, self.config.lockout_seconds,
                                              self.config.max_address_failures, now + self.config.lockout_seconds)
            elif locked_until <= now:  # a lock set meanwhile by a parallel attempt holds for a right PIN too
                assert row is not None
                result = then(Account(username, row[2], row[3], row[4]), now)
        if address_until > now:
            raise _address_locked(address_until, now)
        if locked_until > now:
            raise _locked(username, locked_until, now)
        if result is None:
            raise FhirError(401, "login", "Wrong username or PIN",
                            headers={"WWW-Authenticate": 'Bearer realm="visitt"'})
        return result

    def issue(self, account: Account, expires: float, *, scope: str, client_id: str, family: str,
              patient: str | None = None) -> Session:
        """A new access token of the authorization server (oauth.py) for ``account``."""
        session = Session(secrets.token_urlsafe(32), *account.row(), expires, scope, patient, client_id, family)
        self.store.queries.add_token(token_hash(session.token), account.row(), expires,
                                     self._now() - _KEEP_EXPIRED, scope=scope, patient=patient,
                                     client_id=client_id, family=family)
        return session

    def session(self, token: str) -> Session | None:
        """The session of a token, expired or not; None for a token never issued or revoked."""
        row = self.store.queries.session(token_hash(token))
        if row is None:
            return None
        return Session(token, row[0], row[1], row[2], row[3], float(row[4]), *row[5:9])

    def logout(self, token: str) -> bool:
        return self.store.queries.end_session(token_hash(token))

    def authenticate(self, authorization: str | None) -> Session:
        """The session of an ``Authorization: Bearer ...`` header, or a 401 FhirError."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise FhirError(401, "login", "Log in first: this request carries no bearer token",
                            headers={"WWW-Authenticate": 'Bearer realm="visitt"'})
        token = authorization[7:].strip()
        session = self.session(token)
        if session is None:
            raise FhirError(
                401, "login", "The token is not valid (logged out or never issued)",
                headers={"WWW-Authenticate": 'Bearer realm="visitt", error="invalid_token"'},
            )
        if session.expires <= self._now():
            raise FhirError(
                401, "expired", "The login has expired: log in again",
                headers={"WWW-Authenticate":
                         'Bearer realm="visitt", error="invalid_token", '
                         'error_description="The access token expired"'},
            )
        return session
