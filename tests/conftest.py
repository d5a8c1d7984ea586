"""For all tests: a seeded database built once, a keyring in memory, Hypothesis without deadlines, and
browser tests last."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from hypothesis import settings

from mock_epj.app import seed_database
from mock_epj.store import Store
from tests.support.database import PATIENTS, SEED
from tests.support.memory_keyring import MemoryKeyring

# pytester runs the inner test sessions of tests/test_run_limits.py.
pytest_plugins = ["pytester"]

# No per-example deadline (Hypothesis' default is 200 ms): that is a timed assertion, and on these
# shared machines it fails correct tests (seen: 341 ms for a GSRN round trip that takes 0.08 ms).
settings.register_profile("visitt", deadline=None)
settings.load_profile("visitt")


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database seeded once per test run; tests get copies of it."""
    path = tmp_path_factory.mktemp("seed") / "seeded.sqlite3"
    store = Store(path)
    seed_database(store, SEED, PATIENTS)
    store.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """A keyring in this process (trusted as a secure store) for the test, the previous one after it."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


BROWSER_FIXTURES = frozenset({"playwright_instance", "browser", "page", "app_server", "own_server", "phone"})
# How many times a failed browser test runs again before the run fails (see pytest_collection_modifyitems).
E2E_RERUNS = 1
# Seconds a browser test's call may take before it fails (pytest-timeout). Without it, a page that
# stopped answering held a CI run for 40 minutes until it was killed by hand.
E2E_TIMEOUT_S = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests (marked ``e2e``) last: Playwright's sync API keeps an event loop running until
    the session ends, which the async tests must not meet. ``e2e(last=True)`` runs after every other
    browser test (the usage privacy test reads what the others logged). A test that uses the
    browser without the marker is refused rather than run among the async tests."""
    for item in items:
        uses_browser = BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if uses_browser and item.get_closest_marker("e2e") is None:
            raise pytest.UsageError(f"{item.nodeid} uses {sorted(uses_browser)} but is not marked e2e")
        if item.get_closest_marker("e2e") is None:
            continue
        if item.get_closest_marker("flaky") is None:
            # A browser test that fails is run once more (pytest-rerunfailures), and the summary
            # lists it as RERUN: on a shared two-core machine a round trip to Python through Flutter
            # can stall for seconds. A test that fails twice fails the run.
            item.add_marker(pytest.mark.flaky(reruns=E2E_RERUNS, reruns_delay=2))
        if item.get_closest_marker("timeout") is None:
            # The signal method raises in the test, so it fails (and is rerun) instead of the run
            # stalling; any other test has the looser limit in pyproject.toml. The limit is on the
            # test's call (func_only): pytest-timeout sets a whole-protocol timer once around all of
            # pytest-rerunfailures' attempts, so a rerun would have none. Fixtures wait with limits
            # of their own (start_app, open_app).
            item.add_marker(pytest.mark.timeout(E2E_TIMEOUT_S, method="signal", func_only=True))

    def order(item: pytest.Item) -> tuple[bool, bool]:
        e2e = item.get_closest_marker("e2e")
        return e2e is not None, e2e is not None and bool(e2e.kwargs.get("last"))

    items.sort(key=order)
