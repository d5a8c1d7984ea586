"""The usage collector stores only what the app's event registry allows, from anyone: unknown events,
attributes and fields, wrong types and values, and free text holding a person number or a name are
refused and counted, and nothing of them is kept (not stored, not logged, not in the answer). The
body's size and each client's rate are limited. The registry reaches the mock as data
(mock_epj/usage_schema.json), generated from the app's registry: a test keeps the two the same."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mobile_app.services.usage import EVENTS
from mobile_app.services.usage.otlp import encode_batch
from mobile_app.services.usage.records import Origin, Pseudonymizer, SessionFields, make_record
from mobile_app.services.usage.schema import schema_text
from mobile_app.usage.simulate import SimulationConfig, simulate
from mock_epj.collector import SCHEMA_FILE, RateLimit, UsageCollector
from mock_epj.store import Store
from tests.support.mock_server import Server
from tests.support.usage_logs import collected

FNR = "09896008606"
NAME = "Gerd Strand"
ORIGIN = Origin("1.2.3", "android", "1f" * 16)
PSEUDONYMS = Pseudonymizer(b"k" * 32)
SESSION = SessionFields("5e" * 16, "doctor", "ward-med", PSEUDONYMS("user", "prac-001"), started=0.0)
BATCH = "ba" * 16
JSON = dict[str, Any]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[UsageCollector]:
    store = Store(tmp_path / "collector.sqlite3")
    yield UsageCollector(store)
    store.close()


def good_record(n: int = 0) -> JSON:
    return make_record(ORIGIN, 1_772_438_400.0 + n, "patient_opened", session=SESSION,
                       patient_pseudonym=PSEUDONYMS("patient", "pat-000001"), duration_ms=312.5,
                       outcome="success", attributes={"via": "scan", "break_glass": False},
                       record_id=f"{n:016x}")


def batch(*records: JSON, batch_id: str = BATCH) -> JSON:
    return encode_batch(list(records), batch_id)


def first_record(payload: JSON) -> JSON:
    return dict(payload["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0])


def attribute(record: JSON, key: str) -> JSON:
    return next(kv for kv in record["attributes"] if kv["key"] == key)


def post(collector: UsageCollector, payload: JSON, client: str | None = "10.0.0.7") -> tuple[int, JSON]:
    return collector.receive(json.dumps(payload).encode(), "application/json", None, client=client)


def new_batch(*records: JSON) -> JSON:
    """A batch of its own (records are stored once per batch id and index)."""
    return batch(*records, batch_id=uuid.uuid4().hex)


def stored_text(collector: UsageCollector) -> str:
    return collector.export_jsonl().decode()


# ------------------------------------------------------------------ the registry as data


def test_the_shipped_schema_is_the_apps_registry() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), \
        "regenerate it: uv run python -m mobile_app.services.usage.schema mock_epj/usage_schema.json"
    shipped = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert set(shipped["events"]) == set(EVENTS)


def test_a_record_the_app_makes_is_stored(collector: UsageCollector) -> None:
    status, answer = post(collector, batch(good_record()))
    assert (status, answer) == (200, {"partialSuccess": {}})
    assert collector.count() == 1


def test_every_record_a_simulated_month_of_use_makes_is_stored(collector: UsageCollector, tmp_path: Path) -> None:
    """Every event of the registry, with the attributes the app gives it (the simulator writes
    records as the app does)."""
    simulate(SimulationConfig(users=4, days=3), tmp_path / "logs")
    records = [json.loads(line) for path in sorted((tmp_path / "logs").glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    events = {r["event"] for r in records}
    assert len(events) > 10
    for start in range(0, len(records), 200):
        receipt = collector.store_request(encode_batch(records[start:start + 200], f"{start:032x}"), "", b"")
        assert receipt.rejected == 0, receipt.reasons
    assert collector.count() == len(records)


# ------------------------------------------------------------------ what is refused


def _record_change(change: Callable[[JSON], None]) -> Callable[[JSON], None]:
    def apply(payload: JSON) -> None:
        change(payload["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0])
    return apply


def _set_attribute(key: str, value: JSON) -> Callable[[JSON], None]:
    def change(record: JSON) -> None:
        record["attributes"] = [kv for kv in record["attributes"] if kv["key"] != key]
        record["attributes"].append({"key": key, "value": value})
    return _record_change(change)


def _resource(key: str, value: JSON) -> Callable[[JSON], None]:
    def change(payload: JSON) -> None:
        attributes = payload["resourceLogs"][0]["resource"]["attributes"]
        attributes[:] = [kv for kv in attributes if kv["key"] != key] + [{"key": key, "value": value}]
    return change


def _rename_event(name: str) -> Callable[[JSON], None]:
    def change(record: JSON) -> None:
        attribute(record, "event.name")["value"] = {"stringValue": name}
        record["eventName"], record["body"] = name, {"stringValue": name}
    return _record_change(change)


def _field(name: str, value: Any) -> Callable[[JSON], None]:
    return _record_change(lambda record: record.__setitem__(name, value))


def _without(key: str) -> Callable[[JSON], None]:
    return _record_change(lambda record: record.__setitem__(
        "attributes", [kv for kv in record["attributes"] if kv["key"] != key]))


def _scope(payload: JSON) -> None:
    payload["resourceLogs"][0]["scopeLogs"][0]["scope"] = {"name": "someone.else", "version": "1"}


REFUSED: dict[str, tuple[Callable[[JSON], None], str]] = {
    "a name and a person number as an attribute": (
        _set_attribute("visitt.attr.patient", {"stringValue": f"{NAME} {FNR}"}), "unknown_attribute"),
    "a person number as the ward": (_set_attribute("visitt.ward", {"stringValue": FNR}), "bad_value"),
    "a person number inside a ward code": (
        _set_attribute("visitt.ward", {"stringValue": f"ward-{FNR}"}), "looks_like_an_identifier"),
    "a GSRN inside a ward code": (
        _set_attribute("visitt.ward", {"stringValue": "ward-708000000000000012"}), "looks_like_an_identifier"),
    "a name as a ward code": (_set_attribute("visitt.ward", {"stringValue": "ward-gerd-strand"}), "looks_like_a_name"),
    "a name in the app version": (
        _resource("service.version", {"stringValue": "1.0+strand"}), "bad_resource"),
    "an unknown event": (_rename_event("patient_exported"), "unknown_event"),
    "another service's log": (_resource("service.name", {"stringValue": "other"}), "bad_resource"),
    "an unknown resource attribute": (_resource("host.name", {"stringValue": "ward-pc-7"}),
                                      "unknown_resource_attribute"),
    "an install id that is not a random id": (
        _resource("service.instance.id", {"stringValue": FNR}), "bad_resource"),
    "another scope": (_scope, "unknown_scope"),
    "an attribute the event does not take": (
        _set_attribute("visitt.attr.trigger", {"stringValue": "idle"}), "unknown_attribute"),
    "a code outside its set": (_set_attribute("visitt.attr.via", {"stringValue": "email"}), "bad_value"),
    "a flag as a string": (_set_attribute("visitt.attr.break_glass", {"stringValue": "true"}), "bad_value"),
    "a code as a number": (_set_attribute("visitt.attr.via", {"intValue": "3"}), "bad_value"),
    "a list value": (_set_attribute("visitt.attr.via", {"arrayValue": {"values": []}}), "bad_value_type"),
    "a key-value list": (_set_attribute("visitt.attr.via", {"kvlistValue": {"values": [
        {"key": "name", "value": {"stringValue": NAME}}]}}), "bad_value_type"),
    "a duration out of range": (_set_attribute("visitt.duration_ms", {"doubleValue": -5.0}), "bad_value"),
    "an outcome the event does not have": (_set_attribute("visitt.outcome", {"stringValue": "empty"}), "bad_value"),
    "a pseudonym that is not one": (
        _set_attribute("visitt.patient.pseudonym", {"stringValue": FNR}), "bad_value"),
    "a role outside its set": (_set_attribute("visitt.user.role", {"stringValue": NAME}), "bad_value"),
    "free text in the body": (_field("body", {"stringValue": f"{NAME} {FNR}"}), "bad_body"),
    "an event name that differs from its attribute": (_field("eventName", "lock"), "unknown_event"),
    "a field OTLP does not have": (_field("note", NAME), "unknown_field"),
    "a trace id with content": (_field("traceId", FNR), "unknown_field"),
    "another severity": (_field("severityText", NAME), "bad_severity"),
    "no time": (_record_change(lambda record: record.pop("timeUnixNano")), "bad_time"),
    "no record id": (_without("visitt.record.id"), "incomplete_record"),
    "the same attribute twice": (_record_change(lambda record: record["attributes"].append(
        attribute(record, "visitt.attr.via"))), "duplicate_attribute"),
}


@pytest.mark.parametrize(("change", "reason"), REFUSED.values(), ids=REFUSED.keys())
def test_what_the_registry_does_not_allow_is_refused_counted_and_not_kept(
        collector: UsageCollector, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
        change: Callable[[JSON], None], reason: str) -> None:
    bad = batch(good_record(1))
    change(bad)
    payload = batch(good_record(0))
    bad_logs = bad["resourceLogs"][0]
    if bad_logs["resource"] != payload["resourceLogs"][0]["resource"]:
        payload["resourceLogs"].append(bad_logs)  # a resource of its own
    else:
        payload["resourceLogs"][0]["scopeLogs"].append(bad_logs["scopeLogs"][0])
    with caplog.at_level(logging.DEBUG):
        status, answer = post(collector, payload)
    assert status == 200
    assert answer["partialSuccess"]["rejectedLogRecords"] == "1"
    assert reason in answer["partialSuccess"]["errorMessage"]
    assert collector.count() == 1  # the good record of the same request is stored
    kept = stored_text(collector) + json.dumps(answer) + caplog.text + "".join(capsys.readouterr())
    for secret in (FNR, NAME, "strand", "708000000000000012", "patient_exported", "ward-pc-7", "someone.else"):
        assert secret not in kept


def test_the_case_from_the_issue_over_http(collector_server: Server) -> None:
    """A record with a name and a person number, posted to the mock EPJ's collector."""
    payload = batch(good_record())
    record = first_record(payload)
    record["attributes"] += [{"key": "patient.name", "value": {"stringValue": NAME}},
                             {"key": "patient.fnr", "value": {"stringValue": FNR}}]
    payload["resourceLogs"][0]["scopeLogs"][0]["logRecords"] = [record]
    response = httpx.post(f"{collector_server.url}/v1/logs", json=payload, timeout=10)
    assert response.status_code == 200
    assert response.json()["partialSuccess"]["rejectedLogRecords"] == "1"
    assert collected(collector_server) == []


