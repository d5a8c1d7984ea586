"""Hand-written FHIR JSON for the mapping tests: small builders for valid but odd resources."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

JSON = dict[str, Any]
FNR = "urn:oid:2.16.578.1.12.4.1.4.1"
DNR = "urn:oid:2.16.578.1.12.4.1.4.2"
GSRN = "https://www.gs1.org/gsrn"
LOINC = "http://loinc.org"
NLK = "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk"
PHYSICAL = "http://terminology.hl7.org/CodeSystem/location-physical-type"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
CRITICAL = "https://visitt.example.no/fhir/CodeSystem/critical-information"
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def physical(code: str) -> JSON:
    return {"coding": [{"system": PHYSICAL, "code": code}]}


def place(reference: str | None, display: str | None = None, kind: str | None = None,
          status: str = "active", **extra: Any) -> JSON:
    location: JSON = {}
    if reference:
        location["reference"] = reference
    if display:
        location["display"] = display
    entry: JSON = {"location": location, "status": status, **extra}
    if kind:
        entry["physicalType"] = physical(kind)
    return entry


def encounter(id_: str = "enc-1", patient: str = "p1", status: str = "in-progress", **extra: Any) -> JSON:
    return {"resourceType": "Encounter", "id": id_, "status": status,
            "class": {"code": "IMP", "display": "inpatient encounter"},
            "subject": {"reference": f"Patient/{patient}"}, **extra}


def bundle(*resources: JSON, include: tuple[JSON, ...] = ()) -> JSON:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [
        *({"resource": r, "search": {"mode": "match"}} for r in resources),
        *({"resource": r, "search": {"mode": "include"}} for r in include)]}


def observation(id_: str = "o1", code: str = "NPU19748", system: str = NLK, **extra: Any) -> JSON:
    return {"resourceType": "Observation", "id": id_, "status": "final",
            "code": {"coding": [{"system": system, "code": code, "display": "P-CRP"}]}, **extra}
