"""How the EPJ's answers are read: status codes and OperationOutcomes become the exceptions of
errors.py, JSON bodies are checked for the shape we expect, batch responses are split up.

Pure functions over status, headers and parsed JSON; the client does the HTTP.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from mobile_app.epj import fhir
from mobile_app.epj.errors import (
    AccessDenied,
    AccountLocked,
    BadResponse,
    Conflict,
    EpjError,
    InvalidRequest,
    NotFound,
    NotLoggedIn,
    ServerError,
    SessionExpired,
    TimedOut,
    WrongCredentials,
)
from mobile_app.epj.fhir import JSON

_INVALID = frozenset({400, 405, 406, 411, 413, 414, 415, 422})


def outcome_text(body: Any) -> str:
    """The diagnostics of an OperationOutcome (else its issues' details), as one line."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    texts = [fhir.first([fhir.text(issue, "diagnostics"), fhir.concept_text(fhir.obj(issue, "details"))])
             for issue in fhir.objects(body, "issue")]
    return " ".join(t for t in texts if t)


def outcome_codes(body: Any) -> list[str]:
    return [code for issue in fhir.objects(body, "issue") if (code := fhir.text(issue, "code"))]


def retry_after(value: str | None, now: datetime | None = None) -> int | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil((when - (now or datetime.now(UTC))).total_seconds()))


def conflict(detail: str, status: int | None = 412, etag: str | None = None) -> Conflict:
    """A Conflict with the version now current when the ETag says it. Who saved it and when are
    not read from the server's text (its wording is the server's own, not FHIR): the caller reads
    the current version and its Provenance (writes.py) where it wants to say."""
    current = None
    if etag and (tag := re.fullmatch(r'(?:W/)?"([^"]+)"', etag.strip())):
        current = tag.group(1)
    return Conflict(detail, status, current_version=current)


def error_for(status: int, body: Any, headers: Mapping[str, str] | None = None, *, login: bool = False,
              patient_id: str | None = None) -> EpjError | None:
    """The exception for a non-2xx status (None for 2xx). ``login`` reads 401 as a wrong PIN."""
    if 200 <= status < 300:
        return None
    headers = headers or {}
    detail = outcome_text(body)
    if status == 401:
        if login:
            return WrongCredentials(detail, status)
        challenge = (headers.get("www-authenticate") or "").lower()
        if "expired" in outcome_codes(body) or "expired" in challenge:
            return SessionExpired(detail, status)
        return NotLoggedIn(detail, status)
    if status == 429:
        return AccountLocked(detail, status, retry_after=retry_after(headers.get("retry-after")))
    if status == 403:
        return AccessDenied(detail, status, patient_id=patient_id)
    if status in (404, 410):
        return NotFound(detail, status)
    if status in (409, 412):
        return conflict(detail, status, headers.get("etag"))
    if status == 408:
        return TimedOut(detail, status)
    if status in _INVALID or 400 <= status < 500:
        return InvalidRequest(detail, status)
    if status >= 500:
        return ServerError(detail, status)
    return BadResponse(detail or f"Unexpected HTTP status {status}", status)


def parse_json(content: bytes, content_type: str | None) -> Any:
    """The JSON of a body, or BadResponse when it is something else (HTML, text, broken JSON)."""
    if content_type and "json" not in content_type.lower():
        kind = content_type.split(";")[0].strip()
        raise BadResponse(f"The EPJ answered with {kind}, not FHIR JSON")
    try:
        return json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadResponse(f"The EPJ answered with broken JSON: {error}") from None


def resource(body: Any, resource_type: str | None = None) -> JSON:
    """``body`` as a FHIR resource (of ``resource_type``), or BadResponse."""
    if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
        raise BadResponse("The EPJ answered with JSON that is not a FHIR resource")
    if resource_type is not None and body["resourceType"] != resource_type:
        raise BadResponse(f"Expected a {resource_type}, got a {body['resourceType']}")
    if resource_type == "Bundle" and not isinstance(body.get("entry", []), list):
        raise BadResponse("Bundle.entry is not a list")
    return body


@dataclass(frozen=True)
class EntryResponse:
    """One entry of a batch-response Bundle."""

    status: int
    resource: JSON | None
    etag: str | None = None

    def error(self, patient_id: str | None = None) -> EpjError | None:
        return error_for(self.status, self.resource, patient_id=patient_id)

    def raise_for_status(self, patient_id: str | None = None) -> JSON:
        """The entry's resource; the entry's own error when it failed."""
        error = self.error(patient_id)
        if error is not None:
            raise error
        if self.resource is None:
            raise BadResponse("A batch entry came back without a resource")
        return self.resource

    def bundle(self, patient_id: str | None = None) -> JSON:
        return resource(self.raise_for_status(patient_id), "Bundle")

    def optional_bundle(self, patient_id: str | None = None) -> JSON:
        """The searchset, or an empty one when the server does not support the search (400, 404,
        501): for reads the screen can do without, such as a resource type the EPJ lacks."""
        if self.status in (400, 404, 501):
            return {"resourceType": "Bundle", "type": "searchset", "entry": []}
        return self.bundle(patient_id)


def batch_entries(body: Any, expected: int) -> list[EntryResponse]:
    """The entries of a batch-response Bundle, in the order of the request's entries."""
    bundle = resource(body, "Bundle")
    if bundle.get("type") not in ("batch-response", "transaction-response"):
        raise BadResponse(f"Expected a batch-response Bundle, got type {bundle.get('type')!r}")
    raw = bundle.get("entry", [])
    if len(raw) != expected or not all(isinstance(e, dict) for e in raw):
        raise BadResponse(f"The batch answered {len(raw)} entries for {expected} requests")
    out: list[EntryResponse] = []
    for entry in raw:
        response = fhir.obj(entry, "response")
        code = (fhir.text(response, "status") or "").split(" ")[0]
        if not code.isdigit():
            raise BadResponse(f"A batch entry has no HTTP status: {response.get('status')!r}")
        body_of_entry = entry.get("resource") if isinstance(entry.get("resource"), dict) else None
        if int(code) >= 300 and isinstance(response.get("outcome"), dict):
            body_of_entry = response["outcome"]
        out.append(EntryResponse(int(code), body_of_entry, fhir.text(response, "etag")))
    return out
