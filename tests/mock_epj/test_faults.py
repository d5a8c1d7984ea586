"""Fault injection: latency, 503s, dropped connections (before and after the write), admin rules."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from mock_epj.routes import Request
from tests.support.mock_server import Server, inpatient, login, outcome_text


@pytest.fixture
def lege1(server: Server) -> Iterator[httpx.Client]:
    with login(server.url, "lege1") as client:
        yield client


def _faults(server: Server, **settings: object) -> httpx.Response:
    return httpx.post(f"{server.url}/_admin/faults", json=settings)


def _flag(patient: str, marker: str) -> dict[str, object]:
    return {"resourceType": "Flag", "status": "active", "code": {"text": "Merknad"},
            "identifier": [{"system": "urn:test", "value": marker}],
            "subject": {"reference": f"Patient/{patient}"}}




def test_latency_is_added_to_each_request(server: Server, lege1: httpx.Client) -> None:
    lege1.get("metadata")
    started = time.perf_counter()
    lege1.get("Patient", params={"_count": 1})
    fast = time.perf_counter() - started
    assert _faults(server, latency_ms=300).status_code == 200
    started = time.perf_counter()
    lege1.get("Patient", params={"_count": 1})
    slow = time.perf_counter() - started
    assert slow >= 0.3
    assert slow > fast


def test_error_next_gives_exactly_that_many_503s(server: Server, lege1: httpx.Client) -> None:
    _faults(server, error_next=2)
    statuses = [lege1.get("Patient", params={"_count": 1}).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_error_rate_one_fails_everything_with_an_outcome(server: Server, lege1: httpx.Client) -> None:
    _faults(server, error_rate=1.0)
    response = lege1.get("Patient")
    assert response.status_code == 503
    assert "unavailable" in outcome_text(response)
    _faults(server, error_rate=0.0)
    assert lege1.get("Patient").status_code == 200


def test_drop_closes_the_connection_without_an_answer(server: Server, lege1: httpx.Client) -> None:
    _faults(server, drop_next=1)
    with pytest.raises(httpx.RemoteProtocolError):
        lege1.get("Patient")
    assert lege1.get("Patient").status_code == 200


def test_drop_before_processing_loses_the_write(server: Server, lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    marker = str(uuid.uuid4())
    _faults(server, drop_next=1, methods=["POST"])
    with pytest.raises(httpx.RemoteProtocolError):
        lege1.post("Flag", json=_flag(patient, marker))
    assert lege1.get("Flag", params={"identifier": f"urn:test|{marker}"}).json()["total"] == 0


def test_drop_after_processing_keeps_the_write(server: Server, lege1: httpx.Client) -> None:
    patient = inpatient(lege1)
    marker = str(uuid.uuid4())
    _faults(server, drop_next=1, drop_after_processing=True, methods=["POST"])
    with pytest.raises(httpx.RemoteProtocolError):
        lege1.post("Flag", json=_flag(patient, marker))
    assert lege1.get("Flag", params={"identifier": f"urn:test|{marker}"}).json()["total"] == 1


def test_faults_can_be_limited_to_a_path(server: Server, lege1: httpx.Client) -> None:
    _faults(server, error_rate=1.0, path_prefix="/fhir/Observation")
    assert lege1.get("Patient", params={"_count": 1}).status_code == 200
    assert lege1.get("Observation", params={"_count": 1}).status_code == 503


def test_admin_endpoint_reports_and_validates_settings(server: Server) -> None:
    assert _faults(server, latency_ms=10, jitter_ms=5).json()["latency_ms"] == 10
    current = httpx.get(f"{server.url}/_admin/faults").json()
    assert current["jitter_ms"] == 5
    for bad in ({"error_rate": 2}, {"latency_ms": -1}, {"drop_next": "x"}, {"nonsense": 1}):
        response = httpx.post(f"{server.url}/_admin/faults", json=bad)
        assert response.status_code == 400, bad
        assert outcome_text(response)


def test_admin_endpoint_answers_loopback_only(server: Server) -> None:
    api = server.running.httpd.api
    remote = api.handle(Request("POST", "/_admin/faults", [], {"content-type": "application/json"},
                                b'{"error_rate": 1}', client="10.1.2.3"))
    assert remote.status == 403
    assert api.faults.settings.error_rate == 0


def test_faults_do_not_touch_the_admin_endpoint(server: Server) -> None:
    _faults(server, error_rate=1.0)
    assert httpx.get(f"{server.url}/_admin/faults").status_code == 200
