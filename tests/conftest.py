"""Fixtures shared by all tests: a seeded database built once, and servers on free loopback ports."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mock_epj.app import seed_database
from mock_epj.store import Store

SEED = 42
PATIENTS = 300


@pytest.fixture(scope="session")
def seeded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database seeded once per test run; tests get copies of it."""
    path = tmp_path_factory.mktemp("seed") / "seeded.sqlite3"
    store = Store(path)
    seed_database(store, SEED, PATIENTS)
    store.conn().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return path


def copy_db(source: Path, target: Path) -> Path:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running until the session ends,
    which the async tests must not meet. The usage privacy test runs after every other browser test."""
    def order(item: pytest.Item) -> tuple[bool, bool]:
        path = str(item.path).replace("\\", "/")
        return "tests/e2e/" in path, path.endswith("test_usage_privacy.py")  # it reads what the others logged

    items.sort(key=order)
