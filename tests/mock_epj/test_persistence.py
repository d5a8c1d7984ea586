"""Durability: what a create answered 201 for survives the server process being killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from tests.support.database import copy_db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_epj", "serve", "--port", str(port), "--db", str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/fhir/metadata", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start: " + process.stdout.read().decode() if process.stdout else "")


def test_created_resource_survives_kill_9(seeded_db: Path, tmp_path: Path) -> None:
    db = copy_db(seeded_db, tmp_path / "epj.sqlite3")
    port = _free_port()
    process = _start(db, port)
    base = f"http://127.0.0.1:{port}"
    marker = str(uuid.uuid4())
    try:
        token = httpx.post(f"{base}/auth/token", json={"username": "lege1", "pin": "1234"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        created = httpx.post(f"{base}/fhir/Communication", headers=headers, json={
            "resourceType": "Communication", "status": "completed",
            "identifier": [{"system": "urn:test", "value": marker}],
            "recipient": [{"reference": token["practitioner"]}],
            "payload": [{"contentString": "Husk å ringe pårørende"}]})
        assert created.status_code == 201
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    process = _start(db, port)
    try:
        token = httpx.post(f"{base}/auth/token", json={"username": "lege1", "pin": "1234"}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        found = httpx.get(f"{base}/fhir/Communication", headers=headers,
                          params={"identifier": f"urn:test|{marker}"}).json()
        assert found["total"] == 1
        assert found["entry"][0]["resource"]["payload"][0]["contentString"] == "Husk å ringe pårørende"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
