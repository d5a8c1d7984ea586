"""Fixtures for the mock EPJ: a running server on a free port and logged-in httpx clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.database import copy_db
from tests.support.mock_server import Server, login, serve


@pytest.fixture(scope="module")
def shared_server(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per test module, for tests that only read or whose writes do not interfere."""
    yield from serve(copy_db(seeded_db, tmp_path_factory.mktemp("shared") / "epj.sqlite3"))


@pytest.fixture
def server(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    """A fresh server with its own copy of the seeded database."""
    yield from serve(copy_db(seeded_db, tmp_path / "epj.sqlite3"))


@pytest.fixture
def clients(server: Server) -> Iterator[dict[str, httpx.Client]]:
    """The demo users logged in to a fresh server, by username."""
    made = {name: login(server.url, name) for name in ("lege1", "spl1", "hfa1", "lege2", "revisor")}
    yield made
    for client in made.values():
        client.close()


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
