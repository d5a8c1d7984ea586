"""Fixtures for the usage log: loggers in a temporary folder, a clock to set, a collector to send to."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mobile_app.services.usage import UsageConfig, UsageLog
from tests.conftest import copy_db
from tests.mock_epj.conftest import Server, start_server

KEY = b"evaluation-key-0123456789abcdef"


class FakeClock:
    """Seconds since the epoch, set by the test."""

    def __init__(self, iso: str = "2026-03-02T08:00:00+00:00") -> None:
        self.now = datetime.fromisoformat(iso).timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso).timestamp()

    def advance(self, seconds: float) -> None:
        self.now += seconds


MakeLog = Callable[..., UsageLog]


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
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def collector(seeded_db: Path, tmp_path: Path) -> Iterator[Server]:
    """A mock EPJ (with its usage collector) on a free port, with its own copy of the seeded database."""
    server = start_server(copy_db(seeded_db, tmp_path / "epj.sqlite3"))
    yield server
    server.running.stop()
    server.epj.labs.stop()


@pytest.fixture
def collector_url(collector: Server) -> str:
    return collector.url


def day_records(directory: Path) -> list[dict[str, Any]]:
    """Every record in the day files of ``directory``, in file order."""
    return [json.loads(line) for path in sorted(directory.glob("usage-*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def collected(server: Server) -> list[dict[str, Any]]:
    """The collector's export, one dict per stored record."""
    response = httpx.get(f"{server.url}/v1/logs/export", timeout=10)
    response.raise_for_status()
    return [json.loads(line) for line in response.text.splitlines()]


def set_faults(server: Server, **faults: Any) -> None:
    httpx.post(f"{server.url}/_admin/faults", json=faults, timeout=5).raise_for_status()
