"""Changing the mock EPJ behind a running browser test: faults, resources posted as a logged-in
clinician (written with whatever offset a server might use), and what the record now holds."""

from __future__ import annotations

import base64
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from tests.support.browser import RunningApp

JSON = dict[str, Any]
NLK = "http://helsedir.no/fhir/CodeSystem/no-kodeverk-7280-nlk"
LAB_CATEGORY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "laboratory"}]}


def faults(app: RunningApp, **settings: object) -> None:
    """Change the mock's fault injection (``drop_rate``, ``error_next``, ``path_prefix`` ...)."""
    httpx.post(f"{app.epj_url.removesuffix('/fhir')}/_admin/faults", json=settings).raise_for_status()


def no_faults(app: RunningApp) -> None:
    faults(app, drop_rate=0.0, error_rate=0.0, error_next=0, drop_next=0, methods=[], path_prefix="")


def token(app: RunningApp, username: str = "lege1", pin: str = "1234") -> str:
    response = httpx.post(f"{app.epj_url.removesuffix('/fhir')}/auth/token", json={"username": username, "pin": pin})
    response.raise_for_status()
    return str(response.json()["access_token"])


def post(app: RunningApp, bearer: str, resource: JSON) -> JSON:
    response = httpx.post(f"{app.epj_url}/{resource['resourceType']}", json=resource,
                          headers={"Authorization": f"Bearer {bearer}", "Content-Type": "application/fhir+json"})
    response.raise_for_status()
    return dict(response.json())


def written(moment: datetime, offset_hours: int) -> str:
    """An instant as a server in another zone writes it, e.g. ``2026-12-03T12:00:00+02:00``."""
    zone = timezone(timedelta(hours=offset_hours))
    return moment.astimezone(zone).isoformat(timespec="seconds")


def lab(patient_id: str, code: str, name: str, taken: str, unit: str, low: float, high: float,
        value: float | None = None) -> JSON:
    """A blood-test Observation; without a value it is a sample still at the lab (registered)."""
    resource: JSON = {
        "resourceType": "Observation", "status": "final" if value is not None else "registered",
        "category": [LAB_CATEGORY], "code": {"coding": [{"system": NLK, "code": code}], "text": name},
        "subject": {"reference": f"Patient/{patient_id}"}, "effectiveDateTime": taken,
        "referenceRange": [{"low": {"value": low, "unit": unit}, "high": {"value": high, "unit": unit}}],
    }
    if value is not None:
        resource["valueQuantity"] = {"value": value, "unit": unit}
    return resource


def notes_with(app: RunningApp, marker: str) -> list[JSON]:
    """The journal notes (DocumentReference) whose text contains ``marker``, with docStatus and text."""
    db = sqlite3.connect(app.db)
    try:
        rows = db.execute("SELECT body FROM resources WHERE type='DocumentReference' AND deleted=0").fetchall()
    finally:
        db.close()
    found = []
    for (body,) in rows:
        resource = json.loads(body)
        for content in resource.get("content", []):
            data = content.get("attachment", {}).get("data")
            text = base64.b64decode(data).decode("utf-8", "replace") if data else ""
            if marker in text:
                found.append({"docStatus": resource.get("docStatus"), "text": text, "id": resource.get("id")})
    return found


CRITICAL_INFO = "https://visitt.example.no/fhir/CodeSystem/critical-information"


def critical_allergy(patient_id: str, substance: str, reaction: str) -> list[JSON]:
    """A critical allergy and the Flag that marks the patient (the ward list's red marker)."""
    flag_code = {"coding": [{"system": CRITICAL_INFO, "code": "critical-information",
                             "display": "Kritisk informasjon"}], "text": "Kritisk informasjon"}
    return [
        {"resourceType": "AllergyIntolerance", "patient": {"reference": f"Patient/{patient_id}"},
         "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                        "code": "active"}]},
         "verificationStatus": {"coding": [{"system":
                                            "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                                            "code": "confirmed"}]},
         "criticality": "high", "code": {"text": substance},
         "reaction": [{"manifestation": [{"text": reaction}], "severity": "severe"}]},
        {"resourceType": "Flag", "status": "active", "category": [flag_code], "code": flag_code,
         "subject": {"reference": f"Patient/{patient_id}"}},
    ]
