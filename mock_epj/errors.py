"""The one exception the FHIR layer raises: an HTTP status with an OperationOutcome to send."""

from __future__ import annotations

from typing import Any


class FhirError(Exception):
    """A request that ends with an OperationOutcome instead of a resource.

    ``code`` is a FHIR IssueType (invalid, not-found, forbidden, ...); ``diagnostics`` is the
    human-readable explanation a client can show or log.
    """

    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        *,
        headers: dict[str, str] | None = None,
        severity: str = "error",
        expression: list[str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {diagnostics}")
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = headers or {}
        self.severity = severity
        self.expression = expression or []

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.code, self.diagnostics, self.severity, self.expression)


def operation_outcome(
    code: str,
    diagnostics: str,
    severity: str = "error",
    expression: list[str] | None = None,
) -> dict[str, Any]:
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [issue]}


def bad_request(diagnostics: str, code: str = "invalid") -> FhirError:
    return FhirError(400, code, diagnostics)


def not_found(diagnostics: str) -> FhirError:
    return FhirError(404, "not-found", diagnostics)


def forbidden(diagnostics: str) -> FhirError:
    return FhirError(403, "forbidden", diagnostics)


def unprocessable(diagnostics: str, expression: list[str] | None = None) -> FhirError:
    return FhirError(422, "processing", diagnostics, expression=expression)
