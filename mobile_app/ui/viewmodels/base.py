"""What every screen's state shares: loading status, problems as message keys, the app context."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from mobile_app.domain import hospital_time
from mobile_app.domain.models import Role
from mobile_app.domain.roles import Action, Permissions, permissions
from mobile_app.epj.errors import (
    AccessDenied,
    AuthError,
    BadResponse,
    EpjError,
    InvalidRequest,
    NotFound,
    Offline,
    ServerError,
    TimedOut,
    Unavailable,
)
from mobile_app.epj.protocol import Epj
from mobile_app.services.browser_login import SignIn
from mobile_app.services.outbox import Outbox
from mobile_app.services.session import Session
from mobile_app.services.speech_client import SpeechClient
from mobile_app.services.usage import UsageLog, error_type
from mobile_app.services.usage.registry import AttributeValue


class Status(StrEnum):
    IDLE = "idle"
    LOADING = "loading"
    READY = "ready"
    ERROR = "error"


@dataclass(frozen=True)
class Problem:
    """Something to tell the user, as a message-catalogue key with its parameters."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    retryable: bool = True


def problem_for(error: EpjError) -> Problem:
    if isinstance(error, Offline):
        return Problem("state.offline")
    if isinstance(error, TimedOut):
        return Problem("state.timeout")
    if isinstance(error, ServerError):
        return Problem("state.server_error")
    if isinstance(error, Unavailable):
        return Problem("state.offline")
    if isinstance(error, BadResponse):
        return Problem("state.bad_response")
    if isinstance(error, NotFound):
        return Problem("state.not_found", retryable=False)
    if isinstance(error, AccessDenied):
        return Problem("state.forbidden", retryable=False)
    if isinstance(error, InvalidRequest):
        return Problem("state.invalid_request", {"detail": error.detail}, retryable=False)
    return Problem("state.server_error")


@dataclass(eq=False)
class AppContext:
    """The services a screen's state may use (no Flet, no page)."""

    client: Epj
    session: Session
    on_auth_error: Callable[[AuthError], None] = lambda error: None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    outbox: Outbox | None = None  # where every write goes (None: this app instance cannot write)
    usage: UsageLog | None = None  # the evaluators' usage log (None: nothing is logged)
    speech: SpeechClient | None = None  # the hospital's speech service (None: none configured)
    sign_in: SignIn | None = None  # the EPJ's login (browser_login.py; None: nobody can log in)

    _offline_since: float | None = None  # monotonic time the EPJ stopped answering

    @property
    def permissions(self) -> Permissions:
        """What the logged-in user's role may do (nothing clinical when no one is logged in), less
        what the EPJ's server cannot do (its CapabilityStatement)."""
        user = self.session.user
        offered = permissions(user.role if user is not None else Role.OTHER)
        support = self.session.support
        if not support.missing:
            return offered
        return replace(offered, actions=frozenset(a for a in offered.actions if support.allows(a)))

    def turned_off(self) -> list[Action]:
        """The actions the user's role offers that this EPJ's server turns off (said on My patients)."""
        user = self.session.user
        return self.session.support.turned_off(permissions(user.role if user is not None else Role.OTHER).actions)

    def may(self, action: Action) -> bool:
        return self.permissions.may(action)

    def today(self) -> date:
        """The hospital's calendar day now (not the phone's or the server's)."""
        return hospital_time.local_date(self.now())

    def event(self, name: str, *, duration_ms: float | None = None, outcome: str | None = None,
              patient_id: str | None = None, **attributes: AttributeValue) -> None:
        """Log a usage event (see services/usage/registry.py); nothing happens without a usage log."""
        if self.usage is not None:
            self.usage.event(name, duration_ms=duration_ms, outcome=outcome, patient_id=patient_id, **attributes)

    def reachable(self, answered: bool) -> None:
        """Note whether the EPJ answered: going offline and coming back are usage events, and coming
        back sends what waits in the outbox at once."""
        if answered and self._offline_since is not None:
            self.event("online", duration_ms=elapsed_ms(self._offline_since))
            self._offline_since = None
            if self.outbox is not None:  # the network is back: what waits is sent now, not after its backoff
                self.outbox.retry_now()
        elif not answered and self._offline_since is None:
            self._offline_since = time.perf_counter()
            self.event("offline")


def elapsed_ms(started: float) -> float:
    """Milliseconds since a ``time.perf_counter()`` reading."""
    return max(0.0, (time.perf_counter() - started) * 1000)


def log_error(ctx: AppContext, error: BaseException, screen: str | None = None) -> None:
    """The usage event for an error shown to the user: its type code only, never its text."""
    if screen is None:
        ctx.event("error", type=error_type(error))
    else:
        ctx.event("error", type=error_type(error), screen=screen)


def log_failure(ctx: AppContext, error: EpjError, screen: str | None = None) -> None:
    """An EPJ call failed: log the error's type, and whether the EPJ could be reached at all."""
    log_error(ctx, error, screen)
    ctx.reachable(not isinstance(error, Offline | Unavailable | TimedOut))


async def guarded(ctx: AppContext, action: Callable[[], Awaitable[Any]]) -> tuple[Any, Problem | None]:
    """Run an EPJ call; auth failures end the session, other errors become a Problem."""
    try:
        result = await action()
    except AuthError as error:
        log_error(ctx, error)
        ctx.on_auth_error(error)
        return None, Problem("login.expired", retryable=False)
    except EpjError as error:
        log_failure(ctx, error)
        return None, problem_for(error)
    ctx.reachable(True)
    return result, None
