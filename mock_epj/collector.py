"""The usage collector: OpenTelemetry logs over HTTP/JSON in, each record stored once, JSON Lines out.

``POST /v1/logs`` takes an OTLP ``ExportLogsServiceRequest`` as JSON (no FHIR token: it is a
separate service). Only records the app's event registry allows are stored: the registry comes as
data (``usage_schema.json``, generated from the app's registry, which the mock may not import).
A record is refused when its event is unknown, when it has an attribute or a field the event does
not take, a value of the wrong OTLP type or outside its codes, range or pattern, free text with a
run of 10 or more digits (a fødselsnummer, a GSRN, a phone number) or a word that is a person's
name, or when its resource (app version, platform, install id) or scope is not the app's. Refused
records are counted in the answer (``partialSuccess.rejectedLogRecords``, with the reasons as codes
in ``errorMessage``), and nothing of them is kept: not stored, not logged, not echoed.

Every stored record has a key (batch id, record index), the index counting the request's log
records in order, so a batch sent again is stored once. The batch id is the ``X-Batch-Id`` header,
else the resource attribute ``visitt.batch.id``, when it is an id as the app makes them (32 hex
digits; another one is dropped, never stored); else a hash of the body. A body that is not an OTLP
request is 400 with a ``{"code", "message"}`` status; over ``MAX_BODY_BYTES`` or ``MAX_RECORDS``
it is 413. Each client (its address when the server passes it, else the install id the batch
names) may send ``RateLimit.requests`` requests and ``RateLimit.records`` records in a burst,
refilled per second; beyond that the answer is 429 and the app's sender tries again later.

``GET /v1/logs/export`` returns one JSON object per stored record, oldest first: ``batch_id``,
``index``, ``received``, the flattened ``resource`` attributes, ``scope``, the record's own fields
(``timeUnixNano``, ``severityNumber``, ``eventName``...), ``body`` and ``attributes`` as plain JSON
values instead of OTLP AnyValues.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mock_epj import dates, wire
from mock_epj.store import Store

_JSON = "application/json"
SCHEMA_FILE = Path(__file__).with_name("usage_schema.json")
MAX_BODY_BYTES = 1024 * 1024  # the app's batches stay far below this
MAX_RECORDS = 2000  # log records in one request (the app sends at most a few hundred)
_LOG_RECORD_FIELDS = ("timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText",
                      "eventName", "traceId", "spanId", "flags", "droppedAttributesCount")
# Fields an OTLP encoder may add with nothing in them (the app sends none of them).
_EMPTY_FIELDS = {"traceId": "", "spanId": "", "flags": 0, "droppedAttributesCount": 0}
_ANY_VALUE_KEYS = frozenset({"stringValue", "boolValue", "intValue", "doubleValue"})
_MAX_NANOS = 2**63 - 1


class NotOtlp(ValueError):
    """The body is not an OTLP logs request."""


class Refused(ValueError):
    """A log record (or its resource or scope) the registry does not allow; ``reason`` is a code.
    The message never holds the refused value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Receipt:
    batch_id: str
    stored: int
    duplicates: int
    rejected: int
    reasons: tuple[tuple[str, int], ...] = ()

    def answer(self) -> dict[str, Any]:
        if not self.rejected:
            return {"partialSuccess": {}}
        why = ", ".join(f"{count} {reason}" for reason, count in self.reasons)
        return {"partialSuccess": {"rejectedLogRecords": str(self.rejected),
                                   "errorMessage": f"log records refused by the usage registry: {why}"}}


# ------------------------------------------------------------------ OTLP values


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


@dataclass(frozen=True)
class _Value:
    """A scalar AnyValue and its OTLP type."""

    type: str  # stringValue, boolValue, intValue or doubleValue
    value: str | bool | int | float


def _scalar(value: Any) -> _Value:
    if not isinstance(value, dict) or len(value) != 1 or not _ANY_VALUE_KEYS.issuperset(value):
        raise Refused("bad_value_type")
    [(kind, raw)] = value.items()
    if kind == "stringValue" and isinstance(raw, str):
        return _Value(kind, raw)
    if kind == "boolValue" and isinstance(raw, bool):
        return _Value(kind, raw)
    if kind == "intValue" and isinstance(raw, str | int) and not isinstance(raw, bool) \
            and re.fullmatch(r"-?\d{1,19}", str(raw)):
        return _Value(kind, int(raw))
    if kind == "doubleValue" and isinstance(raw, int | float) and not isinstance(raw, bool) \
            and math.isfinite(raw):
        return _Value(kind, float(raw))
    raise Refused("bad_value_type")


