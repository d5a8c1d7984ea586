"""End-to-end fixtures: ``visitt --web`` with its embedded mock EPJ, driven by Debian's Chromium.

Flutter draws on a canvas; its accessibility tree (enabled by clicking flt-semantics-placeholder)
exposes every control with its label, which is how Playwright finds them.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from tests.conftest import copy_db

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]

# Usage logging in every app the browser tests start: a test key, quick batches, and a directory per
# app, so the privacy test (run last) can read every line logged and collected during the scenarios.
USAGE_ROOT = Path(tempfile.mkdtemp(prefix="visitt-e2e-usage-"))
atexit.register(shutil.rmtree, USAGE_ROOT, ignore_errors=True)
USAGE_KEY = "e2e-usage-pseudonym-key-0123456789"
STARTED_APPS: list[RunningApp] = []
TYPED: list[str] = []  # every text a scenario typed into the app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningApp:
    url: str
    epj_url: str
    db: Path
    process: subprocess.Popen[str]
    usage_dir: Path

    def collect_usage(self, wait_s: float = 3.0) -> Path:
        """Wait for the app to send its usage batches, then save what its collector stored."""
        time.sleep(wait_s)  # batches leave every second (VISITT_USAGE_BATCH_SECONDS)
        origin = self.epj_url.removesuffix("/fhir")
        response = httpx.get(f"{origin}/v1/logs/export", timeout=10)
        response.raise_for_status()
        self.usage_dir.mkdir(parents=True, exist_ok=True)  # (logging may be off: nothing was written)
        path = self.usage_dir / "collected.jsonl"
        path.write_text(response.text, encoding="utf-8")
        return path

    def stop(self) -> None:
        if self.process.poll() is None and self.epj_url:
            self.collect_usage()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_app(db: Path, *extra: str) -> RunningApp:
    port = free_port()
    usage_dir = USAGE_ROOT / f"app-{len(STARTED_APPS) + 1}"
    env = {**os.environ, "FLET_FORCE_WEB_SERVER": "1", "FLET_WEB_NO_CDN": "1",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", "VISITT_USAGE_DIR": str(usage_dir),
           "VISITT_USAGE_KEY": USAGE_KEY, "VISITT_USAGE_BATCH_SECONDS": "1"}
    for name in ("VISITT_USAGE_CONFIG", "VISITT_USAGE_COLLECTOR", "VISITT_USAGE_KEY_FILE"):
        env.pop(name, None)  # the developer's own evaluation settings do not apply here
    process = subprocess.Popen(
        [sys.executable, "-m", "visitt", "--web", "--port", str(port), "--db", str(db), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    epj_url = ""
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise AssertionError(f"visitt exited with {process.returncode}")
            continue
        if "Embedded mock EPJ" in line:
            epj_url = line.rsplit(" ", 1)[1].strip()
        if "Visitt in the browser" in line:
            break
    url = f"http://127.0.0.1:{port}/"
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                running = RunningApp(url, epj_url, db, process, usage_dir)
                STARTED_APPS.append(running)
                return running
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the web app did not start")


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


def open_app(browser: Browser, url: str) -> Page:
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    page.route("**/*rive*", lambda route: route.abort())  # a CDN file the app never needs
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=30_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    return page


@pytest.fixture
def page(browser: Browser, app_server: RunningApp) -> Iterator[Page]:
    page = open_app(browser, app_server.url)
    yield page
    page.context.close()


def shot(page: Page, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(900)  # let page transitions and the first frame finish
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def login(page: Page, username: str = "lege1", pin: str = "1234") -> None:
    page.get_by_role("textbox", name="Brukernavn").wait_for(timeout=30_000)
    type_into(page, "Brukernavn", username)
    type_into(page, "PIN-kode", pin)
    page.keyboard.press("Enter")


def logged_in(page: Page, username: str = "lege1") -> None:
    login(page, username)
    page.get_by_text("I min behandling").wait_for(timeout=15_000)


@dataclass(frozen=True)
class SeedFacts:
    """Patients picked from the seeded database for the scenarios."""

    med_patient: dict[str, Any]  # an inpatient on lege1's ward with critical information
    kir_patient: dict[str, Any]  # an inpatient on another ward (lege1 has no access)
    med_beds: int


def fnr(patient: dict[str, Any]) -> str:
    """A seeded patient's fødselsnummer or D-number."""
    return str(next(i["value"] for i in patient["identifier"] if i["system"].endswith(("4.1", "4.2"))))


def patient_name(resource: dict[str, Any]) -> str:
    name = resource["name"][0]
    return " ".join([*name.get("given", []), name.get("family", "")]).strip()


@pytest.fixture(scope="session")
def facts(seeded_db: Path) -> SeedFacts:
    import sqlite3

    db = sqlite3.connect(seeded_db)

    def rows(sql: str, *args: Any) -> list[Any]:
        return db.execute(sql, args).fetchall()

    flagged = {r[0] for r in rows("SELECT patient FROM resources WHERE type='Flag' AND deleted=0")}

    def inpatients(ward: str) -> list[str]:
        return [r[0] for r in rows(
            "SELECT r.patient FROM resources r JOIN idx_ref l ON l.rid=r.rid AND l.param='location'"
            " JOIN idx_token s ON s.rid=r.rid AND s.param='status' AND s.code='in-progress'"
            " WHERE r.type='Encounter' AND l.ref=? ORDER BY r.patient", f"Location/{ward}")]

    def patient(pid: str) -> dict[str, Any]:
        body = rows("SELECT body FROM resources WHERE type='Patient' AND id=?", pid)[0][0]
        resource: dict[str, Any] = json.loads(body)
        resource["display_name"] = patient_name(resource)
        return resource

    med = [p for p in inpatients("ward-med") if p in flagged] or inpatients("ward-med")
    kir = inpatients("ward-kir")
    beds = rows("SELECT COUNT(*) FROM resources WHERE type='Location' AND id LIKE 'ward-med-r%-b%'")[0][0]
    found = SeedFacts(patient(med[0]), patient(kir[0]), int(beds))
    db.close()
    return found


def focus(page: Page, name: str, tries: int = 6) -> None:
    """Focus a text field by its label (the first tap sometimes only wakes the semantics tree)."""
    field = page.get_by_role("textbox", name=name)
    for _ in range(tries):
        field.click()
        page.wait_for_timeout(250)
        if page.evaluate("['INPUT','TEXTAREA'].includes(document.activeElement.tagName)"):
            return
    raise AssertionError(f"could not focus the field {name!r}")


def type_into(page: Page, name: str, text: str) -> None:
    TYPED.append(text)
    focus(page, name)
    page.keyboard.type(text)


def tap_labelled(page: Page, label: str) -> None:
    """Tap a control whose accessible label sits on a wrapper (icon buttons, menus)."""
    page.locator(f'flt-semantics[aria-label="{label}"]').first.click()


def visible_text(page: Page) -> str:
    return str(page.evaluate("document.querySelector('flt-semantics-host')?.innerText || ''"))
