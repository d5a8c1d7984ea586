"""Driving ``visitt --web`` (with its embedded mock EPJ) in Debian's Chromium, for the browser
tests and the UI benchmarks.

Flutter draws on a canvas; its accessibility tree (enabled by clicking flt-semantics-placeholder)
exposes every control with its label, which is how Playwright finds them. Every app started here
logs usage into a directory of its own (``STARTED_APPS``), and every text typed is kept in
``TYPED``, so the privacy test can look for both in what was logged.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = "/usr/bin/chromium"
ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}  # the smallest phone we design for
VIEWPORTS = {"390x844": PHONE, "360x740": SMALL_PHONE}  # name -> size, for screenshots of both
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


def new_phone_page(browser: Browser, viewport: ViewportSize = PHONE) -> Page:
    """A page of its own browser context (its own storage), phone-sized by default."""
    page = browser.new_context(viewport=viewport, device_scale_factor=1).new_page()
    page.route("**/*rive*", lambda route: route.abort())  # a CDN file the app never needs
    return page


def show_app(page: Page, url: str, timeout: float = 30_000) -> Page:
    """Load the app in ``page`` and switch Flutter's accessibility tree on (controls are found by
    their labels)."""
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=timeout)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    return page


def open_app(browser: Browser, url: str, viewport: ViewportSize = PHONE, timeout: float = 30_000) -> Page:
    return show_app(new_phone_page(browser, viewport), url, timeout)


def shot(page: Page, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(900)  # let page transitions and the first frame finish
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


SESSION_PIN = "2580"  # the PIN the browser tests' users pick for unlocking the app


def login_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Logg inn", exact=True)


def open_login_page(page: Page, timeout: float = 30_000) -> Page:
    """Press "Logg inn" and return the EPJ's login page, which opens in a new tab."""
    login_button(page).wait_for(timeout=timeout)
    with page.context.expect_page(timeout=30_000) as opened:
        login_button(page).click()
    epj_page = opened.value
    epj_page.wait_for_load_state()
    return epj_page


def log_in_on_epj_page(epj_page: Page, username: str, pin: str) -> None:
    """Fill in the EPJ's own login page (plain HTML) and send it. The answer goes to the app's
    loopback listener, whose page closes itself."""
    epj_page.get_by_label("Brukernavn").fill(username)
    epj_page.get_by_label("PIN-kode").fill(pin)
    epj_page.get_by_role("button", name="Logg inn").click()


def choose_session_pin(page: Page, session_pin: str = SESSION_PIN) -> None:
    page.get_by_role("textbox", name="Ny PIN-kode").wait_for(timeout=30_000)
    type_into(page, "Ny PIN-kode", session_pin)
    type_into(page, "Gjenta PIN-koden", session_pin)
    page.keyboard.press("Enter")


def login(page: Page, username: str = "lege1", pin: str = "1234", session_pin: str = SESSION_PIN) -> None:
    """The whole login as a user does it: "Logg inn", the EPJ's page in a new tab (username and the
    EPJ's PIN), back in the app a session PIN typed twice."""
    epj_page = open_login_page(page)
    # The app's loopback page closes its tab; listen before sending, or a quick close is missed.
    with contextlib.suppress(PlaywrightTimeout), epj_page.expect_event("close", timeout=10_000):
        log_in_on_epj_page(epj_page, username, pin)
    if not epj_page.is_closed():
        epj_page.close()
    page.bring_to_front()
    choose_session_pin(page, session_pin)


def logged_in(page: Page, username: str = "lege1") -> None:
    """Log in and wait for My patients. The first login after an app starts may take long on a busy
    machine (the key derivation and the first FHIR reads); if it does not arrive, the failure says
    what the screen showed instead (a refused PIN reads differently from a slow answer)."""
    login(page, username)
    try:
        page.get_by_text("I min behandling").wait_for(timeout=30_000)
    except PlaywrightTimeout:
        raise AssertionError(f"My patients did not show after logging in; the screen said: {screen_text(page)!r}"
                             ) from None


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