def _attributes(key_values: Any) -> dict[str, _Value]:
    if key_values is None:
        return {}
    if not isinstance(key_values, list):
        raise Refused("bad_attributes")
    found: dict[str, _Value] = {}
    for kv in key_values:
        if not isinstance(kv, dict) or set(kv) != {"key", "value"} or not isinstance(kv["key"], str):
            raise Refused("bad_attributes")
        if kv["key"] in found:
            raise Refused("duplicate_attribute")
        found[kv["key"]] = _scalar(kv["value"])
    return found


# ------------------------------------------------------------------ the registry, as data


@cache
def person_names() -> frozenset[str]:
    """Given names and surnames (lower case, three letters or more) of the synthetic people, as words
    a usage record's free text may not hold."""
    from mock_epj.seed import names

    words: set[str] = set()

    def collect(value: object) -> None:
        if isinstance(value, str):
            words.update(w for w in re.split(r"[\s-]+", value.lower()) if len(w) >= 3 and w.isalpha())
        elif isinstance(value, tuple | list):
            for item in value:
                collect(item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)

    for name in ("FEMALE_OLD", "FEMALE_MID", "FEMALE_YOUNG", "MALE_OLD", "MALE_MID", "MALE_YOUNG",
                 "FEMALE_DOUBLE", "MALE_DOUBLE", "SURNAMES", "HERITAGE"):
        collect(getattr(names, name, ()))
    return frozenset(words)


class Registry:
    """The usage schema (``usage_schema.json``): which records the collector stores."""

    def __init__(self, schema: dict[str, Any], names: Iterable[str] = ()) -> None:
        self.schema = schema
        self.events: dict[str, dict[str, Any]] = schema["events"]
        self.resource: dict[str, dict[str, Any]] = schema["resource"]["attributes"]
        self.resource_required: list[str] = schema["resource"]["required"]
        self.scope: dict[str, str] = schema["scope"]
        self.record: dict[str, Any] = schema["record"]
        self.batch_id_kind: dict[str, Any] = schema["batch_id"]
        self.names = frozenset(names)
        self._patterns: dict[str, re.Pattern[str]] = {}

    @classmethod
    def load(cls, path: Path = SCHEMA_FILE) -> Registry:
        return cls(json.loads(path.read_text(encoding="utf-8")), person_names())

    def check(self, kind: dict[str, Any], value: _Value) -> None:
        """Refused unless ``value`` is of ``kind`` (see the schema's value kinds)."""
        if "codes" in kind:
            if value.type != "stringValue" or value.value not in kind["codes"]:
                raise Refused("bad_value")
        elif "flag" in kind:
            if value.type != "boolValue":
                raise Refused("bad_value")
        elif "number" in kind:
            low, high = kind["number"]
            allowed = ("intValue",) if kind.get("whole") else ("intValue", "doubleValue")
            if value.type not in allowed or not low <= value.value <= high:
                raise Refused("bad_value")
        elif "hex" in kind:
            if value.type != "stringValue" or not re.fullmatch(f"[0-9a-f]{{{kind['hex']}}}", str(value.value)):
                raise Refused("bad_value")
        elif "pattern" in kind:
            self._free_text(kind, value)
        else:
            raise Refused("bad_value")

    def _free_text(self, kind: dict[str, Any], value: _Value) -> None:
        if value.type != "stringValue":
            raise Refused("bad_value")
        text = str(value.value)
        pattern = self._patterns.setdefault(kind["pattern"], re.compile(kind["pattern"]))
        if pattern.fullmatch(text) is None:
            raise Refused("bad_value")
        if re.search(rf"\d{{{kind['max_digit_run'] + 1},}}", text):
            raise Refused("looks_like_an_identifier")
        if self.names.intersection(re.findall(r"[^\W\d_]+", text.lower())):
            raise Refused("looks_like_a_name")

    def check_resource(self, attributes: dict[str, _Value]) -> None:
        for key, value in attributes.items():
            kind = self.resource.get(key)
            if kind is None:
                raise Refused("unknown_resource_attribute")
            try:
                self.check(kind, value)
            except Refused:
                raise Refused("bad_resource") from None
        if any(key not in attributes for key in self.resource_required):
            raise Refused("incomplete_resource")

    def check_scope(self, scope: Any) -> None:
        if not isinstance(scope, dict):
            raise Refused("unknown_scope")
        extra = {k: v for k, v in scope.items() if k not in ("name", "version")}
        if {k: scope.get(k) for k in ("name", "version")} != self.scope or any(extra.values()):
            raise Refused("unknown_scope")

    def check_record(self, record: dict[str, Any]) -> str:
        """The record's event name; Refused when the registry does not allow the record."""
        spec = self.record
        for name, value in record.items():
            if name in ("timeUnixNano", "observedTimeUnixNano"):
                if not isinstance(value, str | int) or isinstance(value, bool) \
                        or not re.fullmatch(r"\d{1,19}", str(value)) or not 0 < int(value) <= _MAX_NANOS:
                    raise Refused("bad_time")
            elif name == "severityNumber":
                if value != spec["severity_number"] or isinstance(value, bool):
                    raise Refused("bad_severity")
            elif name == "severityText":
                if value != spec["severity_text"]:
                    raise Refused("bad_severity")
            elif name in ("eventName", "body", "attributes"):
                continue
            elif name not in _EMPTY_FIELDS or value != _EMPTY_FIELDS[name] or isinstance(value, bool):
                raise Refused("unknown_field")
        if "timeUnixNano" not in record:
            raise Refused("bad_time")
        attributes = _attributes(record.get("attributes"))
        named = attributes.pop(spec["event_attribute"], None)
        if named is None or named.type != "stringValue":
            raise Refused("unknown_event")
        event = str(named.value)
        if "eventName" in record and record["eventName"] != event:
            raise Refused("unknown_event")
        if "body" in record and record["body"] != {"stringValue": event}:
            raise Refused("bad_body")
        definition = self.events.get(event)
        if definition is None:
            raise Refused("unknown_event")
        prefix = spec["event_attribute_prefix"]
        for key, value in attributes.items():
            if key.startswith(prefix):
                kind = definition["attributes"].get(key[len(prefix):])
            elif (key == spec["patient_attribute"] and not definition["patient"]) \
                    or (key == spec["duration_attribute"] and not definition["duration"]):
                kind = None  # the event takes no patient, or no duration
            elif key == spec["outcome_attribute"]:
                kind = {"codes": definition["outcomes"]}
            else:
                kind = spec["attributes"].get(key)
            if kind is None:
                raise Refused("unknown_attribute")
            self.check(kind, value)
        if any(key not in attributes for key in spec["required"]):
            raise Refused("incomplete_record")
        return event

    def batch_id(self, candidate: object) -> str | None:
        """``candidate`` when it is a batch id as the app makes them."""
        if isinstance(candidate, str) and re.fullmatch(f"[0-9a-f]{{{self.batch_id_kind['hex']}}}", candidate):
            return candidate
        return None


