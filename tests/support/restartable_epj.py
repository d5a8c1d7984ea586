"""A mock EPJ of one test's own that can be stopped and started again on the same port (a server
that dies mid-write, comes back, or comes back as a new process), with counts of what it holds."""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mobile_app.epj.client import EpjClient
from mock_epj.app import MockEPJ, ServerConfig
from mock_epj.server import RunningServer
from tests.support.database import copy_db
from tests.support.epj_logins import PIN, LoginResult, token_login
from tests.support.mock_server import Server, start_server


@dataclass
class RestartableEpj:
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
        return client, await token_login(client, username, PIN)

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


@contextlib.asynccontextmanager
async def restartable_epj(seeded_db: Path, directory: Path) -> AsyncIterator[RestartableEpj]:
    """A mock EPJ of the caller's own on a copy of ``seeded_db`` in ``directory``, on a free
    loopback port that a restart binds again; its clients are closed and it is stopped after."""
    db = copy_db(seeded_db, directory / "epj.sqlite3")
    server = start_server(db)
    port = int(server.running.httpd.server_address[1])
    server.epj.config.port = port  # a restart binds the same port again
    here = RestartableEpj(db, server, port)
    try:
        yield here
    finally:
        for client in here.clients:
            await client.aclose()
        here.stop()
        here.server.epj.labs.stop()