def ward_patients(seeded_db: Path, ward: str, *, flagged: bool | None = None) -> list[dict[str, Any]]:
    """The inpatients of a ward (``display_name`` added), by id; ``flagged``: only those with (True)
    or without (False) critical information."""
    db = sqlite3.connect(seeded_db)
    try:
        marked = {r[0] for r in db.execute("SELECT patient FROM resources WHERE type='Flag' AND deleted=0")}
        ids = [r[0] for r in db.execute(
            "SELECT r.patient FROM resources r JOIN idx_ref l ON l.rid=r.rid AND l.param='location'"
            " JOIN idx_token s ON s.rid=r.rid AND s.param='status' AND s.code='in-progress'"
            " WHERE r.type='Encounter' AND l.ref=? ORDER BY r.patient", (f"Location/{ward}",))]
        found = []
        for pid in ids:
            if flagged is not None and (pid in marked) is not flagged:
                continue
            body = db.execute("SELECT body FROM resources WHERE type='Patient' AND id=?", (pid,)).fetchone()[0]
            resource: dict[str, Any] = json.loads(body)
            resource["display_name"] = patient_name(resource)
            found.append(resource)
        return found
    finally:
        db.close()


def seed_facts(seeded_db: Path) -> SeedFacts:
    """The scenarios' patients, read from the seeded database."""
    med = ward_patients(seeded_db, "ward-med", flagged=True) or ward_patients(seeded_db, "ward-med")
    kir = ward_patients(seeded_db, "ward-kir")
    db = sqlite3.connect(seeded_db)
    try:
        beds = db.execute("SELECT COUNT(*) FROM resources WHERE type='Location' AND id LIKE 'ward-med-r%-b%'"
                          ).fetchone()[0]
    finally:
        db.close()
    return SeedFacts(med[0], kir[0], int(beds))


def open_ward_patient(page: Page, facts: SeedFacts) -> None:
    """From the logged-in start: the ward list (Sengepost), then the scenarios' patient on lege1's ward."""
    page.get_by_role("tab", name="Sengepost").click()
    expect(page.get_by_text(re.compile(rf"^\d+ av {facts.med_beds} senger belagt"))).to_be_visible(timeout=10_000)
    row = page.get_by_role("button", name=re.compile(facts.med_patient["display_name"]))
    scroll_until_visible(page, row)  # below the ward list's settings, built only once scrolled to
    row.first.click(timeout=10_000)
    expect(page.get_by_role("tab", name="Oversikt")).to_be_visible(timeout=10_000)


def focus(page: Page, name: str, tries: int = 6) -> None:
    """Focus a text field by its label (the first tap sometimes only wakes the semantics tree). The
    field that got the focus must be this one: a tap while a new screen slides in can land on the
    field above it, and what is typed next would go there."""
    field = page.get_by_role("textbox", name=name)
    for _ in range(tries):
        field.click()
        page.wait_for_timeout(250)
        focused = page.evaluate(
            "(() => { const e = document.activeElement;"
            " return e && ['INPUT', 'TEXTAREA'].includes(e.tagName) ? (e.getAttribute('aria-label') || '') : null })()")
        # Flutter may merge the texts around a field into its label ("Hint\nLabel"): one line is its name.
        if focused is not None and (not focused or name in focused.splitlines()):
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


def screen_text(page: Page) -> str:
    """Everything the screen reader is given, in order: text nodes and the accessible names of the
    groups Flutter merges a list's texts into."""
    return str(page.evaluate(
        "[...document.querySelectorAll('flt-semantics')].map(e => e.getAttribute('aria-label')"
        " || [...e.children].filter(c => c.tagName === 'SPAN').map(c => c.innerText).join(' '))"
        ".filter(Boolean).join(' | ').replace(/\\s+/g, ' ')"))


def showing(page: Page, text: str | re.Pattern[str]) -> Locator:
    """Text on screen, as a text node or inside a group's accessible name (Flutter merges them)."""
    pattern = text if isinstance(text, re.Pattern) else re.compile(re.escape(text))
    return page.get_by_text(text).or_(page.get_by_label(pattern)).first


def on_screen(page: Page, target: Locator) -> bool:
    """Whether ``target`` is inside the viewport (Flutter keeps nodes just off screen in the tree too)."""
    if not target.count():
        return False
    box = target.first.bounding_box()
    height = page.viewport_size["height"] if page.viewport_size else 0
    return box is not None and box["height"] > 0 and box["y"] >= 0 and box["y"] + box["height"] <= height


def scroll_until_visible(page: Page, target: Locator, steps: int = 20, at: tuple[int, int] = (180, 600)) -> None:
    """Scroll the content under ``at`` down until ``target`` is on screen (Flutter draws only what is near it)."""
    page.mouse.move(*at)
    for _ in range(steps):
        if on_screen(page, target):
            return
        page.mouse.wheel(0, 250)
        page.wait_for_timeout(150)  # one frame of the scroll, then look again
    assert on_screen(page, target), f"{target} did not come on screen"


