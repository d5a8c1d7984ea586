"""App benchmarks in a real browser: cold start, login to ward list, search, tap to banner.

Usage: ``uv run python bench/bench_app.py [--runs 5]``. Runs ``visitt --web`` twice, without and with
80 +- 20 ms latency injected in the embedded mock, drives Debian's Chromium with Playwright, and
prints medians and maxima. Also counts the EPJ round trips of one patient overview. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.epj.client import EpjClient
from mock_epj.app import MockEPJ, ServerConfig, seed_database
from mock_epj.faults import FaultSettings
from mock_epj.store import Store
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS, PHONE, focus, start_app

SEARCH = "Navn, fødselsnummer eller fødselsdato"


def ms(values: list[float]) -> str:
    values = sorted(v * 1000 for v in values)
    return f"median {statistics.median(values):.0f} ms, max {values[-1]:.0f} ms (n={len(values)})"


def timed(action: Callable[[], None], done: Callable[[], None]) -> float:
    action()
    started = time.perf_counter()
    done()
    return time.perf_counter() - started


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.route("**/*rive*", lambda route: route.abort())
    return page


def cold_start(browser: Browser, url: str) -> float:
    page = new_page(browser)
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    page.get_by_role("textbox", name="Brukernavn").wait_for(timeout=60_000)
    elapsed = time.perf_counter() - started
    page.context.close()
    return elapsed


def session_figures(browser: Browser, url: str, families: list[str]) -> dict[str, float]:
    page = new_page(browser)
    page.goto(url)
    page.wait_for_selector("flt-semantics-placeholder", state="attached", timeout=60_000)
    page.evaluate("document.querySelector('flt-semantics-placeholder').click()")
    page.get_by_role("textbox", name="Brukernavn").wait_for(timeout=60_000)
    focus(page, "Brukernavn")
    page.keyboard.type("lege1")
    focus(page, "PIN-kode")
    page.keyboard.type("1234")
    figures: dict[str, float] = {}

    def to_ward() -> None:
        page.keyboard.press("Enter")
        page.get_by_role("tab", name="Sengepost").click()

    figures["login to ward list shown"] = timed(
        to_ward, lambda: page.get_by_text(re.compile(r"senger belagt")).wait_for(timeout=30_000))
    page.get_by_role("tab", name="Søk").click()
    focus(page, SEARCH)
    family = families[0]
    figures["last keystroke to search results"] = timed(
        lambda: page.keyboard.type(family),
        lambda: page.get_by_role("button", name=re.compile(family)).first.wait_for(timeout=30_000))
    row = page.get_by_role("button", name=re.compile(family)).first
    figures["tap to patient banner"] = timed(
        row.click, lambda: page.get_by_text(re.compile(r"^\d{6} \d{5} · ")).wait_for(timeout=30_000))
    page.context.close()
    return figures


def overview_round_trips(db: Path, latency: float) -> tuple[int, float]:
    epj = MockEPJ.open(ServerConfig(port=0, db=db, faults=FaultSettings(latency_ms=latency)))
    running = epj.start()

    async def run() -> tuple[int, float]:
        client = EpjClient(running.fhir_url)
        try:
            await client.login("lege1", "1234")
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
                finally:
                    app.stop()
                print(f"\n== {label}")
                print(f"cold start to usable login screen: {ms(starts)}")
                for key in runs[0]:
                    print(f"{key}: {ms([r[key] for r in runs])}")
                trips, seconds = overview_round_trips(db, 80.0 if extra else 0.0)
                print(f"patient overview: {trips} round trip(s), {seconds * 1000:.0f} ms in the client")
            browser.close()


if __name__ == "__main__":
    main()
