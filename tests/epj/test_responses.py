"""Reading the EPJ's answers: Retry-After, OperationOutcome text, and statuses that are no error."""

from __future__ import annotations

from datetime import UTC, datetime

from mobile_app.epj import responses
from mobile_app.epj.errors import InvalidRequest, TimedOut


def test_retry_after_may_be_seconds_or_a_date() -> None:
    now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert responses.retry_after("120") == 120
    assert responses.retry_after("Sat, 28 Nov 2026 09:01:30 GMT", now) == 90
    assert responses.retry_after("Sat, 28 Nov 2026 08:00:00 GMT", now) == 0
    assert responses.retry_after("soon") is None
    assert responses.retry_after(None) is None


def test_outcome_text_joins_diagnostics_or_details() -> None:
    body = {"resourceType": "OperationOutcome", "issue": [
        {"code": "invalid", "diagnostics": "First."}, {"code": "invalid", "details": {"text": "Second."}},
        {"code": "invalid"}]}
    assert responses.outcome_text(body) == "First. Second."
    assert responses.outcome_text({"resourceType": "Patient"}) == ""
    assert responses.outcome_text("text") == ""


def test_success_is_no_error() -> None:
    assert responses.error_for(200, None) is None
    assert responses.error_for(204, None) is None
    assert isinstance(responses.error_for(418, None), InvalidRequest)
    assert isinstance(responses.error_for(408, None), TimedOut)
