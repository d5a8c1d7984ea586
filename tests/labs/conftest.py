"""Fixtures for the lab tests: a mock EPJ whose database also holds a patient with a long lab
history (2,000 extra potassium results over six years), logged-in EPJ clients, and mocked HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.epj import conftest as epj_fixtures
from tests.support.database import SeedData, copy_db
from tests.support.epj_logins import Login, logins_to
from tests.support.lab_history import add_long_history
from tests.support.mock_server import Server, serve

# The EPJ tests' fixtures, for the lab tests too: the seed's facts, mocked HTTP and a client on it.
seed, api, client = epj_fixtures.seed, epj_fixtures.api, epj_fixtures.client


@pytest.fixture(scope="session")
def ward_patients(seed: SeedData) -> list[str]:
    """Ward-med inpatients (lege1 and spl1 have a care relation to them), in a stable order."""
    return sorted(stay["subject"]["reference"].split("/")[1] for stay in seed.stays_on("ward-med"))


@pytest.fixture(scope="session")
def long_patient(ward_patients: list[str]) -> str:
    return ward_patients[0]


@pytest.fixture(scope="module")
def lab_server(seeded_db: Path, long_patient: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per module, with the long history, for tests that only read."""
    db = copy_db(seeded_db, tmp_path_factory.mktemp("labs") / "epj.sqlite3")
    add_long_history(db, long_patient)
    yield from serve(db)


@pytest.fixture
def write_server(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    """A server of this test's own, for signing, following and notifications."""
    yield from serve(copy_db(seeded_db, tmp_path / "epj.sqlite3"))


@pytest_asyncio.fixture
async def reader(lab_server: Server) -> AsyncIterator[Login]:
    async for log_in in logins_to(lab_server):
        yield log_in


@pytest_asyncio.fixture
async def writer(write_server: Server) -> AsyncIterator[Login]:
    async for log_in in logins_to(write_server):
        yield log_in
