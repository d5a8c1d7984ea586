"""Fixtures for app-side tests: a fake EPJ client, a session and the root state."""

from __future__ import annotations

import pytest

from mobile_app.services.session import Session
from mobile_app.services.token_store import MemoryTokenStore
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from tests.app.fakes import FakeClient


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client() -> FakeClient:
    return FakeClient()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def session(client: FakeClient, clock: Clock) -> Session:
    return Session(client, MemoryTokenStore(), idle_seconds=300, clock=clock)  # type: ignore[arg-type]


@pytest.fixture
def app(session: Session, client: FakeClient) -> AppState:
    return AppState(AppContext(client=client, session=session))  # type: ignore[arg-type]
