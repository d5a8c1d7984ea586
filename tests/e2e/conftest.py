"""End-to-end fixtures: ``visitt --web`` with its embedded mock EPJ, driven by Debian's Chromium
(the helpers are in tests/support/browser.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    VIEWPORTS,
    RunningApp,
    SeedFacts,
    open_app,
    seed_facts,
    start_app,
)
from tests.support.database import copy_db


@pytest.fixture(scope="session")
def app_server(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    db = copy_db(seeded_db, tmp_path_factory.mktemp("e2e") / "epj.sqlite3")
    running = start_app(db)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Debian's Chromium is required at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, app_server: RunningApp) -> Iterator[Page]:
    page = open_app(browser, app_server.url)
    yield page
    page.context.close()


@pytest.fixture(scope="session")
def facts(seeded_db: Path) -> SeedFacts:
    return seed_facts(seeded_db)


@pytest.fixture(scope="module")
def own_server(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """An app and mock EPJ of the module's own: its writes and injected faults touch no other module."""
    db = copy_db(seeded_db, tmp_path_factory.mktemp("e2e-own") / "epj.sqlite3")
    running = start_app(db)
    yield running
    running.stop()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """Each phone size the app is checked at (390 x 844 and 360 x 740); the name goes in screenshots."""
    return str(request.param)


@pytest.fixture
def phone(browser: Browser, own_server: RunningApp, viewport: str) -> Iterator[Page]:
    """A page on ``own_server`` at the ``viewport`` phone size."""
    page = open_app(browser, own_server.url, VIEWPORTS[viewport])
    yield page
    page.context.close()
