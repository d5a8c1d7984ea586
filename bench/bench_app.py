"""App benchmarks in a real browser: cold start, login to ward list, search, tap to banner, and the
taps it takes from app start (the login screen) to a patient's lab tab by search, by scan and from
the ward list, with the time from the last tap (or the scan) to the patient's banner.

Usage: ``uv run python bench/bench_app.py [--runs 5]``. Runs ``visitt --web`` twice, without and with
80 +- 20 ms latency injected in the embedded mock, drives Debian's Chromium with Playwright, and
prints medians and maxima. Also counts the EPJ round trips of one patient overview. Asserts nothing.

The taps are counted by doing what a user would: a path takes the shortest way the app offers (a
scanner burst on the home screen; only when nothing happens, the Search tab first; the search field
is tapped only when it has no cursor), so the same script measures an older version of the app too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.epj.client import EpjClient
from mock_epj.app import MockEPJ, ServerConfig, seed_database
from mock_epj.faults import FaultSettings
from mock_epj.store import Store
from tests.support.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    PHONE,
    SESSION_PIN,
    fnr,
    focus,
    login_button,
    new_phone_page,
    open_login_page,
    show_app,
    showing,
    start_app,
    ward_patients,
)
from tests.support.epj_logins import token_login

SEARCH = "Navn, fødselsnummer eller fødselsdato"
# The banner's fødselsnummer followed by the patient's facts ("010180 12345 · 45 år"): a list row
# shows the number too, but never followed by " · " (so the row is not taken for the banner).
BANNER = re.compile(r"\d{6} \d{5} · ")


def ms(values: list[float]) -> str:
    values = sorted(v * 1000 for v in values)
    return f"median {statistics.median(values):.0f} ms, max {values[-1]:.0f} ms (n={len(values)})"


def timed(action: Callable[[], None], done: Callable[[], None]) -> float:
    action()
    started = time.perf_counter()
    done()
    return time.perf_counter() - started


def cold_start(browser: Browser, url: str) -> float:
    page = new_phone_page(browser)
    started = time.perf_counter()
    show_app(page, url, timeout=60_000)
    login_button(page).wait_for(timeout=60_000)
    elapsed = time.perf_counter() - started
    page.context.close()
    return elapsed


def session_figures(browser: Browser, url: str, families: list[str]) -> dict[str, float]:
    page = new_phone_page(browser)
    show_app(page, url, timeout=60_000)
    login_button(page).wait_for(timeout=60_000)
    figures: dict[str, float] = {}
    started = time.perf_counter()
    epj_page = open_login_page(page, timeout=60_000)
    epj_page.get_by_label("Brukernavn").wait_for(timeout=30_000)
    figures["login: Logg inn tapped to the EPJ's page shown"] = time.perf_counter() - started
    epj_page.get_by_label("Brukernavn").fill("lege1")
    epj_page.get_by_label("PIN-kode").fill("1234")
    started = time.perf_counter()
    # the app's loopback page closes its tab: listen before sending, or a quick close is missed
    with contextlib.suppress(PlaywrightTimeout), epj_page.expect_event("close", timeout=10_000):
        epj_page.get_by_role("button", name="Logg inn").click()
    closed = time.perf_counter()
    if not epj_page.is_closed():
        epj_page.close()
    page.bring_to_front()  # a background tab's timers and frames are throttled by the browser
    page.get_by_role("textbox", name="Ny PIN-kode").wait_for(timeout=30_000)
    figures["login: EPJ page sent to its tab closed (PIN check, redirect to the app)"] = closed - started
    figures["login: back in the app to the session-PIN step shown (code exchange, id_token)"] = \
        time.perf_counter() - closed
    focus(page, "Ny PIN-kode")
    page.keyboard.type(SESSION_PIN)
    focus(page, "Gjenta PIN-koden")
    page.keyboard.type(SESSION_PIN)
    started = time.perf_counter()
    page.keyboard.press("Enter")
    page.get_by_text("I min behandling").wait_for(timeout=30_000)
    figures["login: session PIN sent to My patients shown"] = time.perf_counter() - started
    figures["tap to ward list shown"] = timed(
        lambda: page.get_by_role("tab", name="Sengepost").click(),
        lambda: page.get_by_text(re.compile(r"senger belagt")).wait_for(timeout=30_000))
    page.get_by_role("tab", name="Søk").click()
    focus(page, SEARCH)
    family = families[0]
    figures["last keystroke to search results"] = timed(
        lambda: page.keyboard.type(family),
        lambda: page.get_by_role("button", name=re.compile(family)).first.wait_for(timeout=30_000))
    row = page.get_by_role("button", name=re.compile(family)).first
    figures["tap to patient banner"] = timed(
        row.click, lambda: page.get_by_text(BANNER).first.wait_for(timeout=30_000))
    page.context.close()
    return figures


def focused(page: Page, name: str) -> bool:
    """Whether the text field named ``name`` has the keyboard focus."""
    label = page.evaluate("(() => { const e = document.activeElement;"
                          " return e && e.tagName === 'INPUT' ? (e.getAttribute('aria-label') || '') : '' })()")
    return name in str(label)


def logged_in_page(browser: Browser, url: str) -> tuple[Page, int]:
    """The app started and lege1 logged in, on the home screen: (page, taps it took). A field is
    tapped only when it has no cursor; the PIN is sent with the keyboard's Enter (not a tap)."""
    page = new_phone_page(browser)
    show_app(page, url, timeout=60_000)
    login_button(page).wait_for(timeout=60_000)
    page.wait_for_timeout(300)
    taps = 1  # "Logg inn"
    epj_page = open_login_page(page, timeout=60_000)
    epj_page.get_by_label("Brukernavn").wait_for(timeout=30_000)
    for field, text in (("username", "lege1"), ("pin", "1234")):
        if epj_page.evaluate("document.activeElement && document.activeElement.id") != field:
            taps += 1
            epj_page.locator(f"#{field}").click()
        epj_page.keyboard.type(text)
    epj_page.keyboard.press("Enter")  # sends the EPJ's form
    page.get_by_role("textbox", name="Ny PIN-kode").wait_for(timeout=30_000)
    if not epj_page.is_closed():
        epj_page.close()
    page.wait_for_timeout(300)
    for field in ("Ny PIN-kode", "Gjenta PIN-koden"):
        if not focused(page, field):
            taps += 1
            focus(page, field)
        page.keyboard.type(SESSION_PIN)
    page.keyboard.press("Enter")
    page.get_by_text("I min behandling").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    return page, taps


