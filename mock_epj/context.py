"""What every FHIR interaction takes and gives: the caller's Context, the FhirRequest, the Result.

The same three types serve a request that came over HTTP and one that came as a batch or
transaction entry; only routes.py knows about HTTP, and bodies are Python values throughout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from mock_epj.auth import Session

if TYPE_CHECKING:
    from mock_epj.access import Grant


@dataclass
class Context:
    """Who asks and with which request-wide preferences; shared by all entries of a Bundle."""

    session: Session
    base: str  # e.g. http://127.0.0.1:8080/fhir
    break_glass_reason: str | None = None
    strict: bool = False  # unknown search parameters give 400 (Prefer: handling=strict, or a strict server)
    prefer_return: str = "representation"
    # A server in strict mode (mock-epj serve --strict): no mock-only behaviour at all (no custom
    # search parameters or headers, batch entries in shuffled order, plain 412 wording).
    conformant: bool = False
    audits: list[dict[str, Any]] = field(default_factory=list)
    emergency: dict[str, str] = field(default_factory=dict)  # patient id -> access expires
    glass_patient: str | None = None  # the one patient this request used break-the-glass for
    # Patients this request registered itself (a transaction creating a patient and its record).
    created_patients: set[str] = field(default_factory=set)
    grant: Grant | None = None  # the user's care relations, once per request (guard.py)


@dataclass
class FhirRequest:
    """One FHIR interaction as its handler sees it, whether it came over HTTP or in a Bundle."""

    method: str
    path: list[str]  # decoded segments below the FHIR base, e.g. ["Patient", "123"]
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: Any = None  # the parsed JSON body (a resource), never bytes
    args: dict[str, str] = field(default_factory=dict)  # what the route's {placeholders} matched
    assigned_id: str | None = None  # the id a transaction gave a create in advance (urn:uuid)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Result:
    """An interaction's answer: a status, a JSON value (see wire.py) or None, and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def path_segments(path: str) -> list[str]:
    """The decoded, non-empty segments of a URL path."""
    return [unquote(segment) for segment in path.split("/") if segment]
