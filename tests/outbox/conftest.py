"""Fixtures for the outbox: a mock EPJ of the test's own on a free loopback port (stoppable and
restartable on the same port) and a clock to set (the keyring in memory is tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.clocks import UtcClock
from tests.support.database import copy_db
from tests.support.mock_server import start_server
from tests.support.restartable_epj import RestartableEpj


@pytest_asyncio.fixture
async def epj(seeded_db: Path, tmp_path: Path) -> AsyncIterator[RestartableEpj]:
    db = copy_db(seeded_db, tmp_path / "epj.sqlite3")
    server = start_server(db)
    port = int(server.running.httpd.server_address[1])
    server.epj.config.port = port  # a restart binds the same port again
    here = RestartableEpj(db, server, port)
    yield here
    for client in here.clients:
        await client.aclose()
    here.stop()
    here.server.epj.labs.stop()


@pytest.fixture
def clock() -> UtcClock:
    return UtcClock()
