"""Builders for the FHIR data types the generator repeats: references, codings, quantities."""

from __future__ import annotations

from typing import Any

from mock_epj import terminology as t

Resource = dict[str, Any]


def ref(resource_type: str, resource_id: str, display: str | None = None) -> dict[str, str]:
    reference = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        reference["display"] = display
    return reference


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    result = {"system": system, "code": code}
    if display:
        result["display"] = display
    return result


def concept(system: str, code: str, display: str | None = None, text: str | None = None) -> Resource:
    result: Resource = {"coding": [coding(system, code, display)]}
    if text:
        result["text"] = text
    return result


def text_concept(text: str) -> Resource:
    return {"text": text}


def quantity(value: float, unit: str, ucum: str) -> Resource:
    return {"value": value, "unit": unit, "system": t.UCUM, "code": ucum}


def identifier(system: str, value: str) -> dict[str, str]:
    return {"system": system, "value": value}


def human_name(family: str, given: str, use: str = "official") -> Resource:
    return {
        "use": use,
        "text": f"{given} {family}",
        "family": family,
        "given": given.split(" "),
    }


def phone(number: str, use: str = "mobile") -> dict[str, str]:
    return {"system": "phone", "value": number, "use": use}


def interpretation(code: str) -> Resource:
    displays = {
        "N": "Normal", "L": "Low", "H": "High", "LL": "Critical low", "HH": "Critical high",
        "S": "Susceptible", "I": "Intermediate", "R": "Resistant",
    }
    return concept(t.INTERPRETATION, code, displays[code])
