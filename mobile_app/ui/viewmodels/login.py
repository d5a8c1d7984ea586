"""State of the login and lock screens: input, validation and the message for each failure."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import flet as ft

from mobile_app.epj.errors import (
    AccountLocked,
    AuthError,
    BadResponse,
    EpjError,
    Offline,
    ServerError,
    TimedOut,
    WrongCredentials,
)
from mobile_app.services.session import MAX_UNLOCK_ATTEMPTS
from mobile_app.services.usage import error_type
from mobile_app.ui.viewmodels.base import AppContext, Problem, elapsed_ms

_LOGIN_FAILURES = frozenset({"wrong_credentials", "account_locked", "offline", "timeout", "server_error"})


def login_problem(error: EpjError) -> Problem:
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
        return Problem("login.wrong")
    return Problem("login.server_error")


@ft.observable
@dataclass(eq=False)
class LoginState:
    ctx: AppContext
    username: str = ""
    pin: str = ""
    busy: bool = False
    problem: Problem | None = None
    notice: Problem | None = None  # why the user is here (logged out, session expired, ...)
    took_ms: float = 0.0  # how long the last successful login took (logged once the session has begun)

    async def submit(self) -> bool:
        """Log in; True on success (the caller moves on to the home screen)."""
        if self.busy:
            return False
        if not self.username.strip():
            self.problem = Problem("login.missing_username")
            return False
        if not self.pin:
            self.problem = Problem("login.missing_pin")
            return False
        self.busy = True
        self.problem = None
        started = time.perf_counter()
        try:
            await self.ctx.session.login(self.username, self.pin)
        except EpjError as error:
            code = error_type(error)
            self.ctx.event("login", duration_ms=elapsed_ms(started), outcome="failure",
                           reason=code if code in _LOGIN_FAILURES else "internal")
            self.problem = login_problem(error)
            self.pin = ""
            return False
        finally:
            self.busy = False
        self.took_ms = elapsed_ms(started)
        self.pin = ""
        self.notice = None
        return True


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
