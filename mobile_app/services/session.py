"""The login session on a shared phone: log in, lock when idle, unlock with the PIN, log out.

The login happens in the EPJ's own login page (browser_login.py, SMART on FHIR); ``begin`` starts
the session with its tokens and the session PIN the user picks for this phone. That PIN is never
stored: while the app runs, a salted hash of it stays in memory so that the same user can unlock
even when the network is down. Locking keeps the user's place (and the data already on screen) in
memory but shows nothing of it; logging out or switching user drops the tokens (revoked at the
server), the PIN hash and every listener's patient data (``on_clear`` callbacks). A restarted
app has no PIN hash, so it does not resume a session: the user logs in again.

The lock screen allows ``MAX_UNLOCK_ATTEMPTS`` wrong PINs in a row; the last of them ends the
session as a logout does (``LockedOut``), and only a new login gets in. The count lives in the
session and in the token store beside the token (``failed_unlocks``), so a new lock form or
another app window does not start it again. Each attempt is counted, and stored, before its PIN
is checked, and attempts are checked one at a time: PINs submitted together are counted one by
one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import NoReturn

import keyring.errors

from mobile_app.domain.models import Role
from mobile_app.domain.roles import Action
from mobile_app.domain.session_pin import pin_problem
from mobile_app.epj.capabilities import EVERYTHING, ServerSupport
from mobile_app.epj.errors import (
    AuthError,
    BreakGlassUnavailable,
    EpjError,
    InputRejected,
    LoginRefused,
    Unavailable,
    WrongCredentials,
)
from mobile_app.epj.protocol import Epj
from mobile_app.epj.smart import REFRESH_MARGIN, Tokens
from mobile_app.services.browser_login import SignedIn, TokenKeeper
from mobile_app.services.token_store import MemoryTokenStore, StoredSession, TokenStore

log = logging.getLogger(__name__)

DEFAULT_IDLE_SECONDS = 300.0
MAX_UNLOCK_ATTEMPTS = 5  # wrong PINs in a row on the lock screen before the session ends
_PIN_ITERATIONS = 50_000


class SessionEnded(Exception):
    """There is no session to unlock any more (it was logged out meanwhile): log in again."""


class LockedOut(SessionEnded):
    """The lock screen took ``attempts`` wrong PINs: the session has ended as a logout does."""

    def __init__(self, attempts: int = MAX_UNLOCK_ATTEMPTS) -> None:
        super().__init__(f"{attempts} wrong PINs on the lock screen: logged out")
        self.attempts = attempts


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
        client: Epj,
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
        self.failed_unlocks = 0  # wrong PINs on the lock screen since the last good one
        self._unlocking = asyncio.Lock()  # one PIN check at a time: counted, checked, then the next
        self._on_clear: list[Callable[[], None]] = []
        # A login made in the EPJ's login page (begin): its SMART client and current tokens.
        self._smart: TokenKeeper | None = None
        self._tokens: Tokens | None = None
        self._renewing = asyncio.Lock()  # one refresh at a time: the refresh token rotates
        # What the server's CapabilityStatement lets the app do, read at each login.
        self.support: ServerSupport = EVERYTHING

    # ------------------------------------------------------------ lifecycle

    def on_clear(self, callback: Callable[[], None]) -> None:
        """Register a callback that drops patient data (run on logout and switch user)."""
        self._on_clear.append(callback)

    async def _server_support(self) -> ServerSupport:
        """What the server can do; when its CapabilityStatement cannot be read, nothing is turned
        off (the server still refuses what it cannot do)."""
        try:
            return await self.client.server_support()
        except EpjError as error:
            log.warning("The EPJ's CapabilityStatement could not be read (%s); nothing is turned off",
                        type(error).__name__)
            return EVERYTHING

    async def begin(self, signed_in: SignedIn, session_pin: str) -> User:
        """Start the session of a login made in the EPJ's login page (browser_login.py), with the
        PIN the user picked for unlocking this phone (InputRejected when it will not do). Who it
        is comes from the checked id_token, the role from FHIR; from here on the access token is
        refreshed before it ends, and logging out revokes the login."""
        tokens = signed_in.tokens
        problem = pin_problem(session_pin)
        if problem is not None:
            raise InputRejected("The session PIN will not do", field="session_pin", reason=str(problem))
        if tokens.practitioner_id is None:
            raise LoginRefused("The login names no clinician (no fhirUser)")
        if self.phase is not Phase.LOGGED_OUT:
            await self.logout()
        self._smart, self._tokens = signed_in.smart, tokens
        self.client.set_token(tokens.access_token, tokens.practitioner_id)
        role = await self._role_of(tokens.practitioner_id)
        self._start((tokens.username or tokens.practitioner_id).lower(), session_pin, tokens, role)
        self.client.keep_fresh(self._renew)
        self.client.allow_break_glass(self._break_glass)
        self.support = await self._server_support()
        if not await self._offers_break_glass(signed_in.smart):
            self.support = self.support.without(Action.BREAK_THE_GLASS, "token exchange for break-the-glass")
        return self.user  # type: ignore[return-value]

    @staticmethod
    async def _offers_break_glass(smart: TokenKeeper) -> bool:
        """Whether the login server gives break-the-glass tokens; when that cannot be read, the app
        asks anyway (a server without says no, and the screen then says to use the EPJ)."""
        try:
            return await smart.offers_break_glass()
        except EpjError:
            return True

    async def _break_glass(self, patient_id: str, reason: str) -> tuple[str, float]:
        """A break-the-glass token for one patient by token exchange with the login's (fresh) access
        token (smart.py): BreakGlassUnavailable where the server offers none."""
        await self._renew()
        smart, tokens = self._smart, self._tokens
        if smart is None or tokens is None:
            raise BreakGlassUnavailable("No login to ask for emergency access with", patient_id=patient_id)
        granted = await smart.break_glass(tokens, patient_id, reason)
        return granted.access_token, granted.expires_at

    async def _renew(self) -> None:
        """Before a request: refresh the access token when it ends within REFRESH_MARGIN seconds.
        SessionExpired when the login can no longer be renewed; while the server cannot be reached,
        the old token is used as long as it lasts."""
        smart, tokens = self._smart, self._tokens
        if smart is None or tokens is None or not tokens.expires_within(REFRESH_MARGIN, smart.clock()):
            return
        async with self._renewing:
            if self._tokens is not tokens:  # renewed by another request meanwhile
                return
            try:
                fresh = await smart.fresh(tokens)
            except Unavailable:
                if tokens.expires_within(0, smart.clock()):
                    raise
                return
            if fresh is tokens or self._smart is not smart:  # logged out meanwhile
                return
            self._tokens = fresh
            self.client.set_token(fresh.access_token)
    async def _role_of(self, practitioner_id: str) -> Role:
        """The role the EPJ gives the user (their PractitionerRole.code): what the app offers follows
        it. A role the app does not know, or one that cannot be read, offers nothing clinical."""
        try:
            role = await self.client.my_role(practitioner_id)
        except EpjError as error:
            log.warning("The user's PractitionerRole could not be read (%s)", type(error).__name__)
            role = None
        return role if role is not None else Role.OTHER

    def _start(self, username: str, pin: str, tokens: Tokens, role: Role) -> None:
        assert tokens.practitioner_id is not None
        self.user = User(username, tokens.practitioner_id, tokens.name or tokens.username or "", role)
        self._pin_salt = secrets.token_bytes(16)
        self._pin_hash = _hash_pin(pin, self._pin_salt)
        self.failed_unlocks = 0
        self.phase = Phase.ACTIVE
        self.touch()
        self._remember()

    def _remember(self) -> None:
        """Note in the token store that this user's session runs (with its lock-screen count): no
        token, as nothing reads one back (a restarted app does not resume a session)."""
        assert self.user is not None
        stored = StoredSession(self.user.username, self.user.practitioner_id, self.client.base_url)
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
        """Unlock as the same user. Raises WrongCredentials on a wrong PIN, LockedOut on the last
        allowed one (the session has then ended as a logout does), SessionEnded when there is no
        session any more, and the EPJ's errors when a restored session's PIN cannot be checked."""
        async with self._unlocking:
            if self.phase is Phase.ACTIVE:  # another attempt unlocked it meanwhile
                return
            if self.phase is not Phase.LOCKED or self.user is None:
                raise SessionEnded("No session to unlock: log in again")
            failed = self._failures_so_far()
            if failed >= MAX_UNLOCK_ATTEMPTS:
                await self._lock_out()
            self._count_failures(failed + 1)  # counted (and stored) before the PIN is checked
            try:
                await self._check_pin(pin)
            except WrongCredentials:
                if failed + 1 >= MAX_UNLOCK_ATTEMPTS:
                    await self._lock_out()
                raise
            except EpjError:
                self._count_failures(failed)  # no verdict on the PIN (offline, locked by the EPJ, ...)
                raise
            self._count_failures(0)
            self.phase = Phase.ACTIVE
            self.touch()

    async def _check_pin(self, pin: str) -> None:
        """WrongCredentials unless ``pin`` is the session PIN the user picked at login (its salted
        hash is in memory only); SessionEnded when there is none to check against."""
        if not self._pin_hash:
            raise SessionEnded("No session PIN to check: log in again")
        if not hmac.compare_digest(_hash_pin(pin, self._pin_salt), self._pin_hash):
            raise WrongCredentials("Wrong PIN")

    def _failures_so_far(self) -> int:
        """The count here or the stored one, whichever is higher (another window of the app may
        have counted too)."""
        stored = self._stored_session()
        return max(self.failed_unlocks, stored.failed_unlocks if stored is not None else 0)

    def _stored_session(self) -> StoredSession | None:
        stored = self.token_store.load()
        if stored is None or self.user is None or stored.username != self.user.username \
                or stored.epj_url != self.client.base_url:
            return None
        return stored

    def _count_failures(self, count: int) -> None:
        """Set the count here and in the token store. A store that refuses to keep it forgets the
        session instead: no restart may bring the session back with a lower count."""
        self.failed_unlocks = count
        stored = self._stored_session()
        if stored is None or stored.failed_unlocks == count:
            return
        try:
            self.token_store.save(replace(stored, failed_unlocks=count))
        except keyring.errors.KeyringError:
            log.warning("The lock screen's count could not be stored; the session will not survive a restart")
            self.token_store.clear()

    async def _lock_out(self) -> NoReturn:
        """Too many wrong PINs: the session ends as a logout does, and LockedOut is raised."""
        self.token_store.clear()  # first: if the app stops from here on, nothing is left to restore
        await self.logout()
        raise LockedOut(MAX_UNLOCK_ATTEMPTS)

    async def logout(self) -> None:
        """Forget everything: token (here and on the server), PIN hash and patient data."""
        smart, tokens = self._smart, self._tokens
        if smart is not None and tokens is not None:
            with contextlib.suppress(EpjError):  # the tokens are dropped here whatever the server says
                await smart.revoke(tokens)
        self.expire()
        if smart is not None:
            await smart.aclose()

    def expire(self) -> None:
        """End the session without asking the server (e.g. after a 401)."""
        self.client.set_token(None)
        self.client.keep_fresh(None)
        self.client.allow_break_glass(None)
        self._smart, self._tokens = None, None
        self.support = EVERYTHING
        self.token_store.clear()
        self.user = None
        self.phase = Phase.LOGGED_OUT
        self._pin_hash = b""
        self._pin_salt = b""
        self.failed_unlocks = 0
        for callback in self._on_clear:
            callback()

    def forget_previous(self) -> bool:
        """After a restart: a session this app left in the token store (the app stopped while
        someone was logged in) is forgotten, and True says so. It is not resumed: its session PIN
        lived in memory only, so nobody could unlock it on the phone, and the user logs in again."""
        stored = self.token_store.load()
        if stored is None:
            return False
        with contextlib.suppress(keyring.errors.KeyringError):
            self.token_store.clear()
        return stored.epj_url == self.client.base_url

    @staticmethod
    def is_auth_failure(error: BaseException) -> bool:
        return isinstance(error, AuthError)
