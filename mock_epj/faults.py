"""Fault injection for testers: latency, jitter, 503 errors and dropped connections.

Settings come from the command line and can be changed at run time with ``POST /_admin/faults``.
Besides random rates, ``error_next`` and ``drop_next`` fail exactly the next N matching requests,
which keeps tests deterministic. ``drop_after_processing`` drops the connection only after the
request has been carried out, so the client loses a response to a write that did happen.

With a database path the settings live in the database (table ``faults``), so that a change made
through one worker process applies to all of them, and ``error_next``/``drop_next`` count down
atomically across processes. Each request reads one row over a connection of its own
(queries.FaultRow, not the store's per-thread ones); the settings text is parsed again only
when it changed.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from mock_epj.queries import FaultRow


@dataclass
class FaultSettings:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    drop_after_processing: bool = False
    error_next: int = 0
    drop_next: int = 0
    methods: list[str] = field(default_factory=list)  # empty: every method
    path_prefix: str = ""  # empty: every path


@dataclass(frozen=True)
class Decision:
    delay_s: float = 0.0
    error: bool = False
    drop_before: bool = False
    drop_after: bool = False


_RATES = ("error_rate", "drop_rate")
_NON_NEGATIVE = ("latency_ms", "jitter_ms")
_COUNTS = ("error_next", "drop_next")


def _validated(current: FaultSettings, changes: Any) -> FaultSettings:
    if not isinstance(changes, dict):
        raise ValueError("The body must be a JSON object of fault settings")
    known = {f.name for f in fields(FaultSettings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"Unknown fault settings: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    merged = {**asdict(current), **changes}
    for name in _RATES:
        value = merged[name]
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
            raise ValueError(f"{name} must be a number from 0 to 1")
    for name in _NON_NEGATIVE:
        value = merged[name]
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a number of milliseconds, 0 or more")
    for name in _COUNTS:
        value = merged[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a whole number, 0 or more")
    if not isinstance(merged["drop_after_processing"], bool):
        raise ValueError("drop_after_processing must be true or false")
    methods = merged["methods"]
    if not isinstance(methods, list) or not all(isinstance(m, str) for m in methods):
        raise ValueError("methods must be a list such as [\"POST\", \"PUT\"]")
    if not isinstance(merged["path_prefix"], str):
        raise ValueError("path_prefix must be a string such as \"/fhir/DocumentReference\"")
    merged["methods"] = [m.upper() for m in methods]
    return FaultSettings(**merged)


class Faults:
    """Thread-safe current fault settings and the per-request decision.

    ``path``: the database file whose ``faults`` table holds the settings for every process using
    it; None keeps them in this object only. ``initial``: write ``settings`` into the database
    (the server's start); a worker process leaves what is there.
    """

    def __init__(self, settings: FaultSettings | None = None, seed: int | None = None,
                 path: str | None = None, initial: bool = True) -> None:
        self._settings = settings or FaultSettings()
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._row = None if path is None or path == ":memory:" else FaultRow(path)
        self._text = ""
        if self._row is not None:
            with self._lock:
                self._row.create(self._text_of(FaultSettings()))
                if initial:
                    self._store(self._settings)

    # ------------------------------------------------------------ the shared row

    def close(self) -> None:
        """Close the database connection (before a fork; it is opened again when needed)."""
        with self._lock:
            if self._row is not None:
                self._row.close()

    @staticmethod
    def _text_of(settings: FaultSettings) -> str:
        values = asdict(settings)
        del values["error_next"], values["drop_next"]
        return json.dumps(values, sort_keys=True)

    def _store(self, settings: FaultSettings) -> None:
        assert self._row is not None
        text = self._text_of(settings)
        self._row.write(text, settings.error_next, settings.drop_next)
        self._settings, self._text = settings, text

    def _load(self) -> FaultSettings:
        """The current settings (with the lock held)."""
        if self._row is None:
            return self._settings
        row = self._row.read()
        if row is None:
            return FaultSettings()
        text, error_next, drop_next = row
        if text != self._text:
            self._settings = FaultSettings(**json.loads(text))
            self._text = text
        self._settings.error_next, self._settings.drop_next = error_next, drop_next
        return self._settings

    def _take(self, name: str) -> bool:
        """Use one of ``error_next``/``drop_next`` (with the lock held); False when none is left."""
        if self._row is None:
            left = getattr(self._settings, name)
            if left <= 0:
                return False
            setattr(self._settings, name, left - 1)
            return True
        return self._row.take(name)

    # ------------------------------------------------------------ the interface

    @property
    def settings(self) -> FaultSettings:
        with self._lock:
            return FaultSettings(**asdict(self._load()))

    def update(self, changes: Any) -> FaultSettings:
        """Apply a partial change (raises ValueError with a readable message on bad input)."""
        with self._lock:
            if self._row is None:
                self._settings = _validated(self._settings, changes)
                return FaultSettings(**asdict(self._settings))
            with self._row.transaction():  # read, merge and write as one step across processes
                merged = _validated(self._load(), changes)
                self._store(merged)
            return FaultSettings(**asdict(merged))

    def reset(self) -> None:
        with self._lock:
            if self._row is None:
                self._settings = FaultSettings()
            else:
                self._store(FaultSettings())

    def decide(self, method: str, path: str) -> Decision:
        with self._lock:
            s = self._load()
            if s.methods and method.upper() not in s.methods:
                return Decision()
            if s.path_prefix and not path.startswith(s.path_prefix):
                return Decision()
            delay = s.latency_ms
            if s.jitter_ms:
                delay += self._rng.uniform(-s.jitter_ms, s.jitter_ms)
            delay_s = max(0.0, delay) / 1000
            drop = (s.drop_next > 0 and self._take("drop_next")) \
                or bool(s.drop_rate and self._rng.random() < s.drop_rate)
            if drop:
                after = s.drop_after_processing
                return Decision(delay_s, drop_before=not after, drop_after=after)
            error = (s.error_next > 0 and self._take("error_next")) \
                or bool(s.error_rate and self._rng.random() < s.error_rate)
            return Decision(delay_s, error=error)
