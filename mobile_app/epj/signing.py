"""Signing lab results: the FHIR mechanism, and how a refused signature is explained.

A signature never edits the lab's Observation (a real EPJ lets nobody but the lab change it): it
is a ``Provenance`` whose ``target`` is the version of the result the user saw
(``Observation/<id>/_history/<version>``), with ``recorded`` the time, the activity ISO 21089
``verify``, the doctor as agent (type ``verifier``) and a ``signature`` element (ASTM E1762
verification signature, who and when). Several results are signed in one ``transaction`` Bundle of
creates, so the server keeps all of them or none; it audits every write. labs.py reads them back
(``_revinclude=Provenance:target``): a result changed after signing is a new version, which the
Provenance does not name, so it is unsigned again.

Before writing, the client reads the results' current versions in one batch: a result that has
changed since the user saw it is reported at once (who changed it and when, from the server's
``last-modified-by`` meta extension and ``meta.lastUpdated``) and nothing is signed. One that
changes between that read and the write is signed as the user saw it, and shows unsigned at once.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from mobile_app.domain.models import ChangedResult, LabResult, Practitioner, ResultVersion, Signature, SignedResult
from mobile_app.epj import fhir
from mobile_app.epj.errors import Conflict
from mobile_app.epj.fhir import JSON
from mobile_app.epj.labs import ISO_21089_LIFECYCLE, PARTICIPANT_TYPE, VERIFIER, VERIFY
from mobile_app.epj.responses import EntryResponse
from mobile_app.epj.terminology import terms

SIGNATURE_TYPE = "urn:iso-astm:E1762-95:2013"
VERIFICATION_SIGNATURE = "1.2.840.10065.1.12.1.5"
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


def provenance(result_id: str, version: str, signer: Practitioner, at: datetime) -> JSON:
    """The signature of one version of one result, by ``signer`` at ``at``."""
    me = {"reference": f"Practitioner/{signer.id}", "display": signer.name}
    when = at.isoformat(timespec="seconds")
    return {
        "resourceType": "Provenance",
        "target": [{"reference": f"Observation/{result_id}/_history/{version}"}],
        "recorded": when,
        "activity": {"coding": [{"system": ISO_21089_LIFECYCLE, "code": VERIFY,
                                 "display": "Verify Record Lifecycle Event"}], "text": "Signert prøvesvar"},
        "agent": [{"type": {"coding": [{"system": PARTICIPANT_TYPE, "code": VERIFIER, "display": "Verifier"}]},
                   "who": me}],
        "signature": [{"type": [{"system": SIGNATURE_TYPE, "code": VERIFICATION_SIGNATURE,
                                 "display": "Verification Signature"}], "when": when, "who": me}],
    }


def sign_transaction(seen: Mapping[str, str], signer: Practitioner, at: datetime) -> JSON:
    """One transaction creating a Provenance for each result, on the version the user saw."""
    return {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": f"urn:uuid:{uuid.uuid4()}", "resource": provenance(result_id, version, signer, at),
         "request": {"method": "POST", "url": "Provenance"}}
        for result_id, version in seen.items()]}


def signed_results(entries: list[EntryResponse], seen: Mapping[str, str], signer: Practitioner,
                   at: datetime) -> list[SignedResult]:
    """What was signed: the versions seen (unchanged: a signature is not a new version), by whom and
    when (the server's ``recorded`` when it says)."""
    out = []
    for (result_id, version), entry in zip(seen.items(), entries, strict=True):
        recorded = fhir.parse_instant(entry.resource.get("recorded")) if entry.resource else None
        out.append(SignedResult(id=result_id, version=version, signature=Signature(
            practitioner_id=signer.id, name=signer.name, at=recorded or at)))
    return out


def _modified_by(resource: JSON) -> str | None:
    for extension in fhir.objects(fhir.obj(resource, "meta"), "extension"):
        if extension.get("url") == terms().extensions.last_modified_by:
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
