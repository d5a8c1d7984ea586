"""The EPJ client: the only part of the app that knows FHIR.

``EpjClient`` talks FHIR R4 over HTTP (through ``transport.FhirTransport``) and is what the
``Epj`` protocol asks for, ``mapping`` and ``clinical`` turn FHIR JSON into the domain
models, and ``errors`` is the one exception hierarchy the screens turn into messages.
"""

from mobile_app.epj.client import EpjClient
from mobile_app.epj.errors import (
    AccessDenied,
    AccountLocked,
    AuthError,
    BadResponse,
    Conflict,
    EpjError,
    InputRejected,
    InvalidRequest,
    NotFound,
    NotLoggedIn,
    Offline,
    ServerError,
    SessionExpired,
    TimedOut,
    Unavailable,
    WrongCredentials,
)
from mobile_app.epj.protocol import Epj

__all__ = [
    "AccessDenied",
    "AccountLocked",
    "AuthError",
    "BadResponse",
    "Conflict",
    "Epj",
    "EpjClient",
    "EpjError",
    "InputRejected",
    "InvalidRequest",
    "NotFound",
    "NotLoggedIn",
    "Offline",
    "ServerError",
    "SessionExpired",
    "TimedOut",
    "Unavailable",
    "WrongCredentials",
]