class Taps:
    """Counts the user's taps from app start (typing, Enter and a scanner's burst are not taps)."""

    def __init__(self, started: tuple[Page, int]) -> None:
        self.page, self.count = started
        self.login = self.count  # the taps of logging in (a field without a cursor is tapped)

    def tab(self, name: str) -> None:
        self.count += 1
        self.page.get_by_role("tab", name=name).first.click(timeout=30_000)

    def button(self, name: re.Pattern[str]) -> None:
        self.count += 1
        self.page.get_by_role("button", name=name).first.click(timeout=30_000)


def open_lab(taps: Taps) -> None:
    taps.tab("Lab")
    showing(taps.page, "Følg prøvesvar").wait_for(timeout=30_000)


def lab_by_search(browser: Browser, url: str, name: str) -> tuple[int, float, int]:
    """Home -> Search -> the patient's name -> the result -> Lab: (taps, seconds from tap to banner)."""
    taps = Taps(logged_in_page(browser, url))
    page = taps.page
    taps.tab("Søk")
    page.wait_for_timeout(400)
    if not focused(page, SEARCH):
        taps.count += 1
        focus(page, SEARCH)
    page.keyboard.type(name)
    row = page.get_by_role("button", name=re.compile(re.escape(name))).first
    row.wait_for(timeout=30_000)
    seconds = timed(lambda: taps.button(re.compile(re.escape(name))),
                    lambda: page.get_by_text(BANNER).first.wait_for(timeout=30_000))
    open_lab(taps)
    page.context.close()
    return taps.count, seconds, taps.login


def burst(page: Page, payload: str) -> None:
    page.keyboard.type(payload, delay=5)
    page.keyboard.press("Enter")


def lab_by_scan(browser: Browser, url: str, payload: str) -> tuple[int, float, int]:
    """Home -> a scanner burst (from the Search tab when the home screen ignores it) -> Lab."""
    taps = Taps(logged_in_page(browser, url))
    page = taps.page
    scanned = page.get_by_text(re.compile("Skannet armbånd")).first
    started = time.perf_counter()
    burst(page, payload)
    try:
        scanned.wait_for(timeout=4_000)
    except Exception:  # the home screen did not take the scan: go by the Search tab
        taps.tab("Søk")
        page.wait_for_timeout(400)
        started = time.perf_counter()
        burst(page, payload)
        scanned.wait_for(timeout=30_000)
    page.get_by_text(BANNER).first.wait_for(timeout=30_000)
    seconds = time.perf_counter() - started
    open_lab(taps)
    page.context.close()
    return taps.count, seconds, taps.login


