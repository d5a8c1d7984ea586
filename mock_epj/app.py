"""Composition root: opens (and on first start seeds) the database and wires the server together."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import platformdirs

from mock_epj.access import AccessControl
from mock_epj.auth import AuthConfig, Authenticator, save_logins
from mock_epj.collector import UsageCollector
from mock_epj.faults import Faults, FaultSettings
from mock_epj.interactions import FhirService
from mock_epj.labsim import LabSimulator
from mock_epj.oauth import OAuthSettings
from mock_epj.routes import Api
from mock_epj.seed import generate
from mock_epj.server import (
    DEFAULT_HANDLERS,
    DEFAULT_MAX_CONNECTIONS,
    EPJHTTPServer,
    RunningServer,
    start_in_thread,
)
from mock_epj.shared_store import SharedStore
from mock_epj.store import Store

DEMO_LOGINS = (
    ("lege1", "doctor", "Medisinsk sengepost"),
    ("spl1", "nurse", "Medisinsk sengepost"),
    ("hfa1", "health_worker", "Medisinsk sengepost"),
    ("lege2", "doctor", "Kirurgisk sengepost"),
    ("revisor", "auditor", "may read AuditEvent"),
)
DEMO_PIN = "1234"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir("visitt", appauthor=False)) / "mock-epj.sqlite3"


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8080
    db: Path = field(default_factory=default_db_path)
    seed: int = 42
    patients: int = 300
    token_ttl: float = 8 * 3600  # a login's lifetime (the plain login's token; SMART refreshes end then)
    access_token_ttl: float = 900  # a SMART access token's lifetime (refreshed before it ends)
    lockout_seconds: float = 300
    simulate_labs: float | None = None
    faults: FaultSettings = field(default_factory=FaultSettings)
    verbose: bool = False
    workers: int = 1  # processes serving (mock-epj serve --workers; see workers.py)
    handlers: int = DEFAULT_HANDLERS  # requests carried out at once in each process (database connections)
    max_connections: int = DEFAULT_MAX_CONNECTIONS  # open connections per process; more get a 503
    strict: bool = False  # no mock-only behaviour (mock-epj serve --strict; see docs/mock-epj.md)


@dataclass(frozen=True)
class SeedReport:
    seeded: bool
    resources: int
    seconds: float


def seed_database(store: Store, seed: int, patients: int, now: datetime | None = None) -> SeedReport:
    """Fill an empty database with the synthetic hospital; a seeded one is left as it is."""
    if store.get_setting("seeded"):
        return SeedReport(False, store.count(), 0.0)
    started = time.perf_counter()
    data = generate(seed, patients, now or datetime.now(UTC))
    loaded = store.bulk_load(data.resources)
    save_logins(store, [(login.username, login.pin, login.practitioner_id, login.role, login.name)
                        for login in data.logins])
    store.set_setting("seeded", f"seed={seed} patients={patients}")
    store.analyze()
    return SeedReport(True, loaded, time.perf_counter() - started)


@dataclass
class MockEPJ:
    """Everything one server needs, built from a ServerConfig."""

    config: ServerConfig
    store: Store
    auth: Authenticator
    access: AccessControl
    service: FhirService
    faults: Faults
    labs: LabSimulator
    seed_report: SeedReport
    collector: UsageCollector

    @classmethod
    def open(cls, config: ServerConfig, worker: bool = False) -> MockEPJ:
        """Open (and on first start seed) the database. A server starting logs everyone out and
        sets the configured faults; a ``worker`` process joining a started server (workers.py)
        shares what is in the database as it is."""
        store = SharedStore(config.db)
        report = SeedReport(False, 0, 0.0) if worker else seed_database(store, config.seed, config.patients)
        access = AccessControl(store)
        auth = Authenticator(store, AuthConfig(token_ttl=config.token_ttl,
                                               lockout_seconds=config.lockout_seconds), fresh=not worker)
        faults = Faults(config.faults, path=str(config.db), initial=not worker)
        return cls(config, store, auth, access, FhirService(store, access),
                   faults, LabSimulator(store, notify=not config.strict), report, UsageCollector(store))

    def http_server(self, sock: socket.socket | None = None) -> EPJHTTPServer:
        """The HTTP server; ``sock`` is a listening socket to share (a worker process's)."""
        def api_factory(base_url: str) -> Api:
            return Api(self.service, self.auth, self.access, self.faults, base_url,
                       simulate_lab=self.labs.arrive, collector=self.collector,
                       oauth=OAuthSettings(access_token_ttl=self.config.access_token_ttl), strict=self.config.strict)

        return EPJHTTPServer((self.config.host, self.config.port), api_factory, self.config.verbose,
                             sock=sock, lease=self.store.leases(self.config.handlers),
                             max_connections=self.config.max_connections)

    def close(self) -> None:
        """Close this thread's database connections (a process about to fork closes its own)."""
        self.faults.close()
        self.store.close()

    def start(self) -> RunningServer:
        """Serve on a background thread (port 0 picks a free port)."""
        running = start_in_thread(self.http_server())
        if self.config.simulate_labs:
            self.labs.start(self.config.simulate_labs)
        return running
