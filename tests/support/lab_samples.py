"""Hand-written FHIR JSON for the lab mapping tests: valid but odd Observations and reports."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
NLK = "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk"
UCUM = "http://unitsofmeasure.org"
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
V2 = "http://terminology.hl7.org/CodeSystem/v2-0078"
LAB = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}]
LOCAL = "https://visitt.example.no/fhir/CodeSystem"
ISO_21089 = "http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle"


def quantity(value: float, unit: str | None = "mmol/L", **extra: Any) -> JSON:
    found: JSON = {"value": value, **extra}
    if unit is not None:
        found.update(unit=unit, system=UCUM, code=unit)
    return found


def observation(obs_id: str = "o1", code: str = "NPU03230", name: str = "P-Kalium", *,
                when: str = "2026-11-27T08:00:00+01:00", issued: str | None = "2026-11-27T09:00:00+01:00",
                status: str = "final", system: str = NLK, version: str = "1", **extra: Any) -> JSON:
    resource: JSON = {
        "resourceType": "Observation", "id": obs_id, "meta": {"versionId": version}, "status": status,
        "category": LAB, "code": {"coding": [{"system": system, "code": code, "display": name}], "text": name},
        "subject": {"reference": "Patient/p1"}, "effectiveDateTime": when, **extra,
    }
    if issued:
        resource["issued"] = issued
    return resource


def provenance(target: str, who: str = "Practitioner/prac-001", *, name: str = "Kari Nordmann",
               recorded: str = "2026-11-28T08:15:00+01:00", activity: str = "verify", prov_id: str = "pr1") -> JSON:
    """A Provenance as a signature: ``target`` e.g. ``Observation/o1/_history/1``."""
    return {"resourceType": "Provenance", "id": prov_id, "target": [{"reference": target}], "recorded": recorded,
            "activity": {"coding": [{"system": ISO_21089, "code": activity}]},
            "agent": [{"who": {"reference": who, "display": name}}]}


def interpretation(code: str, system: str | None = V3) -> list[JSON]:
    coding: JSON = {"code": code}
    if system:
        coding["system"] = system
    return [{"coding": [coding]}]


def reference_range(low: float | None = None, high: float | None = None, unit: str = "mmol/L",
                    text: str | None = None) -> list[JSON]:
    found: JSON = {}
    if low is not None:
        found["low"] = quantity(low, unit)
    if high is not None:
        found["high"] = quantity(high, unit)
    if text:
        found["text"] = text
    return [found]


def report(report_id: str, results: list[str], category: str = "LAB", **extra: Any) -> JSON:
    return {"resourceType": "DiagnosticReport", "id": report_id, "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": category}]}],
            "code": {"text": "Blodprøver"}, "subject": {"reference": "Patient/p1"},
            "performer": [{"reference": "Organization/lab", "display": "Medisinsk biokjemi"}],
            "result": [{"reference": f"Observation/{r}"} for r in results], **extra}


def searchset(*resources: JSON, included: tuple[JSON, ...] = ()) -> JSON:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]
            + [{"resource": r, "search": {"mode": "include"}} for r in included]}
