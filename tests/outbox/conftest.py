"""Fixtures for the outbox: a mock EPJ of the test's own on a free loopback port (stoppable and
restartable on the same port) and a clock to set (the keyring in memory is tests/conftest.py's)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.clocks import UtcClock
from tests.support.restartable_epj import RestartableEpj, restartable_epj


@pytest_asyncio.fixture
async def epj(seeded_db: Path, tmp_path: Path) -> AsyncIterator[RestartableEpj]:
    async with restartable_epj(seeded_db, tmp_path) as here:
        yield here


@pytest.fixture
def clock() -> UtcClock:
    return UtcClock()