# ------------------------------------------------------------------ rate per client


@dataclass(frozen=True)
class RateLimit:
    """Token buckets per client: bursts of ``requests`` requests and ``records`` records, refilled at
    ``requests_per_s`` and ``records_per_s``. A phone sends a batch every 30 s, and a few hundred
    back to back after a day offline; the defaults let that through."""

    requests: float = 600
    requests_per_s: float = 10
    records: float = 200_000
    records_per_s: float = 500
    clients: int = 10_000  # clients remembered at once (the least recently seen is forgotten)


class _Buckets:
    def __init__(self, limit: RateLimit, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.clock = clock
        self._lock = threading.Lock()
        self._state: OrderedDict[str, tuple[float, float, float]] = OrderedDict()

    def take(self, client: str, records: int) -> bool:
        """Take one request and ``records`` records from the client's buckets; False when empty."""
        limit, now = self.limit, self.clock()
        with self._lock:
            requests, recs, then = self._state.pop(client, (limit.requests, limit.records, now))
            elapsed = max(0.0, now - then)
            requests = min(limit.requests, requests + elapsed * limit.requests_per_s)
            recs = min(limit.records, recs + elapsed * limit.records_per_s)
            allowed = requests >= 1 and recs >= records
            if allowed:
                requests, recs = requests - 1, recs - records
            self._state[client] = (requests, recs, now)
            while len(self._state) > limit.clients:
                self._state.popitem(last=False)
            return allowed


# ------------------------------------------------------------------ the collector


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


@dataclass
class _Parsed:
    rows: list[tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]]
    reasons: Counter[str]
    count: int
    batch_id: str | None
    install_id: str | None


