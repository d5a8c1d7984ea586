"""The registry keeps identities out: unknown events, attributes and free-text values are refused."""

from __future__ import annotations

import pytest

from mobile_app.epj.errors import AccessDenied, InputRejected, Offline, ServerError, TimedOut, WrongCredentials
from mobile_app.services.usage import EVENTS, EventRejected, error_type
from mobile_app.services.usage.registry import Codes, Flag, Number, check_event
from tests.support.usage_logs import MakeLog, day_records

NAME = "Ola Nordmann"
FNR = "07816534679"
GSRN = "708000000000000012"
FREE_TEXT = "pasienten klager over brystsmerter"
LEAKS: list[object] = [NAME, FNR, GSRN, FREE_TEXT, f"]d28018{GSRN}", int(FNR), int(GSRN), "Nordmann", ""]


def test_every_event_has_a_meaning_and_only_safe_attribute_kinds() -> None:
    for spec in EVENTS.values():
        assert spec.meaning
        for kind in spec.attributes.values():
            assert isinstance(kind, Codes | Number | Flag), "no free-form attribute kinds in events"


@pytest.mark.parametrize("value", LEAKS, ids=repr)
def test_no_attribute_of_any_event_takes_a_name_number_gsrn_or_free_text(value: object) -> None:
    for spec in EVENTS.values():
        for attribute in spec.attributes:
            problem = check_event(spec.name, None, None, None, {attribute: value})
            assert problem is not None, f"{spec.name}.{attribute} took {value!r}"


@pytest.mark.parametrize("value", [NAME, FNR, GSRN, FREE_TEXT, ["success"], {"x": 1}])
def test_an_outcome_is_a_code_never_text(value: object) -> None:
    assert check_event("scan", None, value, None, {}) is not None


def test_an_unknown_event_is_refused() -> None:
    problem = check_event("patient_name_typed", None, None, None, {})
    assert isinstance(problem, EventRejected) and problem.reason == "unknown_event"


def test_an_attribute_not_in_the_registry_is_refused_whatever_its_value() -> None:
    problem = check_event("search", None, None, None, {"text": "x"})
    assert problem is not None and problem.reason == "unknown_attribute"


def test_the_message_of_a_refusal_never_repeats_the_value() -> None:
    for value in (NAME, FNR, GSRN):
        problem = check_event("search", None, None, None, {"kind": value})
        assert problem is not None and value not in str(problem)


def test_a_patient_id_is_only_taken_by_events_about_a_patient() -> None:
    assert check_event("search", None, None, "pat-000001", {}) is not None
    assert check_event("patient_opened", None, None, "pat-000001", {"via": "scan"}) is None


def test_durations_are_numbers_in_range_and_only_on_events_that_measure_one() -> None:
    assert check_event("search", 120.5, "success", None, {"kind": "name", "result_count": 3}) is None
    for bad in (-1, float("nan"), float("inf"), True, "120", 10**12):
        assert check_event("search", bad, None, None, {}) is not None
    assert check_event("offline", 10.0, None, None, {}) is not None


def test_strict_logger_raises_value_error(make_log: MakeLog) -> None:
    usage = make_log()
    with pytest.raises(ValueError):
        usage.event("search", kind=NAME)
    with pytest.raises(ValueError):
        usage.event("no_such_event")
    with pytest.raises(ValueError):
        usage.start_session("prac-001", "doctor", ward=FNR)
    with pytest.raises(ValueError):
        usage.start_session("prac-001", NAME)


def test_production_logger_drops_and_counts_what_it_refuses(make_log: MakeLog, tmp_path: object) -> None:
    usage = make_log(strict=False)
    usage.event("search", kind=NAME)
    usage.event("search", text=FREE_TEXT)
    usage.event("no_such_event")
    usage.event("search", kind="name", result_count=int(FNR))
    usage.start_session("prac-001", NAME, ward=GSRN)
    usage.event("search", kind="name", result_count=2)
    assert usage.flush(2)
    stats = usage.stats()
    assert stats.refused == {"bad_value": 2, "unknown_attribute": 1, "unknown_event": 1, "bad_role": 1,
                             "bad_ward": 1}
    records = day_records(usage.config.directory)
    assert [r["event"] for r in records] == ["search"]
    assert records[0]["role"] == "other" and "ward" not in records[0]


@pytest.mark.parametrize(("error", "code"), [
    (Offline(), "offline"), (TimedOut(), "timeout"), (ServerError(), "server_error"),
    (AccessDenied("no care relation"), "access_denied"), (WrongCredentials(), "wrong_credentials"),
    (InputRejected("too long", field="text", reason="too_long"), "input_rejected"), (TimeoutError(), "timeout"),
    (KeyError("x"), "internal"),
])
def test_error_type_maps_exceptions_to_codes_the_registry_takes(error: BaseException, code: str) -> None:
    assert error_type(error) == code
    assert check_event("error", None, None, None, {"type": error_type(error)}) is None
