"""Usage records as OpenTelemetry logs over HTTP/JSON (OTLP/HTTP, ``POST /v1/logs``), and back.

One batch is one ``ExportLogsServiceRequest``: a ``resourceLogs`` entry per app run (records of
one run share version, platform and install id), one ``scopeLogs`` (scope ``visitt.usage``), one
``logRecord`` per usage record. The mapping:

    record field        OTLP
    app_version         resource service.version
    platform            resource visitt.platform (and os.type: linux, darwin or windows)
    install_id          resource service.instance.id
    (batch)             resource visitt.batch.id, and the X-Batch-Id header
    (constant)          resource service.name = "visitt"
    ts                  timeUnixNano (and observedTimeUnixNano), as a decimal string
    event               eventName, body.stringValue and attribute event.name
    id                  attribute visitt.record.id
    session_id          attribute session.id
    role, ward          attributes visitt.user.role, visitt.ward
    user_pseudonym      attribute visitt.user.pseudonym
    patient_pseudonym   attribute visitt.patient.pseudonym
    duration_ms         attribute visitt.duration_ms (doubleValue)
    outcome             attribute visitt.outcome
    attrs.NAME          attribute visitt.attr.NAME (stringValue, intValue, doubleValue or boolValue)

Every record is severityNumber 9 (INFO). ``record_from_export`` turns a line of the collector's
export (the same log record with its attributes flattened) back into a usage record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from mobile_app.services.usage.records import iso_millis

SCOPE = {"name": "visitt.usage", "version": "1"}
SERVICE_NAME = "visitt"
OS_TYPE = {"android": "linux", "linux": "linux", "ios": "darwin", "macos": "darwin", "windows": "windows"}
RECORD_ATTRIBUTES = (  # record field -> OTLP log record attribute
    ("id", "visitt.record.id"), ("session_id", "session.id"), ("role", "visitt.user.role"),
    ("ward", "visitt.ward"), ("user_pseudonym", "visitt.user.pseudonym"),
    ("patient_pseudonym", "visitt.patient.pseudonym"), ("duration_ms", "visitt.duration_ms"),
    ("outcome", "visitt.outcome"),
)
ATTR_PREFIX = "visitt.attr."
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def any_value(value: object) -> dict[str, Any]:
    """An OTLP AnyValue (64-bit integers are decimal strings in OTLP JSON)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def _key_values(pairs: Iterable[tuple[str, object]]) -> list[dict[str, Any]]:
    return [{"key": key, "value": any_value(value)} for key, value in pairs if value is not None]


def time_unix_nano(ts: str) -> int:
    """Nanoseconds since the epoch of a record's ``ts`` (ISO 8601, UTC)."""
    moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return (moment - _EPOCH) // timedelta(milliseconds=1) * 1_000_000


def encode_batch(records: list[dict[str, Any]], batch_id: str) -> dict[str, Any]:
    """The OTLP ExportLogsServiceRequest for ``records`` (usage records, see records.py)."""
    by_origin: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for record in records:
        key = (record["app_version"], record["platform"], record["install_id"])
        by_origin.setdefault(key, []).append(record)
    resource_logs = []
    for (version, platform, install_id), group in by_origin.items():
        resource = _key_values([
            ("service.name", SERVICE_NAME), ("service.version", version),
            ("service.instance.id", install_id), ("os.type", OS_TYPE.get(platform)),
            ("visitt.platform", platform), ("visitt.batch.id", batch_id),
        ])
        resource_logs.append({"resource": {"attributes": resource},
                              "scopeLogs": [{"scope": SCOPE, "logRecords": [_log_record(r) for r in group]}]})
    return {"resourceLogs": resource_logs}


def _log_record(record: dict[str, Any]) -> dict[str, Any]:
    nanos = str(time_unix_nano(record["ts"]))
    attributes = [("event.name", record["event"])]
    attributes += [(otlp_key, record.get(field)) for field, otlp_key in RECORD_ATTRIBUTES]
    attributes += [(ATTR_PREFIX + name, value) for name, value in (record.get("attrs") or {}).items()]
    return {"timeUnixNano": nanos, "observedTimeUnixNano": nanos, "severityNumber": 9,
            "severityText": "INFO", "eventName": record["event"],
            "body": {"stringValue": record["event"]}, "attributes": _key_values(attributes)}


def encode_batch_bytes(records: list[dict[str, Any]], batch_id: str) -> bytes:
    return json.dumps(encode_batch(records, batch_id), ensure_ascii=False, separators=(",", ":")).encode()


def record_from_export(line: dict[str, Any]) -> dict[str, Any] | None:
    """A usage record from one line of ``GET /v1/logs/export`` (None when it is not one of ours)."""
    resource = line.get("resource") or {}
    attributes = line.get("attributes") or {}
    event = attributes.get("event.name") or line.get("eventName")
    if resource.get("service.name") != SERVICE_NAME or not isinstance(event, str):
        return None
    try:
        nanos = int(line["timeUnixNano"])
    except (KeyError, TypeError, ValueError):
        return None
    record: dict[str, Any] = {"id": attributes.get("visitt.record.id"), "ts": iso_millis(nanos // 1_000_000),
                              "event": event, "app_version": resource.get("service.version"),
                              "platform": resource.get("visitt.platform"),
                              "install_id": resource.get("service.instance.id")}
    for field, otlp_key in RECORD_ATTRIBUTES[1:]:
        if attributes.get(otlp_key) is not None:
            record[field] = attributes[otlp_key]
    attrs = {key[len(ATTR_PREFIX):]: value for key, value in attributes.items() if key.startswith(ATTR_PREFIX)}
    if attrs:
        record["attrs"] = attrs
    return {key: value for key, value in record.items() if value is not None}
