"""Clocks a test sets by hand, one per kind of time the code under test reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class MonotonicClock:
    """Seconds as ``time.monotonic`` gives them (the session's idle lock)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class UtcClock:
    """An aware UTC datetime (the outbox's timing)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class EpochClock:
    """Seconds since the epoch as ``time.time`` gives them (the usage log)."""

    def __init__(self, iso: str = "2026-03-02T08:00:00+00:00") -> None:
        self.now = datetime.fromisoformat(iso).timestamp()

    def __call__(self) -> float:
        return self.now

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso).timestamp()

    def advance(self, seconds: float) -> None:
        self.now += seconds
