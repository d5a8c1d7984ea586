"""Fixtures for app-side tests: a fake EPJ client, a session and the root state (``writer``: logged
in, with an outbox in memory)."""

from __future__ import annotations

import pytest

from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_store import MemoryOutboxStore
from mobile_app.services.session import Session
from mobile_app.services.token_store import MemoryTokenStore
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from tests.support.app_sessions import logged_in
from tests.support.clocks import MonotonicClock
from tests.support.fake_epj import FakeClient


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def clock() -> MonotonicClock:
    return MonotonicClock()


@pytest.fixture
def session(client: FakeClient, clock: MonotonicClock) -> Session:
    return Session(client, MemoryTokenStore(), idle_seconds=300, clock=clock)


@pytest.fixture
def app(session: Session, client: FakeClient) -> AppState:
    return AppState(AppContext(client=client, session=session, sign_in=client.sign_in))


@pytest.fixture
async def writer(client: FakeClient, session: Session) -> AppState:
    """The demo doctor logged in, with an outbox (in memory) so that the app can write."""
    outbox = Outbox.for_client(client, MemoryOutboxStore())
    app = AppState(AppContext(client=client, session=session, outbox=outbox, sign_in=client.sign_in))
    return await logged_in(app)
