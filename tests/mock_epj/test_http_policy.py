"""What every answer and every connection gets: admin endpoints only for loopback host names (DNS
rebinding), Cache-Control: no-store, the usage collector's limits per client address, and a cap on
concurrent connections (503 with Retry-After beyond it)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from mobile_app.services.usage.otlp import encode_batch
from mobile_app.services.usage.records import Origin, Pseudonymizer, SessionFields, make_record
from mock_epj.collector import RateLimit, UsageCollector
from tests.support.database import copy_db
from tests.support.mock_server import Server, inpatient, login, serve

ADMIN: list[tuple[str, str, dict[str, object] | None]] = [
    ("GET", "/_admin/faults", None), ("POST", "/_admin/faults", {}), ("POST", "/_admin/labs", {}),
    ("GET", "/v1/logs/export", None)]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8080", "localhost", "localhost:1", "LOCALHOST:65535",
                                  "[::1]", "[::1]:8080"])
def test_admin_endpoints_answer_loopback_host_names(shared_server: Server, host: str) -> None:
    for method, path, body in ADMIN:
        answer = httpx.request(method, f"{shared_server.url}{path}", json=body, headers={"Host": host})
        assert answer.status_code == 200, (method, path, answer.text)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.nip.io", "localhost.evil.example",
                                  "localhost.", "127.0.0.2", "0.0.0.0", "[::1].evil", "127.0.0.1:80:80", "",
                                  "127.0.0.1@evil.example"])
def test_admin_endpoints_refuse_other_host_names(shared_server: Server, host: str) -> None:
    for method, path, body in ADMIN:
        answer = httpx.request(method, f"{shared_server.url}{path}", json=body, headers={"Host": host})
        assert answer.status_code == 403, (method, path, host, answer.text)
        assert "loopback host name" in answer.json()["issue"][0]["diagnostics"]
    faults = httpx.post(f"{shared_server.url}/_admin/faults", json={"error_rate": 1.0}, headers={"Host": host})
    assert faults.status_code == 403
    assert httpx.get(f"{shared_server.url}/_admin/faults").json()["error_rate"] == 0.0  # nothing was changed


def test_every_answer_says_no_store(shared_server: Server) -> None:
    with login(shared_server.url, "lege1") as lege1:
        patient = inpatient(lege1)
        answers = [
            lege1.get(f"Patient/{patient}"), lege1.get("Observation", params={"patient": patient, "_count": 1}),
            lege1.post("Patient/_search", data={"_id": patient}), lege1.get("Patient/nobody"),
            lege1.post("", json={"resourceType": "Bundle", "type": "batch", "entry": [
                {"request": {"method": "GET", "url": f"Patient/{patient}"}}]}),
            lege1.get("metadata"), lege1.delete("Nothing/x"),
            httpx.get(f"{shared_server.fhir}/Patient"),  # 401
            httpx.post(f"{shared_server.url}/auth/token", json={"username": "lege1", "pin": "1234"}),
            httpx.post(f"{shared_server.url}/auth/token", json={"username": "lege1", "pin": "0"}),
            httpx.post(f"{shared_server.url}/auth/logout", headers={"Authorization": "Bearer x"}),
            httpx.get(f"{shared_server.url}/v1/logs/export"), httpx.get(f"{shared_server.url}/nothing"),
        ]
    statuses = {answer.status_code for answer in answers}
    assert {200, 401, 404, 204} <= statuses
    assert [a.headers.get("Cache-Control") for a in answers] == ["no-store"] * len(answers)


# ------------------------------------------------------------------ the collector per client address

ORIGIN = Origin("1.2.3", "android", "1f" * 16)
PSEUDONYMS = Pseudonymizer(b"k" * 32)
SESSION = SessionFields("5e" * 16, "doctor", "ward-med", PSEUDONYMS("user", "prac-001"), started=0.0)


def _log_batch(n: int) -> bytes:
    record = make_record(ORIGIN, 1_772_438_400.0 + n, "screen_shown", session=SESSION, duration_ms=3.0,
                         outcome="success", attributes={"screen": "search", "cached": False},
                         record_id=f"{n:016x}")
    return json.dumps(encode_batch([record], f"{n:032x}")).encode()


def test_the_collector_limits_each_client_address(shared_server: Server) -> None:
    """Two addresses (127.0.0.1 and 127.0.0.2) sending as the same install: each has its own rate."""
    api = shared_server.running.httpd.api
    previous = api.collector
    api.collector = UsageCollector(shared_server.epj.store, rate=RateLimit(requests=2, requests_per_s=0.001))
    other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    try:
        def send(client: httpx.Client, n: int) -> int:
            return client.post(f"{shared_server.url}/v1/logs", content=_log_batch(n),
                               headers={"Content-Type": "application/json"}).status_code

        with httpx.Client() as first:
            assert [send(first, n) for n in range(3)] == [200, 200, 429]
        assert [send(other, n) for n in range(10, 13)] == [200, 200, 429]  # not the first address's bucket
    finally:
        other.close()
        api.collector = previous


# ------------------------------------------------------------------ the connection cap


@pytest.fixture
def capped(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    yield from serve(copy_db(seeded_db, tmp_path / "epj.sqlite3"), max_connections=2)


def _connect(server: Server) -> socket.socket:
    parts = urlsplit(server.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def _ask(sock: socket.socket) -> bytes:
    """Send a metadata request on an open connection and read the answer's head and body."""
    sock.sendall(b"GET /fhir/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    return _answer(sock)


def _answer(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def test_connections_beyond_the_cap_get_503_with_retry_after(capped: Server) -> None:
    held = [_connect(capped) for _ in range(2)]
    try:
        assert all(_ask(sock).startswith(b"HTTP/1.1 200 ") for sock in held)
        with _connect(capped) as extra:
            answer = _answer(extra)  # answered at once, without a request
            assert answer.startswith(b"HTTP/1.1 503 "), answer[:200]
            assert b"\r\nRetry-After: " in answer and b"Connection: close" in answer
            body = json.loads(answer.partition(b"\r\n\r\n")[2])
            assert body["resourceType"] == "OperationOutcome" and "connections" in body["issue"][0]["diagnostics"]
            assert extra.recv(1) == b""  # and closed
        with _connect(capped) as eager:  # a client that sends its request at once still reads the 503
            assert _ask(eager).startswith(b"HTTP/1.1 503 ")
        over = httpx.post(f"{capped.url}/auth/token", json={"username": "lege1", "pin": "1234"})
        assert over.status_code == 503 and over.headers["Retry-After"] == "2"
        assert all(_ask(sock).startswith(b"HTTP/1.1 200 ") for sock in held)  # the held ones still work
    finally:
        for sock in held:
            sock.close()
    # a closed connection frees its place (the server notices the close on its own time)
    for _ in range(200):
        with _connect(capped) as again:
            if _ask(again).startswith(b"HTTP/1.1 200 "):
                break
        time.sleep(0.05)
    else:
        pytest.fail("a place never came free after the held connections closed")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="worker processes need fork")
def test_each_worker_process_keeps_the_cap_and_the_header_rules(seeded_db: Path, tmp_path: Path) -> None:
    db = copy_db(seeded_db, tmp_path / "epj.sqlite3")
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_epj", "serve", "--port", "0", "--db", str(db), "--workers", "2",
         "--max-connections", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    held: list[socket.socket] = []
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)/fhir", line)
        assert match, line
        url = match.group(1)
        answers = []
        for _ in range(5):  # two processes with room for one connection each
            parts = urlsplit(url)
            sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
            held.append(sock)
            answers.append(_ask(sock)[:12])
        assert 1 <= answers.count(b"HTTP/1.1 200") <= 2, answers
        assert answers.count(b"HTTP/1.1 503") == 5 - answers.count(b"HTTP/1.1 200"), answers
        for sock in held:
            sock.close()
        held.clear()
        for _ in range(200):  # places come free once the processes notice the closes
            answer = httpx.get(f"{url}/_admin/faults", headers={"Host": "evil.example"})
            if answer.status_code != 503:
                break
            time.sleep(0.05)
        assert answer.status_code == 403 and answer.headers["Cache-Control"] == "no-store"
    finally:
        for sock in held:
            sock.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
