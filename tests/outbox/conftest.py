"""Fixtures for the outbox: a mock EPJ on a free loopback port that can be stopped and restarted
on the same port, logged-in clients, a keyring in memory, and counts of what the EPJ holds."""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
import pytest_asyncio

from mobile_app.epj.client import EpjClient, LoginResult
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import Backoff, Delivered, OutboxItem
from mobile_app.services.outbox_store import EncryptedOutboxStore
from mock_epj.app import MockEPJ, ServerConfig
from mock_epj.server import RunningServer
from tests.conftest import copy_db
from tests.memory_keyring import MemoryKeyring
from tests.mock_epj.conftest import Server, start_server

PIN = "1234"
FAST = Backoff(first=0.05, cap=0.2)  # the same rules, in milliseconds




@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@dataclass
class Epj:
    """A mock EPJ of this test's own. ``stop()`` and ``restart()`` keep the port (and, unless
    ``fresh``, the logins); ``faults(...)`` sets fault injection."""

    db: Path
    server: Server
    port: int
    serving: bool = True
    clients: list[EpjClient] = field(default_factory=list)
    live: set[socket.socket] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._track(self.server.running)

    def _track(self, running: RunningServer) -> None:
        """Remember open connections, so that stopping can cut them as a dying server would
        (http.server keeps serving keep-alive connections after shutdown)."""
        httpd, live = running.httpd, self.live
        serve = httpd.finish_request

        def finish_request(request: Any, client_address: Any) -> None:
            live.add(request)
            try:
                serve(request, client_address)
            finally:
                live.discard(request)

        httpd.finish_request = finish_request  # type: ignore[method-assign]

    @property
    def fhir(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir"

    def stop(self) -> None:
        if self.serving:
            self.server.running.stop()
            for connection in list(self.live):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.serving = False

    def restart(self, fresh: bool = False) -> None:
        """Serve again on the same port; ``fresh`` is a new server process (everyone logged out)."""
        self.stop()
        epj = self.server.epj
        if fresh:
            epj.labs.stop()
            epj = MockEPJ.open(ServerConfig(port=self.port, db=self.db))
        self.server = Server(epj, epj.start())
        self._track(self.server.running)
        self.serving = True

    def faults(self, **settings: Any) -> None:
        httpx.post(f"{self.server.url}/_admin/faults", json=settings).raise_for_status()

    async def login(self, username: str) -> tuple[EpjClient, LoginResult]:
        client = EpjClient(self.fhir, timeout=5)
        self.clients.append(client)
        return client, await client.login(username, PIN)

    def rows(self, resource_type: str) -> list[dict[str, Any]]:
        with sqlite3.connect(self.db) as conn:
            found = conn.execute("SELECT body FROM resources WHERE type = ? AND deleted = 0",
                                 (resource_type,)).fetchall()
        return [json.loads(body) for (body,) in found]

    def copies(self, resource_type: str, system: str, value: str) -> list[dict[str, Any]]:
        """The resources in the EPJ carrying this identifier (what "exactly one copy" counts)."""
        return [r for r in self.rows(resource_type)
                if any(i.get("system") == system and i.get("value") == value for i in r.get("identifier", []))]

    def inpatient(self, ward: str = "ward-med") -> str:
        stays = [e for e in self.rows("Encounter") if e["status"] == "in-progress"
                 and any(loc["location"]["reference"] == f"Location/{ward}" for loc in e.get("location", []))]
        return str(sorted(stays, key=lambda e: e["id"])[0]["subject"]["reference"].split("/")[1])


@pytest_asyncio.fixture
async def epj(seeded_db: Path, tmp_path: Path) -> AsyncIterator[Epj]:
    db = copy_db(seeded_db, tmp_path / "epj.sqlite3")
    server = start_server(db)
    port = int(server.running.httpd.server_address[1])
    server.epj.config.port = port  # a restart binds the same port again
    here = Epj(db, server, port)
    yield here
    for client in here.clients:
        await client.aclose()
    here.stop()
    here.server.epj.labs.stop()


def outbox_for(client: EpjClient, author: str, store: Any = None) -> Outbox:
    """An outbox opened for ``author``, with the fast backoff."""
    from mobile_app.services.outbox_store import MemoryOutboxStore

    outbox = Outbox.for_client(client, store if store is not None else MemoryOutboxStore(), backoff=FAST)
    outbox.open(author)
    return outbox


def encrypted_store(directory: Path) -> EncryptedOutboxStore:
    return EncryptedOutboxStore(directory)


class Clock:
    """A settable UTC clock for outbox timing."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def delivered(item: OutboxItem) -> Delivered:
    assert item.result is not None, item.last_error
    return item.result
