"""The session as the user lives it: login, lock and unlock, logout and expiry, and the usage session.

The phase (logged out, locked, active) decides what the shell shows. ``on_phase`` hears every
move to active or locked (what runs only while the app is in use starts and stops there);
``on_session_end`` hears the end of each usage session. Dropping patient data on logout is not
done here: the services' session calls its ``on_clear`` callbacks (the app state's ``clear``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import flet as ft

from mobile_app.epj.errors import AuthError
from mobile_app.services.browser_login import OpenUrl
from mobile_app.services.session import LockedOut, Phase, SessionEnded
from mobile_app.ui.viewmodels.base import AppContext, Problem, elapsed_ms
from mobile_app.ui.viewmodels.login import LockState, LoginState

BACKGROUND_LOCK_SECONDS = 30.0  # in the background this long: locked when it comes back
# The unlock event's reason for each lock-screen problem.
_UNLOCK_FAILURES = {"lock.wrong": "wrong_pin", "login.locked": "too_many_attempts"}


@ft.observable
@dataclass(eq=False, repr=False)  # Flet formats every message it sends with repr: keep it short
class SessionFlow:
    ctx: AppContext
    on_phase: Callable[[Phase], None] = lambda phase: None
    home_ward: Callable[[], str | None] = lambda: None  # the ward the usage session is counted for
    on_session_end: Callable[[], None] = lambda: None
    unsaved_text: Callable[[], bool] = lambda: False  # a note being written has text not yet saved
    phase: Phase = Phase.LOGGED_OUT
    login: LoginState = field(init=False)
    lock: LockState = field(init=False)
    confirm_logout: bool = False  # unsent writes or unsaved text: the user is asked before logging out
    locked_by: str = "idle"  # why the app is locked: idle, manual (the user locked it) or background
    _locked_at: float | None = None  # perf_counter when the app locked (the unlock event's duration)
    _usage_session: bool = False  # a usage session runs for the logged-in user
    _hidden_at: float | None = None  # monotonic time the app went to the background

    def __repr__(self) -> str:  # no user data, and cheap
        return f"SessionFlow(phase={self.phase.value})"

    def __post_init__(self) -> None:
        self.ctx.on_auth_error = self._auth_failed
        self.reset()
        if self.ctx.session.forget_previous():  # the app stopped while someone was logged in
            self.login.notice = Problem("login.restarted", retryable=False)
        if not self.ctx.session.token_store.secure:
            self.login.notice = Problem("login.no_secure_store", retryable=False)

    def reset(self) -> None:
        """Logged out: fresh login and lock forms (no username or PIN of the last user)."""
        self.login = LoginState(self.ctx)
        self.lock = LockState(self.ctx)
        self.phase = Phase.LOGGED_OUT

    def _set_phase(self, phase: Phase) -> None:
        self.phase = phase
        self.on_phase(phase)

    @property
    def user_name(self) -> str:
        user = self.ctx.session.user
        return user.name if user else ""

    # ------------------------------------------------------------ login and unlock

    async def open_login_page(self, open_url: OpenUrl) -> None:
        """The first step of a login: the EPJ's own login page (see LoginState)."""
        await self.login.open_login_page(open_url)

    async def submit_login(self) -> bool:
        """The last step of a login, the session PIN chosen; True when the user is in (the caller
        fills the home screen, then ``begin_usage_session``)."""
        if not await self.login.submit():
            return False
        self._open_outbox()
        self._set_phase(Phase.ACTIVE)
        if self.ctx.session.secure_storage_failed:
            self.login.notice = Problem("login.no_secure_store", retryable=False)
        return True

    def begin_usage_session(self) -> None:
        """After a login: the usage session begins, and the login is its first event."""
        self._start_usage_session()
        self.ctx.event("login", duration_ms=self.login.took_ms, outcome="success")

    def _open_outbox(self) -> None:
        user = self.ctx.session.user
        if self.ctx.outbox is not None and user is not None:
            self.ctx.outbox.open(user.practitioner_id)  # the author's unsent writes, from last time
            self.ctx.outbox.retry_now()

    def _start_usage_session(self) -> None:
        """A new usage session (random id) with the user's role and home ward; never their name."""
        user = self.ctx.session.user
        if self.ctx.usage is None or user is None:
            return
        self.ctx.usage.start_session(user.practitioner_id, str(user.role), self.home_ward())
        self._usage_session = True

    def _end_usage_session(self, reason: str) -> None:
        if self.ctx.usage is not None and self._usage_session:
            self.ctx.usage.end_session(reason)
            self.on_session_end()
        self._usage_session = False

    async def submit_unlock(self) -> None:
        locked_ms = elapsed_ms(self._locked_at) if self._locked_at is not None else None
        try:
            unlocked = await self.lock.unlock()
        except SessionEnded as ended:
            self._session_ended(ended, locked_ms)
            return
        if unlocked:
            self._set_phase(Phase.ACTIVE)
            self._locked_at = None
            self.ctx.event("unlock", duration_ms=locked_ms, outcome="success")
        elif self.lock.problem is not None and self.lock.problem.key != "login.missing_pin":
            reason = _UNLOCK_FAILURES.get(self.lock.problem.key, "internal")
            self.ctx.event("unlock", duration_ms=locked_ms, outcome="failure", reason=reason)

    def _session_ended(self, ended: SessionEnded, locked_ms: float | None) -> None:
        """The lock screen's last allowed PIN was wrong (the session has logged out and dropped every
        piece of patient data), or the session ended meanwhile: to the login screen, saying why."""
        self._locked_at = None
        if isinstance(ended, LockedOut):
            self.ctx.event("unlock", duration_ms=locked_ms, outcome="failure", reason="too_many_attempts")
            self._end_usage_session("locked_out")
        else:
            self._end_usage_session("logout")
        if self.ctx.session.phase is not Phase.LOGGED_OUT:
            self.ctx.session.expire()
        self.reset()
        self.login.notice = Problem("login.locked_out", {"attempts": ended.attempts}, retryable=False) \
            if isinstance(ended, LockedOut) else Problem("login.logged_out", retryable=False)

    # ------------------------------------------------------------ locking

    def lock_now(self, trigger: str = "manual") -> None:
        self.ctx.session.lock()
        self._set_phase(self.ctx.session.phase)
        self._locked(trigger)

    def disconnected(self) -> None:
        """The browser tab went away (closed, reloaded, or the connection dropped). Flet keeps the
        session for a while, and a tab restored with the browser's "reopen closed tab" gets it back:
        it comes back locked, never showing patient data without the PIN."""
        if self.phase is Phase.ACTIVE:
            self.lock_now("background")

    def hidden(self, now: float) -> None:
        """The app went to the background (``now``: monotonic seconds)."""
        self._hidden_at = now

    def shown(self, now: float) -> None:
        """Back in the foreground: locked when it was away ``BACKGROUND_LOCK_SECONDS`` or longer (a
        phone put down with the app behind another one), not after a quick look at the camera or a
        file picker."""
        hidden_at, self._hidden_at = self._hidden_at, None
        if hidden_at is not None and now - hidden_at >= BACKGROUND_LOCK_SECONDS and self.phase is Phase.ACTIVE:
            self.lock_now("background")

    def check_idle(self) -> bool:
        """Called every second by the UI: lock the app after the idle time."""
        if self.ctx.session.check_idle():
            self._set_phase(Phase.LOCKED)
            self._locked("idle")
            return True
        return False

    def _locked(self, trigger: str) -> None:
        if self.phase is Phase.LOCKED:
            self.locked_by = trigger
            self._locked_at = time.perf_counter()
            self.ctx.event("lock", trigger=trigger)

    # ------------------------------------------------------------ leaving

    @property
    def unsent_kept(self) -> bool:
        """Whether what waits to be sent outlives a logout (kept encrypted on the device) or is lost
        with it (no secure store here: the outbox is in memory only)."""
        return self.ctx.outbox is not None and self.ctx.outbox.persistent

    @property
    def unsent(self) -> int:
        user = self.ctx.session.user
        if self.ctx.outbox is None or user is None:
            return 0
        return len(self.ctx.outbox.pending_for(user.practitioner_id))

    async def request_logout(self) -> None:
        """Log out, but first ask when writes are still waiting to be sent or a note being written
        has text that is not saved (logging out throws it away)."""
        if (self.unsent or self.unsaved_text()) and not self.confirm_logout:
            self.confirm_logout = True
            return
        self.confirm_logout = False
        await self.logout()

    def cancel_logout(self) -> None:
        self.confirm_logout = False

    async def logout(self, notice: str = "login.logged_out") -> None:
        self._end_usage_session("logout")
        await self.ctx.session.logout()  # runs the app's clear() through the session's on_clear
        self.login.notice = Problem(notice, retryable=False)

    def app_exit(self) -> None:
        """The app is closing: the usage session ends (the log is flushed by whoever owns it)."""
        self._end_usage_session("app_exit")

    def _auth_failed(self, error: AuthError) -> None:
        self._end_usage_session("expired")
        self.ctx.session.expire()
        self.login.notice = Problem("login.expired", retryable=False)
