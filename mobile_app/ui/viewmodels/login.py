"""State of the login and lock screens: the login in the EPJ's page, the session PIN, the unlock,
and the message for each failure."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from dataclasses import dataclass, field
from enum import StrEnum

import flet as ft

from mobile_app.domain.session_pin import PinProblem, pin_problem
from mobile_app.epj.errors import (
    AccountLocked,
    AuthError,
    BadResponse,
    EpjError,
    LoginRefused,
    Offline,
    ServerError,
    TimedOut,
    WrongCredentials,
)
from mobile_app.services.browser_login import OpenUrl, SignedIn
from mobile_app.services.login_redirect import LoginTimedOut
from mobile_app.services.session import MAX_UNLOCK_ATTEMPTS
from mobile_app.services.usage import error_type
from mobile_app.ui.viewmodels.base import AppContext, Problem, elapsed_ms

_LOGIN_FAILURES = frozenset({"wrong_credentials", "account_locked", "offline", "timeout", "server_error"})


def login_problem(error: EpjError) -> Problem:
    if isinstance(error, LoginRefused):
        return Problem("login.cancelled" if error.error == "access_denied" else "login.refused")
    if isinstance(error, WrongCredentials):
        return Problem("login.wrong")
    if isinstance(error, AccountLocked):
        minutes = max(1, math.ceil((error.retry_after or 300) / 60))
        return Problem("login.locked", {"minutes": minutes})
    if isinstance(error, Offline | TimedOut):
        return Problem("login.offline")
    if isinstance(error, ServerError | BadResponse):
        return Problem("login.server_error")
    if isinstance(error, AuthError):
        return Problem("login.refused")
    return Problem("login.server_error")


class LoginStep(StrEnum):
    START = "start"  # the "Logg inn" button
    WAITING = "waiting"  # the EPJ's login page is open: waiting for its answer
    CHOOSE_PIN = "choose_pin"  # logged in at the EPJ: the user picks a PIN for unlocking this phone


_PIN_PROBLEMS = {PinProblem.NOT_DIGITS: "login.pin_not_digits", PinProblem.TOO_SHORT: "login.pin_too_short",
                 PinProblem.TOO_LONG: "login.pin_too_long", PinProblem.GUESSABLE: "login.pin_guessable",
                 PinProblem.MISMATCH: "login.pin_mismatch"}


@ft.observable
@dataclass(eq=False)
class LoginState:
    """The login in two steps: the EPJ's own login page (opened in the browser; the app never sees
    the user's EPJ password), then a PIN the user picks for unlocking this phone."""

    ctx: AppContext
    step: LoginStep = LoginStep.START
    pin: str = ""  # the session PIN being chosen
    pin_again: str = ""
    busy: bool = False
    problem: Problem | None = None
    notice: Problem | None = None  # why the user is here (logged out, session expired, ...)
    took_ms: float = 0.0  # how long the last successful login took (logged once the session has begun)
    who: str = ""  # the name the EPJ logged in, shown while the PIN is chosen
    _signed_in: SignedIn | None = field(default=None, repr=False)
    _waiting: asyncio.Future[SignedIn] | None = field(default=None, repr=False)
    _started: float = 0.0

    def __repr__(self) -> str:  # no user data, and cheap (Flet formats messages with repr)
        return f"LoginState(step={self.step.value})"

    async def open_login_page(self, open_url: OpenUrl) -> None:
        """The "Logg inn" button: open the EPJ's login page with ``open_url`` and wait for its
        answer; then the user chooses a session PIN. A refused, cancelled or timed-out login, or an
        EPJ that cannot be reached, gives a message and the button again."""
        if self.step is not LoginStep.START or self.busy:
            return
        if self.ctx.sign_in is None:
            self.problem = Problem("login.server_error")
            return
        self.step, self.problem, self._started = LoginStep.WAITING, None, time.perf_counter()
        self._waiting = asyncio.ensure_future(self.ctx.sign_in(open_url))
        try:
            signed_in = await self._waiting
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the caller was cancelled, not the login
            self.step = LoginStep.START  # the user pressed Cancel
            return
        except (EpjError, LoginTimedOut) as error:
            self._failed(error)
            return
        finally:
            self._waiting = None
        self._signed_in, self.who = signed_in, signed_in.tokens.name or signed_in.tokens.username or ""
        self.step, self.pin, self.pin_again = LoginStep.CHOOSE_PIN, "", ""

    def _failed(self, error: EpjError | LoginTimedOut) -> None:
        self.step = LoginStep.START
        if isinstance(error, LoginTimedOut):
            self.problem, reason = Problem("login.timed_out"), "timeout"
        else:
            self.problem = login_problem(error)
            code = error_type(error)
            reason = code if code in _LOGIN_FAILURES else \
                "cancelled" if isinstance(error, LoginRefused) and error.error == "access_denied" else \
                "refused" if isinstance(error, AuthError) else "internal"
        self.ctx.event("login", duration_ms=elapsed_ms(self._started), outcome="failure", reason=reason)

    async def cancel(self) -> None:
        """Give up the login while its page is open (the listener for its answer closes), or the
        choice of a PIN (the EPJ's login is revoked)."""
        waiting = self._waiting
        if waiting is not None:
            waiting.cancel()
        signed_in, self._signed_in = self._signed_in, None
        self.step, self.pin, self.pin_again, self.problem, self.who = LoginStep.START, "", "", None, ""
        if signed_in is not None:
            await _revoke(signed_in)

    async def submit(self) -> bool:
        """Begin the session with the chosen PIN; True on success (the caller moves on to the home
        screen). A PIN that will not do, or two entries that differ, give a message and nothing else."""
        if self.busy or self.step is not LoginStep.CHOOSE_PIN or self._signed_in is None:
            return False
        problem = pin_problem(self.pin, self.pin_again)
        if problem is not None:
            self.problem = Problem(_PIN_PROBLEMS[problem])
            self.pin = self.pin_again = ""
            return False
        self.busy, self.problem = True, None
        try:
            await self.ctx.session.begin(self._signed_in, self.pin)
        except EpjError as error:
            self._signed_in = None
            self._failed(error)
            return False
        finally:
            self.busy = False
            self.pin = self.pin_again = ""
        self._signed_in = None
        self.took_ms = elapsed_ms(self._started)
        self.step, self.notice, self.who = LoginStep.START, None, ""
        return True


async def _revoke(signed_in: SignedIn) -> None:
    with contextlib.suppress(EpjError):
        await signed_in.smart.revoke(signed_in.tokens)
    await signed_in.smart.aclose()


@ft.observable
@dataclass(eq=False)
class LockState:
    ctx: AppContext
    pin: str = ""
    busy: bool = False
    problem: Problem | None = None

    async def unlock(self) -> bool:
        """True when unlocked. SessionEnded (LockedOut after the last wrong PIN) when the session is
        over: the caller takes the user to the login screen."""
        if self.busy:
            return False
        if not self.pin:
            self.problem = Problem("login.missing_pin")
            return False
        self.busy = True
        try:
            await self.ctx.session.unlock(self.pin)
        except WrongCredentials:
            left = max(0, MAX_UNLOCK_ATTEMPTS - self.ctx.session.failed_unlocks)
            self.problem = Problem("lock.wrong", {"left": left})
            return False
        except EpjError as error:
            self.problem = login_problem(error)
            return False
        finally:
            self.busy = False
            self.pin = ""
        self.problem = None
        return True
