"""Fixtures for the mock EPJ: a running server on a free port and logged-in httpx clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mock_epj.app import MockEPJ, ServerConfig
from mock_epj.server import RunningServer
from tests.conftest import copy_db

FHIR_JSON = "application/fhir+json"


@dataclass
class Server:
    epj: MockEPJ
    running: RunningServer

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def fhir(self) -> str:
        return self.running.fhir_url


def start_server(db: Path, **config: Any) -> Server:
    epj = MockEPJ.open(ServerConfig(port=0, db=db, **config))
    return Server(epj, epj.start())


@pytest.fixture(scope="module")
def shared_server(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per test module, for tests that only read or whose writes do not interfere."""
    db = copy_db(seeded_db, tmp_path_factory.mktemp("shared") / "epj.sqlite3")
    server = start_server(db)
    yield server
    server.running.stop()
    server.epj.labs.stop()


@pytest.fixture
def server(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    """A fresh server with its own copy of the seeded database."""
    server = start_server(copy_db(seeded_db, tmp_path / "epj.sqlite3"))
    yield server
    server.running.stop()
    server.epj.labs.stop()


def login(base_url: str, username: str, pin: str = "1234") -> httpx.Client:
    response = httpx.post(f"{base_url}/auth/token", json={"username": username, "pin": pin})
    response.raise_for_status()
    token = response.json()["access_token"]
    return httpx.Client(base_url=f"{base_url}/fhir", timeout=10,
                        headers={"Authorization": f"Bearer {token}", "Accept": FHIR_JSON})


@pytest.fixture
def client_for(shared_server: Server) -> Iterator[Callable[[str], httpx.Client]]:
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        client = login(shared_server.url, username)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def entries(bundle: dict[str, Any], mode: str | None = None) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", [])
            if mode is None or e.get("search", {}).get("mode") == mode]


def outcome_text(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return " ".join(issue.get("diagnostics", "") for issue in body["issue"])


def inpatient(client: httpx.Client, ward: str = "ward-med") -> str:
    """The id of a patient with a current stay on ``ward``."""
    bundle = client.get("Encounter", params={"location": f"Location/{ward}", "status": "in-progress",
                                             "_count": 1}).json()
    return str(bundle["entry"][0]["resource"]["subject"]["reference"].split("/")[1])