class UsageCollector:
    """Stores what devices send, in the mock's own database, when the registry allows it."""

    def __init__(self, store: Store, registry: Registry | None = None, rate: RateLimit | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.registry = registry or Registry.load()
        self._buckets = _Buckets(rate or RateLimit(), clock)
        store.queries.create_usage_log()

    def receive(self, body: bytes, content_type: str | None, batch_header: str | None,
                client: str | None = None) -> tuple[int, dict[str, Any]]:
        """HTTP status and JSON answer for a POST of ``body`` from ``client`` (its address)."""
        media_type = (content_type or "").split(";")[0].strip().lower()
        if media_type != _JSON:
            return 415, {"code": 3, "message": f"Send OTLP/HTTP JSON as {_JSON}, not {media_type or 'nothing'}"}
        if len(body) > MAX_BODY_BYTES:
            return 413, {"code": 8, "message": f"The body is larger than {MAX_BODY_BYTES} bytes"}
        try:
            parsed = self._parse(wire.loads(body), batch_header or "")
        except wire.BadJson as error:
            return 400, {"code": 3, "message": f"The body is not valid JSON: {error}"}
        except NotOtlp as error:
            return 400, {"code": 3, "message": str(error)}
        if parsed.count > MAX_RECORDS:
            return 413, {"code": 8, "message": f"At most {MAX_RECORDS} log records in one request"}
        if not self._buckets.take(client or parsed.install_id or "-", parsed.count):
            return 429, {"code": 8, "message": "Too many log records from this client: try again later"}
        return 200, self._store(parsed, body).answer()

    def store_request(self, payload: Any, batch_id: str, body: bytes) -> Receipt:
        """Check and store one request's records (no media type, size or rate checks)."""
        return self._store(self._parse(payload, batch_id), body)

    def _store(self, parsed: _Parsed, body: bytes) -> Receipt:
        received = dates.now_instant()
        batch_id = parsed.batch_id or hashlib.sha256(body).hexdigest()
        stored_rows = [self._row(batch_id, received, *row) for row in parsed.rows]
        stored = self.store.queries.add_usage_records(stored_rows) if stored_rows else 0
        rejected = sum(parsed.reasons.values())
        return Receipt(batch_id, stored, len(stored_rows) - stored, rejected,
                       tuple(sorted(parsed.reasons.items())))

    def _parse(self, payload: Any, batch_header: str) -> _Parsed:
        if not isinstance(payload, dict):
            raise NotOtlp("The body must be an OTLP ExportLogsServiceRequest object")
        registry = self.registry
        parsed = _Parsed([], Counter(), 0, registry.batch_id(batch_header), None)
        for resource_logs in _list(payload.get("resourceLogs"), "resourceLogs"):
            if not isinstance(resource_logs, dict):
                raise NotOtlp("Each resourceLogs entry must be an object")
            resource_problem: str | None = None
            try:
                attributes = _attributes((resource_logs.get("resource") or {}).get("attributes"))
                named_batch = attributes.pop("visitt.batch.id", None)  # kept only when it is a plain id
                batch_id = registry.batch_id(named_batch.value if named_batch is not None else None)
                registry.check_resource(attributes)
                resource = {key: value.value for key, value in attributes.items()}
            except Refused as refused:
                resource_problem, resource = refused.reason, {}
            if resource_problem is None:
                if batch_id is not None:
                    resource["visitt.batch.id"] = batch_id
                parsed.install_id = parsed.install_id or str(resource.get("service.instance.id"))
                parsed.batch_id = parsed.batch_id or batch_id
            for scope_logs in _list(resource_logs.get("scopeLogs"), "scopeLogs"):
                if not isinstance(scope_logs, dict):
                    raise NotOtlp("Each scopeLogs entry must be an object")
                scope = scope_logs.get("scope")
                scope_problem = resource_problem
                if scope_problem is None:
                    try:
                        registry.check_scope(scope)
                    except Refused as refused:
                        scope_problem = refused.reason
                for record in _list(scope_logs.get("logRecords"), "logRecords"):
                    problem = scope_problem
                    if problem is None:
                        try:
                            if not isinstance(record, dict):
                                raise Refused("not_an_object")
                            registry.check_record(record)
                        except Refused as refused:
                            problem = refused.reason
                    if problem is None:
                        parsed.rows.append((parsed.count, resource, dict(registry.scope), record))
                    else:
                        parsed.reasons[problem] += 1
                    parsed.count += 1
        return parsed

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
        return "".join(record + "\n" for record in self.store.queries.usage_records()).encode()

    def count(self) -> int:
        return self.store.queries.count_usage_records()
