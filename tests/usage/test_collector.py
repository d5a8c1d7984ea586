"""The mock EPJ's usage collector (POST /v1/logs, OTLP/HTTP JSON) and delivery to it under faults."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from mobile_app.services.usage.otlp import encode_batch, record_from_export
from mobile_app.services.usage.records import Origin, make_record
from mock_epj.routes import Request
from tests.support.mock_server import Server
from tests.support.usage_logs import KEY, MakeLog, collected, day_records, set_faults

ORIGIN = Origin("1.2.3", "android", "0" * 32)
BATCH_1 = "b1" * 16  # a batch id as the app makes them (32 hex digits)


def _batch(batch_id: str, events: int = 3) -> dict[str, Any]:
    records = [make_record(ORIGIN, 1_772_438_400.0 + n, "offline", record_id=f"{n:016x}") for n in range(events)]
    return encode_batch(records, batch_id)


def _post(server: Server, payload: object, **headers: str) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/logs", content=json.dumps(payload),
                      headers={"Content-Type": "application/json", **headers}, timeout=10)


def test_a_batch_is_accepted_without_a_token_and_stored(collector: Server) -> None:
    response = _post(collector, _batch(BATCH_1))
    assert response.status_code == 200 and response.json() == {"partialSuccess": {}}
    stored = collected(collector)
    assert [(r["batch_id"], r["index"]) for r in stored] == [(BATCH_1, 0), (BATCH_1, 1), (BATCH_1, 2)]
    assert stored[0]["resource"]["service.name"] == "visitt"
    assert stored[0]["attributes"]["event.name"] == "offline"


def test_a_batch_sent_twice_is_stored_once(collector: Server) -> None:
    same, other, by_header = "5a" * 16, "07" * 16, "be" * 16
    for _ in range(3):
        assert _post(collector, _batch(same)).status_code == 200
    assert _post(collector, _batch(other), **{"X-Batch-Id": by_header}).status_code == 200
    assert Counter(r["batch_id"] for r in collected(collector)) == {same: 3, by_header: 3}


def test_without_a_batch_id_the_body_identifies_the_batch(collector: Server) -> None:
    payload = _batch("0a" * 16)
    for resource in payload["resourceLogs"]:
        resource["resource"]["attributes"] = [kv for kv in resource["resource"]["attributes"]
                                              if kv["key"] != "visitt.batch.id"]
    _post(collector, payload)
    _post(collector, payload)
    assert len(collected(collector)) == 3


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"{not json", "application/json", 400),
    (b"[]", "application/json", 400),
    (b'{"resourceLogs": {}}', "application/json", 400),
    (b'{"resourceLogs": []}', "application/x-protobuf", 415),
])
def test_what_is_not_an_otlp_json_request_is_refused(collector: Server, body: bytes, content_type: str,
                                                      status: int) -> None:
    response = httpx.post(f"{collector.url}/v1/logs", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status and "message" in response.json()


def test_records_that_are_not_objects_are_reported_as_rejected(collector: Server) -> None:
    payload = _batch("0b" * 16, events=2)
    payload["resourceLogs"][0]["scopeLogs"][0]["logRecords"].append("not a record")
    answer = _post(collector, payload).json()
    assert answer["partialSuccess"]["rejectedLogRecords"] == "1"
    assert len(collected(collector)) == 2


def test_the_export_answers_loopback_clients_only(collector: Server) -> None:
    api = collector.running.httpd.api
    remote = api.handle(Request("GET", "/v1/logs/export", [], {}, client="10.1.2.3"))
    assert remote.status == 403
    unnamed = api.handle(Request("GET", "/v1/logs/export", [], {}, client="127.0.0.1"))
    assert unnamed.status == 403  # a loopback client must also ask for a loopback host name (DNS rebinding)
    local = api.handle(Request("GET", "/v1/logs/export", [], {"host": "127.0.0.1:8080"}, client="127.0.0.1"))
    assert local.status == 200 and local.headers["Content-Type"].startswith("application/x-ndjson")


def test_fault_injection_applies_to_the_collector(collector: Server) -> None:
    set_faults(collector, error_next=1, path_prefix="/v1/logs")
    assert _post(collector, _batch("0c" * 16)).status_code == 503
    assert _post(collector, _batch("0c" * 16)).status_code == 200


def test_the_export_turns_back_into_the_records_that_were_sent(make_log: MakeLog, collector: Server) -> None:
    usage = make_log(key=KEY, collector_url=collector.url)
    usage.start_session("prac-001", "doctor", "ward-med")
    usage.event("search", kind="birth_date", result_count=2, duration_ms=231.5, outcome="success")
    usage.event("patient_opened", via="search", patient_id="pat-000003", duration_ms=410.0, outcome="success")
    usage.event("lock", trigger="idle")
    assert usage.flush(10)
    sent = day_records(usage.config.directory)
    assert [record_from_export(line) for line in collected(collector)] == sent


# ------------------------------------------------------------ delivery under faults

def _send_and_check(usage_log: Any, server: Server, count: int = 450) -> None:
    usage_log.start_session("prac-001", "nurse", "ward-med")
    for n in range(count):
        usage_log.event("search", kind="name", result_count=n % 50, duration_ms=float(n), outcome="success")
    assert usage_log.flush(60), usage_log.stats()
    written = [r["id"] for r in day_records(usage_log.config.directory)]
    stored = [r["attributes"]["visitt.record.id"] for r in collected(server)]
    assert len(written) == count
    assert Counter(stored) == Counter(written), "nothing lost, nothing duplicated"
    assert usage_log.stats().batches_pending == 0


FAULTS = {
    "errors (503)": {"error_next": 3},
    "dropped before the collector saw it": {"drop_next": 3},
    "dropped after it was stored (answer lost)": {"drop_next": 3, "drop_after_processing": True},
    "random errors and lost answers": {"error_rate": 0.3, "drop_rate": 0.3, "drop_after_processing": True},
}


@pytest.mark.parametrize("faults", FAULTS.values(), ids=FAULTS.keys())
def test_nothing_is_lost_or_duplicated_under_faults(make_log: MakeLog, collector: Server,
                                                    faults: dict[str, Any]) -> None:
    set_faults(collector, path_prefix="/v1/logs", methods=["POST"], **faults)
    usage = make_log(key=KEY, collector_url=collector.url, batch_max_records=50)
    _send_and_check(usage, collector)
    stats = usage.stats()  # 450 records in batches of at most 50 (a slow machine may cut one early by time)
    assert stats.batches_sent == stats.batches_spooled >= 9


def test_batches_left_unsent_are_delivered_after_a_restart(make_log: MakeLog, collector: Server,
                                                           tmp_path: Path) -> None:
    directory = tmp_path / "phone"
    set_faults(collector, error_rate=1.0, path_prefix="/v1/logs", methods=["POST"])
    first = make_log(directory, key=KEY, collector_url=collector.url, batch_max_records=40)
    for n in range(100):
        first.event("scan", source="scanner", outcome="success", duration_ms=float(n))
    assert not first.flush(1.0)
    first.close(timeout=0.1)
    pending = sorted((directory / "spool").glob("*.json"))
    assert len(pending) == 3 and not collected(collector)

    set_faults(collector, error_rate=0.0)
    second = make_log(directory, key=KEY, collector_url=collector.url)
    assert second.flush(10)
    assert not list((directory / "spool").glob("*.json"))
    stored = [r["attributes"]["visitt.record.id"] for r in collected(collector)]
    assert Counter(stored) == Counter(r["id"] for r in day_records(directory))
    assert len(stored) == 100


def test_going_online_sends_at_once_what_waited(make_log: MakeLog, collector: Server) -> None:
    set_faults(collector, error_rate=1.0, path_prefix="/v1/logs", methods=["POST"])
    usage = make_log(key=KEY, collector_url=collector.url, backoff_base_s=60.0, backoff_max_s=300.0)
    usage.event("offline")
    assert not usage.flush(0.5)
    set_faults(collector, error_rate=0.0)
    usage.event("online", duration_ms=30_000)  # the app saw the network return: retry now, not in a minute
    assert usage.flush(5)
    assert [r["eventName"] for r in collected(collector)] == ["offline", "online"]
