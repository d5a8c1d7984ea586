"""What every screen's state shares: loading status, problems as message keys, the app context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from mobile_app.epj.client import EpjClient
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
from mobile_app.services.outbox import Outbox
from mobile_app.services.session import Session


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

    client: EpjClient
    session: Session
    on_auth_error: Callable[[AuthError], None] = lambda error: None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    spawn: Callable[[Awaitable[Any]], Any] | None = None  # runs a background task
    outbox: Outbox | None = None  # where every write goes (None: this app instance cannot write)

    def today(self) -> date:
        return self.now().astimezone().date()


async def guarded(ctx: AppContext, action: Callable[[], Awaitable[Any]]) -> tuple[Any, Problem | None]:
    """Run an EPJ call; auth failures end the session, other errors become a Problem."""
    try:
        return await action(), None
    except AuthError as error:
        ctx.on_auth_error(error)
        return None, Problem("login.expired", retryable=False)
    except EpjError as error:
        return None, problem_for(error)
