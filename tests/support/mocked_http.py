"""Mocked EPJ answers for the client tests (respx): OperationOutcomes, searchsets and batch
responses as a FHIR server sends them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx

SERVER = "https://epj.test"
BASE = f"{SERVER}/fhir"
FHIR_JSON = "application/fhir+json"
TOKEN = "t0k3n"
JSON = dict[str, Any]


def outcome(code: str, diagnostics: str) -> JSON:
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}]}


def fhir(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"Content-Type": FHIR_JSON, **(headers or {})})


def searchset(*resources: JSON) -> JSON:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources]}


def batch_response(*entries: tuple[int, JSON | None]) -> JSON:
    out = []
    for status, body in entries:
        response: JSON = {"status": f"{status} {httpx.codes.get_reason_phrase(status)}"}
        if status >= 300 and body is not None:
            response["outcome"] = body
            out.append({"response": response})
        else:
            out.append({"response": response, **({"resource": body} if body is not None else {})})
    return {"resourceType": "Bundle", "type": "batch-response", "entry": out}


PATIENT = {"resourceType": "Patient", "id": "p1", "name": [{"family": "Strand", "given": ["Gerd"]}],
           "birthDate": "1960-09-04"}
LIST = {"resourceType": "List", "id": "l1", "meta": {"versionId": "3"},
        "status": "current", "mode": "working",
        "code": {"coding": [{"system": "https://visitt.example.no/fhir/CodeSystem/list-code",
                             "code": "recent-patients"}]},
        "entry": [{"item": {"reference": "Patient/a"}}, {"item": {"reference": "Patient/b"}}]}


def sent_json(route: respx.Route, call: int = -1) -> Any:
    return json.loads(route.calls[call].request.content)
