"""Fixtures for the usage log: loggers in a temporary folder, a clock to set, a collector to send to."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mobile_app.services.usage import UsageConfig, UsageLog
from tests.support.clocks import EpochClock
from tests.support.database import copy_db
from tests.support.mock_server import Server, serve
from tests.support.usage_logs import MakeLog


@pytest.fixture
def make_log(tmp_path: Path) -> Iterator[MakeLog]:
    """UsageLog factory: strict (refused events raise), fast retries, closed after the test."""
    made: list[UsageLog] = []

    def make(directory: Path | None = None, *, clock: Callable[[], float] = time.time,
             transport: httpx.BaseTransport | None = None, **settings: Any) -> UsageLog:
        defaults: dict[str, Any] = {"strict": True, "app_version": "1.2.3", "platform": "android",
                                    "backoff_base_s": 0.02, "backoff_max_s": 0.1, "request_timeout_s": 5.0,
                                    "write_interval_s": 0.05}
        config = UsageConfig(directory=directory or tmp_path / "usage", **{**defaults, **settings})
        log = UsageLog(config, clock=clock, transport=transport)
        made.append(log)
        return log

    yield make
    for log in made:
        log.close(timeout=0.5)


@pytest.fixture
def clock() -> EpochClock:
    return EpochClock()


@pytest.fixture
def collector(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    """A mock EPJ (with its usage collector) on a free port, with its own copy of the seeded database."""
    yield from serve(copy_db(seeded_db, tmp_path / "epj.sqlite3"))


@pytest.fixture
def collector_url(collector: Server) -> str:
    return collector.url
