"""A mock EPJ on a free loopback port, and plain-HTTP helpers for talking to it (logins, Bundles,
OperationOutcomes) without the app's client."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from mock_epj.app import MockEPJ, ServerConfig
from mock_epj.server import RunningServer

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

    @property
    def strict(self) -> bool:
        """Whether the server runs in strict mode (no mock-only behaviour: mock-epj serve --strict)."""
        return self.epj.config.strict

    def stop(self) -> None:
        self.running.stop()
        self.epj.labs.stop()


def start_server(db: Path, **config: Any) -> Server:
    epj = MockEPJ.open(ServerConfig(port=0, db=db, **config))
    return Server(epj, epj.start())


def serve(db: Path, **config: Any) -> Iterator[Server]:
    """A mock EPJ on ``db`` for a fixture to yield from; stopped afterwards."""
    server = start_server(db, **config)
    yield server
    server.stop()


def login(base_url: str, username: str, pin: str = "1234") -> httpx.Client:
    response = httpx.post(f"{base_url}/auth/token", json={"username": username, "pin": pin})
    response.raise_for_status()
    token = response.json()["access_token"]
    return httpx.Client(base_url=f"{base_url}/fhir", timeout=10,
                        headers={"Authorization": f"Bearer {token}", "Accept": FHIR_JSON})


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
