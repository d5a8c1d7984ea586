"""The usage collector: OpenTelemetry logs over HTTP/JSON in, each record stored once, JSON Lines out.

``POST /v1/logs`` takes an OTLP ``ExportLogsServiceRequest`` as JSON (no FHIR token: it is a
separate service). Every log record is stored under (batch id, record index), the index counting
the request's log records in order, so a batch sent again is stored once. The batch id is the
``X-Batch-Id`` header, else the resource attribute ``visitt.batch.id``, else a hash of the body.
The answer is 200 ``{"partialSuccess": {}}``, or with ``rejectedLogRecords`` for records that are
not objects. A body that is not an OTLP request is 400 with a ``{"code", "message"}`` status.

``GET /v1/logs/export`` returns one JSON object per stored record, oldest first: ``batch_id``,
``index``, ``received``, the flattened ``resource`` attributes, ``scope``, the record's own fields
(``timeUnixNano``, ``severityNumber``, ``eventName``...), ``body`` and ``attributes`` as plain JSON
values instead of OTLP AnyValues.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from mock_epj import dates
from mock_epj.store import Store

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS usage_log_records (
        batch_id TEXT NOT NULL, idx INTEGER NOT NULL, received TEXT NOT NULL,
        time_unix_nano INTEGER NOT NULL, record TEXT NOT NULL,
        PRIMARY KEY (batch_id, idx)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS usage_log_records_time ON usage_log_records (time_unix_nano)",
)
_JSON = "application/json"
_MAX_BATCH_ID = 128
_LOG_RECORD_FIELDS = ("timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText",
                      "eventName", "traceId", "spanId", "flags", "droppedAttributesCount")


class NotOtlp(ValueError):
    """The body is not an OTLP logs request."""


@dataclass(frozen=True)
class Receipt:
    batch_id: str
    stored: int
    duplicates: int
    rejected: int

    def answer(self) -> dict[str, Any]:
        if not self.rejected:
            return {"partialSuccess": {}}
        return {"partialSuccess": {"rejectedLogRecords": str(self.rejected),
                                   "errorMessage": "log records must be JSON objects"}}


def plain_value(value: Any) -> Any:
    """An OTLP AnyValue as a plain JSON value (intValue strings become numbers)."""
    if not isinstance(value, dict):
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return None
    if "doubleValue" in value:
        return value["doubleValue"]
    if "bytesValue" in value:
        return value["bytesValue"]
    if "arrayValue" in value:
        return [plain_value(v) for v in (value["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in value:
        return plain_attributes((value["kvlistValue"] or {}).get("values"))
    return None


def plain_attributes(key_values: Any) -> dict[str, Any]:
    if not isinstance(key_values, list):
        return {}
    return {kv["key"]: plain_value(kv.get("value")) for kv in key_values
            if isinstance(kv, dict) and isinstance(kv.get("key"), str)}


def _nanos(record: dict[str, Any]) -> int:
    for name in ("timeUnixNano", "observedTimeUnixNano"):
        try:
            value = int(record.get(name) or 0)
        except (TypeError, ValueError):
            continue
        if value:
            return value
    return 0


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise NotOtlp(f"{what} must be a list")
    return value


class UsageCollector:
    """Stores what devices send, in the mock's own database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store.write() as conn:
            for statement in SCHEMA:
                conn.execute(statement)

    def receive(self, body: bytes, content_type: str | None, batch_header: str | None) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON answer for a POST of ``body``."""
        media_type = (content_type or "").split(";")[0].strip().lower()
        if media_type != _JSON:
            return 415, {"code": 3, "message": f"Send OTLP/HTTP JSON as {_JSON}, not {media_type or 'nothing'}"}
        try:
            receipt = self.store_request(json.loads(body), batch_header or "", body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, {"code": 3, "message": "The body is not valid JSON"}
        except NotOtlp as error:
            return 400, {"code": 3, "message": str(error)}
        return 200, receipt.answer()

    def store_request(self, payload: Any, batch_id: str, body: bytes) -> Receipt:
        if not isinstance(payload, dict):
            raise NotOtlp("The body must be an OTLP ExportLogsServiceRequest object")
        received = dates.now_instant()
        rows: list[tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]] = []
        rejected = index = 0
        for resource_logs in _list(payload.get("resourceLogs"), "resourceLogs"):
            if not isinstance(resource_logs, dict):
                raise NotOtlp("Each resourceLogs entry must be an object")
            resource = plain_attributes((resource_logs.get("resource") or {}).get("attributes"))
            if not batch_id and isinstance(resource.get("visitt.batch.id"), str):
                batch_id = resource["visitt.batch.id"]
            for scope_logs in _list(resource_logs.get("scopeLogs"), "scopeLogs"):
                if not isinstance(scope_logs, dict):
                    raise NotOtlp("Each scopeLogs entry must be an object")
                scope: dict[str, Any] = scope_logs["scope"] if isinstance(scope_logs.get("scope"), dict) else {}
                for record in _list(scope_logs.get("logRecords"), "logRecords"):
                    if not isinstance(record, dict):
                        rejected += 1
                    else:
                        rows.append((index, resource, scope, record))
                    index += 1
        batch_id = (batch_id or hashlib.sha256(body).hexdigest())[:_MAX_BATCH_ID]
        stored_rows = [self._row(batch_id, received, *row) for row in rows]
        with self.store.write() as conn:
            before = conn.total_changes
            conn.executemany("INSERT OR IGNORE INTO usage_log_records VALUES (?, ?, ?, ?, ?)", stored_rows)
            stored = conn.total_changes - before
        return Receipt(batch_id, stored, len(stored_rows) - stored, rejected)

    @staticmethod
    def _row(batch_id: str, received: str, index: int, resource: dict[str, Any], scope: dict[str, Any],
             record: dict[str, Any]) -> tuple[str, int, str, int, str]:
        flat: dict[str, Any] = {"batch_id": batch_id, "index": index, "received": received,
                                "resource": resource, "scope": scope}
        flat.update((name, record[name]) for name in _LOG_RECORD_FIELDS if name in record)
        flat["body"] = plain_value(record.get("body"))
        flat["attributes"] = plain_attributes(record.get("attributes"))
        text = json.dumps(flat, ensure_ascii=False, separators=(",", ":"))
        return batch_id, index, received, _nanos(record), text

    def export_jsonl(self) -> bytes:
        """Every stored record as JSON Lines, oldest first."""
        rows = self.store.conn().execute(
            "SELECT record FROM usage_log_records ORDER BY time_unix_nano, batch_id, idx").fetchall()
        return "".join(row[0] + "\n" for row in rows).encode()

    def count(self) -> int:
        return int(self.store.conn().execute("SELECT COUNT(*) FROM usage_log_records").fetchone()[0])
