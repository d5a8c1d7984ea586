"""Fixtures for the EPJ client: mocked HTTP, mock EPJ servers on free ports, logged-in clients, and
the seeded data itself (read straight from SQLite) to check the client's answers against."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import respx

from mobile_app.epj.client import EpjClient, LoginResult
from tests.conftest import copy_db
from tests.epj.mocked import BASE, TOKEN
from tests.mock_epj.conftest import Server, start_server

PIN = "1234"


@dataclass
class Session:
    """A logged-in client and what the login said."""

    client: EpjClient
    login: LoginResult

    @property
    def practitioner_id(self) -> str:
        return self.login.practitioner_id


Login = Callable[..., Awaitable[Session]]


class SeedData:
    """The seeded hospital as stored, for comparing the client's answers with the truth."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def of(self, resource_type: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT body FROM resources WHERE type = ? AND deleted = 0",
                                (resource_type,)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        with sqlite3.connect(self.db) as conn:
            row = conn.execute("SELECT body FROM resources WHERE type = ? AND id = ?",
                               (resource_type, resource_id)).fetchone()
        assert row is not None, f"{resource_type}/{resource_id} is not in the seed"
        return dict(json.loads(row[0]))

    def of_patient(self, resource_type: str, patient_id: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db) as conn:
            rows = conn.execute("SELECT body FROM resources WHERE type = ? AND patient = ? AND deleted = 0",
                                (resource_type, patient_id)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def stays_on(self, ward_id: str) -> list[dict[str, Any]]:
        return [e for e in self.of("Encounter") if e["status"] == "in-progress"
                and any(p["location"]["reference"] == f"Location/{ward_id}" for p in e["location"])]

    def username(self, practitioner_ref: str) -> str:
        practitioner = self.read("Practitioner", practitioner_ref.split("/")[-1])
        return str(next(i["value"] for i in practitioner["identifier"] if i["system"].endswith("username")))


def serve(db: Path, **config: Any) -> Iterator[Server]:
    """A mock EPJ on ``db`` for a fixture to yield from; stopped afterwards."""
    server = start_server(db, **config)
    yield server
    server.running.stop()
    server.epj.labs.stop()


@pytest.fixture(scope="session")
def seed(seeded_db: Path) -> SeedData:
    return SeedData(seeded_db)


@pytest.fixture(scope="module")
def epj_server(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per module for tests that only read (or whose writes touch nobody else)."""
    yield from serve(copy_db(seeded_db, tmp_path_factory.mktemp("epj") / "epj.sqlite3"))


@pytest.fixture
def fresh_server(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    """A server of its own, for tests that grant access or keep lists."""
    yield from serve(copy_db(seeded_db, tmp_path / "epj.sqlite3"))


async def logins_to(server: Server) -> AsyncIterator[Login]:
    """A fixture's ``log_in(username)``: EPJ clients logged in to ``server``, closed afterwards."""
    clients: list[EpjClient] = []

    async def log_in(username: str, pin: str = PIN) -> Session:
        client = EpjClient(server.fhir)
        clients.append(client)
        return Session(client, await client.login(username, pin))

    yield log_in
    for client in clients:
        await client.aclose()


@pytest_asyncio.fixture
async def login(epj_server: Server) -> AsyncIterator[Login]:
    """Log in to the shared server: ``session = await login("lege1")``."""
    async for log_in in logins_to(epj_server):
        yield log_in


@pytest_asyncio.fixture
async def fresh_login(fresh_server: Server) -> AsyncIterator[Login]:
    """Log in to a server of this test's own."""
    async for log_in in logins_to(fresh_server):
        yield log_in


@pytest_asyncio.fixture
async def lege1(login: Login) -> Session:
    return await login("lege1")


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Mocked HTTP: routes answer the client instead of a server."""
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest_asyncio.fixture
async def client(api: respx.MockRouter) -> AsyncIterator[EpjClient]:
    """A client with a token, talking to the mocked ``api``."""
    client = EpjClient(BASE, timeout=2)
    client.set_token(TOKEN)
    yield client
    await client.aclose()