def bring_on_screen(page: Page, target: Locator, steps: int = 20, at: tuple[int, int] = (180, 600)) -> None:
    """Scroll the content under ``at`` up or down until ``target`` is on screen, and let the scroll
    come to rest (a tap while it still moves lands beside its target)."""
    page.mouse.move(*at)
    for _ in range(steps):
        if on_screen(page, target):
            break
        box = target.first.bounding_box() if target.count() else None
        page.mouse.wheel(0, -250 if box is not None and box["y"] < 0 else 250)
        page.wait_for_timeout(150)
    assert on_screen(page, target), f"{target} did not come on screen"
    page.wait_for_timeout(300)


def tap_until(page: Page, target: Locator, shown: Locator, tries: int = 3, wait_ms: int = 5_000) -> None:
    """Tap ``target`` until ``shown`` is visible, as a user taps again when a tap was lost (one made
    while the page still settles after a screen change, on a busy machine)."""
    for _ in range(tries):
        if shown.first.is_visible():
            return
        target.first.click()
        with contextlib.suppress(PlaywrightTimeout):
            shown.first.wait_for(state="visible", timeout=wait_ms)
    expect(shown.first).to_be_visible(timeout=wait_ms)


def choose(page: Page, name: str, chosen: str, tries: int = 3) -> None:
    """Tap the choice button ``name`` until the screen says ``chosen``, as a user looks and taps
    again when a tap was lost or landed on the choice beside it."""
    target = page.get_by_role("button", name=name)
    for _ in range(tries):
        if chosen in screen_text(page):
            return
        bring_on_screen(page, target)
        target.first.click()
        for _ in range(20):
            if chosen in screen_text(page):
                return
            page.wait_for_timeout(100)
    assert chosen in screen_text(page), f"{name!r} tapped {tries} times, and still not {chosen!r}: {screen_text(page)}"


def open_from_ward(page: Page, facts: SeedFacts, name: str) -> None:
    """Open a patient of lege1's ward by tapping the bed in the ward list (from the bottom bar on a
    phone, the navigation rail on a tablet)."""
    rail = page.get_by_role("button", name=re.compile(r"^Sengepost (Fane|Tab) "))  # "Sengepost Fane 2 av 4"
    page.get_by_role("tab", name="Sengepost").or_(rail).first.click()
    # The ward list itself, settled, before tapping a bed (the patient may be on "Mine pasienter" too).
    page.get_by_text(re.compile(rf"^\d+ av {facts.med_beds} senger belagt")).wait_for(timeout=10_000)
    row = page.get_by_role("button", name=re.compile(re.escape(name)))
    scroll_until_visible(page, row)  # on a small phone the bed may be below the fold
    row.first.click(timeout=10_000)


def on_overview(page: Page) -> None:
    """Wait until the patient screen shows its overview tab."""
    tab = page.get_by_role("tab", name="Oversikt")
    tab.wait_for(timeout=10_000)
    deadline = time.monotonic() + 10
    while tab.get_attribute("aria-selected") != "true" and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert tab.get_attribute("aria-selected") == "true", "the overview tab is not selected"


def focused_label(page: Page) -> str:
    """The accessible name of the text field that has the keyboard focus ("" when none has)."""
    return str(page.evaluate(
        "(() => { const e = document.activeElement;"
        " return e && ['INPUT', 'TEXTAREA'].includes(e.tagName) ? (e.getAttribute('aria-label') || '') : '' })()"))


def type_then_enter(page: Page, text: str, next_field: str | None) -> None:
    """Type into the focused field and press Enter; with ``next_field``, wait until the focus has
    moved there (the app moves it, one round trip to Python away: keys typed before would land in
    the field left)."""
    TYPED.append(text)
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    if next_field is None:
        return
    for _ in range(200):  # 10 s: on a busy two-core machine the round trip has taken over 2.5 s
        if next_field in focused_label(page).splitlines():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"Enter did not move the focus to {next_field!r} (it is on {focused_label(page)!r})")


def menu_item(page: Page, item: str) -> None:
    """Choose an item of the account menu (its label says "Meny", and how much waits to be sent);
    the first tap sometimes only wakes the semantics tree."""
    entry = page.get_by_role("menuitem", name=re.compile(item)).first
    for _ in range(3):
        page.locator('flt-semantics[aria-label^="Meny"]').first.click()
        try:
            entry.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    entry.click(timeout=10_000)