def lab_from_ward(browser: Browser, url: str, name: str) -> tuple[int, float, int]:
    """Home -> Ward -> the patient's bed -> Lab."""
    taps = Taps(logged_in_page(browser, url))
    page = taps.page
    taps.tab("Sengepost")
    page.get_by_text(re.compile(r"senger belagt")).first.wait_for(timeout=30_000)
    row = page.get_by_role("button", name=re.compile(re.escape(name)))
    page.mouse.move(180, 500)
    for _ in range(15):  # scrolling is not a tap
        box = row.first.bounding_box() if row.count() else None
        if box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"] - 90:
            break
        page.mouse.wheel(0, 200)
        page.wait_for_timeout(150)
    seconds = timed(lambda: taps.button(re.compile(re.escape(name))),
                    lambda: page.get_by_text(BANNER).first.wait_for(timeout=30_000))
    open_lab(taps)
    page.context.close()
    return taps.count, seconds, taps.login


def lab_paths(browser: Browser, url: str, patients: list[dict[str, Any]], runs: int) -> None:
    """Print the taps from app start to a patient's lab tab, and the time to the banner."""
    paths: list[tuple[str, Callable[[dict[str, Any]], tuple[int, float, int]]]] = [
        ("by search", lambda p: lab_by_search(browser, url, str(p["display_name"]))),
        ("by scan", lambda p: lab_by_scan(browser, url, fnr(p))),
        ("from the ward list", lambda p: lab_from_ward(browser, url, str(p["display_name"])))]
    for label, path in paths:
        found = [path(patients[i % len(patients)]) for i in range(runs)]
        taps = sorted({count for count, _, _ in found})
        after_login = sorted({count - login for count, _, login in found})
        print(f"taps from app start to the lab tab {label}: {', '.join(map(str, taps))}"
              f" ({', '.join(map(str, after_login))} after logging in);"
              f" to the banner: {ms([seconds for _, seconds, _ in found])}")


def overview_round_trips(db: Path, latency: float) -> tuple[int, float]:
    epj = MockEPJ.open(ServerConfig(port=0, db=db, faults=FaultSettings(latency_ms=latency)))
    running = epj.start()

    async def run() -> tuple[int, float]:
        client = EpjClient(running.fhir_url)
        try:
            await token_login(client, "lege1")
            beds = [b for b in await client.ward_list("ward-med") if b.patient]
            assert beds[0].patient is not None
            before = client.round_trips
            started = time.perf_counter()
            await client.patient_overview(beds[0].patient.id)
            return client.round_trips - before, time.perf_counter() - started
        finally:
            await client.aclose()

    try:
        # Playwright's sync API owns this thread's event loop: run the client on another thread.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result()
    finally:
        running.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        seeded = Path(tmp) / "seed.sqlite3"
        store = Store(seeded)
        seed_database(store, 42, 300)
        families = [row[0] for row in store.conn().execute(
            "SELECT json_extract(body, '$.name[0].family') FROM resources WHERE type='Patient' LIMIT 40")]
        store.close()
        # Patients on lege1's ward (the lab tab needs a care relation); the first rooms, on screen at once.
        ward = ward_patients(seeded, "ward-med")[: args.runs]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for label, extra in (("no injected latency", []),
                                 ("80 +- 20 ms injected latency", ["--latency-ms", "80", "--jitter-ms", "20"])):
                db = Path(tmp) / f"run-{len(extra)}.sqlite3"
                shutil.copy(seeded, db)
                app = start_app(db, *extra)
                try:
                    cold_start(browser, app.url)  # warm the server's static files once
                    starts = [cold_start(browser, app.url) for _ in range(args.runs)]
                    runs = [session_figures(browser, app.url, families[i::args.runs] or families)
                            for i in range(args.runs)]
                    print(f"\n== {label}")
                    print(f"cold start to usable login screen: {ms(starts)}")
                    for key in runs[0]:
                        print(f"{key}: {ms([r[key] for r in runs])}")
                    lab_paths(browser, app.url, ward, args.runs)
                finally:
                    app.stop()
                trips, seconds = overview_round_trips(db, 80.0 if extra else 0.0)
                print(f"patient overview: {trips} round trip(s), {seconds * 1000:.0f} ms in the client")
            browser.close()


if __name__ == "__main__":
    main()