@pytest.fixture
def collector_server(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    from tests.support.database import copy_db
    from tests.support.mock_server import serve

    yield from serve(copy_db(seeded_db, tmp_path / "epj.sqlite3"))


def test_a_batch_id_that_is_not_an_id_is_not_stored(collector: UsageCollector) -> None:
    payload = batch(good_record())
    for kv in payload["resourceLogs"][0]["resource"]["attributes"]:
        if kv["key"] == "visitt.batch.id":
            kv["value"] = {"stringValue": FNR}
    body = json.dumps(payload).encode()
    assert collector.receive(body, "application/json", f"{NAME} {FNR}")[0] == 200
    [line] = stored_text(collector).splitlines()
    stored = json.loads(line)
    assert stored["batch_id"] == hashlib.sha256(body).hexdigest()  # the body identifies the batch
    assert "visitt.batch.id" not in stored["resource"]
    assert FNR not in line and NAME not in line


# ------------------------------------------------------------------ size and rate


def test_a_body_over_the_limit_is_refused_unread(collector: UsageCollector) -> None:
    from mock_epj.collector import MAX_BODY_BYTES

    body = json.dumps(batch(good_record())).encode()
    body = body[:-1] + b" " * (MAX_BODY_BYTES - len(body) + 1) + b"}"
    status, answer = collector.receive(body, "application/json", None)
    assert status == 413 and "message" in answer
    assert collector.count() == 0


def test_too_many_records_in_one_request_are_refused(collector: UsageCollector) -> None:
    from mock_epj.collector import MAX_RECORDS

    status, _ = post(collector, batch(*[good_record(n) for n in range(MAX_RECORDS + 1)]))
    assert status == 413 and collector.count() == 0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_each_client_has_its_own_rate(tmp_path: Path) -> None:
    clock = Clock()
    store = Store(tmp_path / "collector.sqlite3")
    limited = UsageCollector(store, rate=RateLimit(requests=3, requests_per_s=1, records=10, records_per_s=1),
                             clock=clock)
    try:
        answers = [post(limited, new_batch(good_record(n)), client="10.0.0.1")[0] for n in range(4)]
        assert answers == [200, 200, 200, 429]
        assert post(limited, new_batch(good_record(9)), client="10.0.0.2")[0] == 200  # someone else
        clock.now += 1.0
        assert post(limited, new_batch(good_record(5)), client="10.0.0.1")[0] == 200  # refilled
        assert post(limited, new_batch(*[good_record(n) for n in range(20, 32)]), client="10.0.0.3")[0] == 429
        assert limited.count() == 5  # what was refused for the rate was not stored
        # without the client's address, the install id the batch names is the client
        assert [post(limited, new_batch(good_record(40 + n)), client=None)[0] for n in range(4)] == [200, 200, 200, 429]
    finally:
        store.close()
