"""Fixtures for the EPJ client: mocked HTTP, mock EPJ servers on free ports (each test against a
server runs against the mock and the mock in strict mode), logged-in clients, and the seeded data
itself (read straight from SQLite) to check the client's answers against."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import respx

from mobile_app.epj.client import EpjClient
from tests.support.database import SeedData, copy_db
from tests.support.epj_logins import Login, Session, logins_to
from tests.support.mock_server import Server, serve
from tests.support.mocked_http import BASE, TOKEN


@pytest.fixture(scope="session")
def seed(seeded_db: Path) -> SeedData:
    return SeedData(seeded_db)


# Every client test against a server runs twice: against the mock as it is, and against the mock in
# strict mode (mock-epj serve --strict): no mock-only behaviour, so what passes there asks nothing
# of the EPJ that FHIR R4 does not promise.
MODES = ("normal", "strict")


@pytest.fixture(scope="module", params=MODES)
def epj_server(request: pytest.FixtureRequest, seeded_db: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per module (and mode) for tests that only read (or whose writes touch nobody else)."""
    yield from serve(copy_db(seeded_db, tmp_path_factory.mktemp("epj") / "epj.sqlite3"),
                     strict=request.param == "strict")


@pytest.fixture(params=MODES)
def fresh_server(request: pytest.FixtureRequest, seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    """A server of its own (in each mode), for tests that grant access or keep lists."""
    yield from serve(copy_db(seeded_db, tmp_path / "epj.sqlite3"), strict=request.param == "strict")


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
