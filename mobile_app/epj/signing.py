"""Signing lab results: the FHIR mechanism, and how a refused signature is explained.

A signature is two extensions on the Observation itself, ``signed-by`` (valueReference to the
Practitioner, with display) and ``signed-at`` (valueDateTime); an Observation without
``signed-by`` is unsigned. Several results are signed in one ``transaction`` Bundle of PUTs, each
with ``ifMatch`` set to the version the user saw, so the server keeps all of them or none, and
refuses (412) when any result changed after the user saw it. The server audits every write.

Before writing, the client reads the results' current versions in one batch: a result that has
already changed is reported at once (who changed it and when, from the server's
``last-modified-by`` meta extension and ``meta.lastUpdated``) without trying to write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from mobile_app.domain.models import ChangedResult, LabResult, Practitioner, ResultVersion, Signature, SignedResult
from mobile_app.epj import fhir
from mobile_app.epj.errors import Conflict
from mobile_app.epj.fhir import JSON
from mobile_app.epj.labs import EXT_SIGNED_AT, EXT_SIGNED_BY, EXTENSIONS
from mobile_app.epj.responses import EntryResponse

EXT_LAST_MODIFIED_BY = f"{EXTENSIONS}/last-modified-by"
# The mock's 412 text: "... on Observation/x: you edited version 1, but version 2 was saved by NAME at TIME."
_SAVED_BY = re.compile(r"(?P<type>\w+)/(?P<id>[^:\s]+): you edited version (?P<seen>\d+), but version"
                       r" (?P<version>\d+) was saved by (?P<who>.+?) at (?P<when>\S+?)\.?(?:\s|$)")


class SignConflict(Conflict):
    """Signing refused because results changed after the user saw them; nothing was signed."""

    def __init__(self, detail: str, changed: tuple[ChangedResult, ...], status: int | None = 412,
                 server_detail: str = "") -> None:
        super().__init__(detail, status)
        self.changed = changed
        self.server_detail = server_detail  # the server's own words, when it refused the write
        first = changed[0] if changed else None
        self.changed_by = first.changed_by if first else None
        self.changed_at = first.changed_at if first else None
        self.current_version = first.version if first else None


def seen_versions(results: Iterable[ResultVersion | LabResult]) -> dict[str, str]:
    """Result id -> the version the user saw (every result must have one)."""
    seen: dict[str, str] = {}
    for result in results:
        if not result.version:
            raise ValueError(f"Observation/{result.id} has no version to sign against")
        seen[result.id] = result.version
    return seen


def signed(resource: JSON, signer: Practitioner, at: datetime) -> JSON:
    """The Observation with the signer's signature (any earlier signature replaced)."""
    others = [e for e in fhir.objects(resource, "extension") if e.get("url") not in (EXT_SIGNED_BY, EXT_SIGNED_AT)]
    return {**resource, "extension": [
        *others,
        {"url": EXT_SIGNED_BY, "valueReference": {"reference": f"Practitioner/{signer.id}", "display": signer.name}},
        {"url": EXT_SIGNED_AT, "valueDateTime": at.isoformat(timespec="seconds")},
    ]}


def sign_transaction(base_url: str, current: Mapping[str, JSON], seen: Mapping[str, str],
                     signer: Practitioner, at: datetime) -> JSON:
    """One transaction of PUTs, each only if the Observation is still the version the user saw."""
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"{base_url}/Observation/{result_id}", "resource": signed(current[result_id], signer, at),
         "request": {"method": "PUT", "url": f"Observation/{result_id}", "ifMatch": f'W/"{version}"'}}
        for result_id, version in seen.items()]}


def signed_results(entries: list[EntryResponse], seen: Mapping[str, str], signer: Practitioner,
                   at: datetime) -> list[SignedResult]:
    out = []
    for result_id, entry in zip(seen, entries, strict=True):
        version = fhir.version_id(entry.resource) if entry.resource else None
        if version is None and entry.etag:
            version = entry.etag.removeprefix("W/").strip('"')
        out.append(SignedResult(id=result_id, version=version,
                                signature=Signature(practitioner_id=signer.id, name=signer.name, at=at)))
    return out


def _modified_by(resource: JSON) -> str | None:
    for extension in fhir.objects(fhir.obj(resource, "meta"), "extension"):
        if extension.get("url") == EXT_LAST_MODIFIED_BY:
            reference = fhir.obj(extension, "valueReference")
            return fhir.display(reference) or fhir.reference_key(reference)
    return None


def changed_results(current: Mapping[str, JSON | None], seen: Mapping[str, str]) -> tuple[ChangedResult, ...]:
    """The results whose version is no longer the one the user saw (deleted ones too)."""
    changed = []
    for result_id, version in seen.items():
        resource = current.get(result_id)
        now = fhir.version_id(resource) if resource else None
        if now == version:
            continue
        changed.append(ChangedResult(
            id=result_id, seen_version=version, version=now,
            name=fhir.concept_text(fhir.obj(resource, "code")) if resource else None,
            changed_by=_modified_by(resource) if resource else None,
            changed_at=fhir.parse_instant(fhir.obj(resource, "meta").get("lastUpdated")) if resource else None))
    return tuple(changed)


def from_diagnostics(detail: str) -> ChangedResult | None:
    """The changed result named by a 412's text ("version N was saved by NAME at TIME")."""
    match = _SAVED_BY.search(detail)
    if match is None:
        return None
    return ChangedResult(id=match["id"], seen_version=match["seen"], version=match["version"],
                         changed_by=match["who"], changed_at=fhir.parse_instant(match["when"]))


def conflict(changed: tuple[ChangedResult, ...], detail: str = "") -> SignConflict:
    """The error the UI shows: which results changed, by whom and when; nothing was signed."""
    parts = []
    for result in changed:
        who = result.changed_by or "someone"
        when = f" at {result.changed_at.isoformat(timespec='minutes')}" if result.changed_at else ""
        parts.append(f"{result.name or 'Observation/' + result.id} was changed by {who}{when}")
    text = "; ".join(parts) or detail or "A result changed after you saw it"
    return SignConflict(f"Nothing was signed: {text}. Reload and sign again.", changed, server_detail=detail)
