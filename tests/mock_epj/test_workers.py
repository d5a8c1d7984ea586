"""Several worker processes over one database agree on logins, lock-outs, faults and access.

Most tests run two servers in this process over the same database file, as ``mock-epj serve
--workers 2`` runs two processes: one started as the server (it logs everyone out and sets the
faults) and one joining as a worker. Each has its own store connections, authenticator, access
cache and fault settings object, so what they agree on can only have come through the database.
The last test starts the real command with two worker processes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_epj.app import MockEPJ, ServerConfig
from tests.support.database import copy_db
from tests.support.mock_server import FHIR_JSON, Server, inpatient, login, outcome_text

URL_LINE = re.compile(r"at (http://127\.0\.0\.1:\d+)/fhir")


@pytest.fixture
def pair(seeded_db: Path, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    db = copy_db(seeded_db, tmp_path / "epj.sqlite3")
    first = MockEPJ.open(ServerConfig(port=0, db=db))
    second = MockEPJ.open(ServerConfig(port=0, db=db), worker=True)
    servers = Server(first, first.start()), Server(second, second.start())
    yield servers
    for server in servers:
        server.running.stop()


def _token(server: Server, username: str = "lege1", pin: str = "1234") -> httpx.Response:
    return httpx.post(f"{server.url}/auth/token", json={"username": username, "pin": pin})


def _get(server: Server, token: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.fhir}/{path}", headers={"Authorization": f"Bearer {token}",
                                                      "Accept": FHIR_JSON, **headers})


def test_a_token_from_one_worker_works_on_the_other(pair: tuple[Server, Server]) -> None:
    a, b = pair
    token = _token(a).json()["access_token"]
    assert _get(b, token, "Patient?_count=1").status_code == 200
    assert _get(b, "not-a-token", "Patient?_count=1").status_code == 401


def test_a_logout_on_one_worker_is_seen_by_the_other(pair: tuple[Server, Server]) -> None:
    a, b = pair
    token = _token(b).json()["access_token"]
    assert _get(a, token, "Patient?_count=1").status_code == 200
    assert httpx.post(f"{a.url}/auth/logout", headers={"Authorization": f"Bearer {token}"}).status_code == 204
    revoked = _get(b, token, "Patient?_count=1")
    assert revoked.status_code == 401
    assert "not valid" in outcome_text(revoked)


def test_wrong_pins_are_counted_across_workers(pair: tuple[Server, Server]) -> None:
    a, b = pair
    statuses = [_token(server, "lege2", "9999").status_code for server in (a, b, a, b, a)]
    assert statuses == [401] * 5
    for server in (a, b):  # the fifth wrong PIN, on either worker, locked the user on both
        locked = _token(server, "lege2", "1234")
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) > 0
    assert _token(b, "lege1").status_code == 200  # others are not affected


def test_a_right_pin_on_one_worker_resets_the_count_on_both(pair: tuple[Server, Server]) -> None:
    a, b = pair
    for server in (a, b, a, b):
        assert _token(server, "spl1", "9999").status_code == 401
    assert _token(a, "spl1").status_code == 200
    for server in (b, a, b, a):
        assert _token(server, "spl1", "9999").status_code == 401
    assert _token(b, "spl1").status_code == 200


def test_faults_set_through_one_worker_apply_to_all(pair: tuple[Server, Server]) -> None:
    a, b = pair
    token = _token(a).json()["access_token"]
    assert httpx.post(f"{a.url}/_admin/faults", json={"error_next": 2}).status_code == 200
    assert httpx.get(f"{b.url}/_admin/faults").json()["error_next"] == 2
    # the countdown is shared: one failure on each worker, then none
    assert _get(b, token, "Patient?_count=1").status_code == 503
    assert _get(a, token, "Patient?_count=1").status_code == 503
    assert _get(b, token, "Patient?_count=1").status_code == 200
    assert _get(a, token, "Patient?_count=1").status_code == 200
    assert httpx.post(f"{b.url}/_admin/faults", json={"error_rate": 1.0}).status_code == 200
    assert _get(a, token, "Patient?_count=1").status_code == 503
    assert httpx.post(f"{a.url}/_admin/faults", json={"error_rate": 0.0}).status_code == 200
    assert _get(b, token, "Patient?_count=1").status_code == 200


def test_break_the_glass_on_one_worker_opens_the_record_on_the_other(pair: tuple[Server, Server]) -> None:
    a, b = pair
    token = _token(a, "lege1").json()["access_token"]
    with login(a.url, "lege2") as kir:
        patient = inpatient(kir, "ward-kir")  # not on lege1's ward
    path = f"Condition?patient={patient}"
    assert _get(b, token, path).status_code == 403  # b now holds lege1's access in its cache
    opened = _get(a, token, path, **{"X-Break-Glass-Reason": "Akutt forverring, pasienten er ustabil"})
    assert opened.status_code == 200
    later = _get(b, token, path)  # no reason sent: the grant made through a must be known to b
    assert later.status_code == 200
    assert f"Patient/{patient}" in later.headers["X-Break-Glass"]


def test_a_server_that_starts_logs_everyone_out(seeded_db: Path, tmp_path: Path) -> None:
    db = copy_db(seeded_db, tmp_path / "epj.sqlite3")
    first = MockEPJ.open(ServerConfig(port=0, db=db))
    running = first.start()
    token = _token(Server(first, running)).json()["access_token"]
    running.stop()
    again = MockEPJ.open(ServerConfig(port=0, db=db))
    restarted = Server(again, again.start())
    try:
        assert _get(restarted, token, "Patient?_count=1").status_code == 401
    finally:
        restarted.running.stop()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc").is_dir(), reason="needs fork and /proc")
def test_serve_with_two_worker_processes(seeded_db: Path, tmp_path: Path) -> None:
    db = copy_db(seeded_db, tmp_path / "epj.sqlite3")
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_epj", "serve", "--port", "0", "--db", str(db), "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = URL_LINE.search(line)
        assert match, line
        base = match.group(1)
        assert "2 worker processes" in line
        assert len(_children(process.pid)) == 2
        token = httpx.post(f"{base}/auth/token", json={"username": "lege1", "pin": "1234"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        # each request on a new connection, accepted by whichever worker is free
        assert {httpx.get(f"{base}/fhir/Patient?_count=1", headers=headers).status_code
                for _ in range(20)} == {200}
        assert httpx.post(f"{base}/auth/logout", headers=headers).status_code == 204
        assert {httpx.get(f"{base}/fhir/Patient?_count=1", headers=headers).status_code
                for _ in range(20)} == {401}
        workers = _children(process.pid)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert not any(Path(f"/proc/{pid}").exists() and "zombie" not in
                       Path(f"/proc/{pid}/status").read_text().lower() for pid in workers)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
