"""Checks that an incoming resource is valid FHIR R4 (structure, types, required elements).

Validation uses the ``fhirclient`` R4 (4.0.1) models, which reject unknown elements, wrong
types, malformed dates and missing required elements; their messages are turned into short
FHIRPath-like expressions a client can show.
"""

from __future__ import annotations

import re
from typing import Any

from fhirclient.models.fhirabstractbase import FHIRValidationError
from fhirclient.models.fhirelementfactory import FHIRElementFactory

from mock_epj.errors import FhirError, unprocessable

_ID_RE = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def check_resource(resource: Any, expected_type: str | None) -> dict[str, Any]:
    """Return the resource if valid, else raise a 422 (or 400 when it is not an object)."""
    if not isinstance(resource, dict):
        raise FhirError(400, "structure", "The body must be a JSON object (a FHIR resource)")
    type_ = resource.get("resourceType")
    if not isinstance(type_, str):
        raise unprocessable("The resource has no resourceType", ["resourceType"])
    if expected_type is not None and type_ != expected_type:
        raise unprocessable(
            f"The resource is a {type_} but was sent to the {expected_type} endpoint",
            ["resourceType"],
        )
    if "id" in resource and (not isinstance(resource["id"], str) or not _ID_RE.match(resource["id"])):
        raise unprocessable("The id must be 1-64 characters of A-Z, a-z, 0-9, '-' and '.'", ["id"])
    try:
        FHIRElementFactory.instantiate(type_, resource)
    except FHIRValidationError as error:
        problems = sorted({_describe(type_, e) for e in _flatten(error)})
        raise unprocessable(f"Invalid {type_}: " + "; ".join(problems[:10]), problems[:10]) from None
    except Exception as error:  # the models raise plain errors on some malformed input
        raise unprocessable(f"Invalid {type_}: {error}") from None
    return resource


def _flatten(error: BaseException, path: str = "") -> list[tuple[str, BaseException]]:
    if isinstance(error, FHIRValidationError):
        here = f"{path}.{error.path}" if path and error.path else (error.path or path)
        out: list[tuple[str, BaseException]] = []
        for inner in error.errors:
            out.extend(_flatten(inner, here or ""))
        return out
    return [(path, error)]


_REQUIRED = re.compile(r'Non-optional property "(\w+)"')
_SUPERFLUOUS = re.compile(r'Superfluous entry "(\w+)"')
_WRONG_TYPE = re.compile(r'Wrong type (.+) for property "(\w+)".*expecting (.+)')


def _describe(type_: str, item: tuple[str, BaseException]) -> str:
    path, error = item
    text = str(error.args[0] if error.args else error)
    prefix = f"{type_}.{path}" if path else type_
    if match := _REQUIRED.search(text):
        return f"{prefix}.{match.group(1)}: required element missing"
    if match := _SUPERFLUOUS.search(text):
        return f"{prefix}.{match.group(1)}: unknown element"
    if match := _WRONG_TYPE.search(text):
        return f"{prefix}.{match.group(2)}: wrong type"
    if "does not match expected format" in text:
        return f"{prefix}: value does not match the expected format"
    return f"{prefix}: {text}"
