"""The EPJ client's exceptions: one hierarchy that screens turn into messages.

EpjError
 ├── AuthError
 │    ├── WrongCredentials        401 at login
 │    ├── AccountLocked           429 at login (retry_after seconds)
 │    ├── SessionExpired          401 "expired" on a request; a refresh token refused (smart.py)
 │    ├── NotLoggedIn             401 otherwise (revoked or unknown token)
 │    ├── LoginRefused            the authorization server said no (or its answer was not ours: state, iss)
 │    └── IdTokenInvalid          the id_token's signature or claims do not hold
 ├── AccessDenied                403 (break-the-glass may help when patient_id is set)
 │    ├── BreakGlassRefused       the token exchange for emergency access was refused (smart.py)
 │    └── BreakGlassUnavailable   no emergency access from the app (no token exchange, or a 403 after
 │                                asking): take it in the EPJ itself
 ├── NotFound                    404 / 410
 ├── Conflict                    412 (someone changed it; changed_by / changed_at say who and when)
 ├── InvalidRequest              400 / 405 / 406 / 413 / 415 / 422 (not worth retrying)
 │    └── InputRejected          checked before sending: empty text, text over the limit, ...
 ├── Unavailable                 the server cannot be used now: retrying may help
 │    ├── Offline                connection refused / dropped / DNS
 │    ├── TimedOut               no answer in time
 │    └── ServerError            5xx
 └── BadResponse                 the answer is not the FHIR JSON we expect
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mobile_app.domain.models import PatientSummary


class EpjError(Exception):
    """Base of every error the EPJ client raises; ``detail`` is the server's own text, if any."""

    def __init__(self, detail: str = "", status: int | None = None) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail
        self.status = status


class AuthError(EpjError):
    pass


class WrongCredentials(AuthError):
    pass


class AccountLocked(AuthError):
    def __init__(self, detail: str = "", status: int | None = 429, retry_after: int | None = None) -> None:
        super().__init__(detail, status)
        self.retry_after = retry_after


class SessionExpired(AuthError):
    pass


class NotLoggedIn(AuthError):
    pass


class LoginRefused(AuthError):
    """The authorization server refused the login (``error`` is its OAuth error code, e.g.
    access_denied when the user cancelled), or its answer did not belong to this login."""

    def __init__(self, detail: str = "", status: int | None = None, *, error: str | None = None) -> None:
        super().__init__(detail, status)
        self.error = error


class IdTokenInvalid(AuthError):
    """An id_token whose signature, issuer, audience, expiry or nonce does not hold: not trusted."""


class AccessDenied(EpjError):
    """``patient`` is the patient's banner data when the server showed it (demographics are open)."""

    def __init__(self, detail: str = "", status: int | None = 403, patient_id: str | None = None,
                 *, patient: PatientSummary | None = None) -> None:
        super().__init__(detail, status)
        self.patient_id = patient_id
        self.patient = patient


class BreakGlassRefused(AccessDenied):
    """The server refused emergency access (a role that may not, a reason it did not accept)."""


class BreakGlassUnavailable(AccessDenied):
    """Emergency access (break-the-glass) cannot be had from the app: the server offers no token
    exchange for it, or it was asked for and the EPJ still refused the record (a plain FHIR server
    honours no custom header). It must be taken in the EPJ itself."""


class NotFound(EpjError):
    pass


class Conflict(EpjError):
    """Someone saved a newer version. ``changed_by`` (a name) and ``changed_at`` say who and when,
    when the server told us; ``current_version`` is the version now on the server."""

    def __init__(self, detail: str = "", status: int | None = None, *, changed_by: str | None = None,
                 changed_at: datetime | None = None, current_version: str | None = None) -> None:
        super().__init__(detail, status)
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.current_version = current_version


class InvalidRequest(EpjError):
    pass


class InputRejected(InvalidRequest):
    """The app refused to send it: ``field`` (text, title, note_type, ...) is ``reason`` (empty,
    too_long, unknown). ``limit`` and ``length`` are in characters where they apply."""

    def __init__(self, detail: str, *, field: str, reason: str, limit: int | None = None,
                 length: int | None = None) -> None:
        super().__init__(detail, None)
        self.field = field
        self.reason = reason
        self.limit = limit
        self.length = length


class Unavailable(EpjError):
    """Retrying later may help. ``request_sent`` is False when the request surely never reached the
    server (the connection could not be made), so a write cannot have happened."""

    def __init__(self, detail: str = "", status: int | None = None, *, request_sent: bool = True) -> None:
        super().__init__(detail, status)
        self.request_sent = request_sent


class Offline(Unavailable):
    pass


class TimedOut(Unavailable):
    pass


class ServerError(Unavailable):
    pass


class BadResponse(EpjError):
    pass
