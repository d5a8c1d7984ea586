"""Lab UI benchmarks in a real browser: Lab tab to values shown with 2,000 results, and a trend of
5,000 points from tap to chart.

Usage: ``uv run python bench/bench_lab_ui.py [--runs 5]``. Seeds a database, gives one ward-med
patient 2,000 extra potassium results and another 5,000 (as tests/labs does), runs
``visitt --web`` on a copy, drives Debian's Chromium with Playwright and prints medians and maxima.
Also times ``EpjClient.lab_results`` alone and counts its round trips. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.epj.client import EpjClient
from mock_epj.app import MockEPJ, ServerConfig, seed_database
from mock_epj.store import Store
from tests.support.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    focus,
    login,
    login_button,
    open_app,
    start_app,
    tap_labelled,
)
from tests.support.epj_logins import token_login
from tests.support.lab_history import add_long_history

SEARCH = "Navn, fødselsnummer eller fødselsdato"
FRAME = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def ms(values: list[float]) -> str:
    values = sorted(v * 1000 for v in values)
    return f"median {statistics.median(values):.0f} ms, max {values[-1]:.0f} ms (n={len(values)})"


def ward_patients(db: Path) -> list[dict[str, Any]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT p.body FROM resources e JOIN idx_ref l ON l.rid=e.rid AND l.param='location'"
            " JOIN idx_token s ON s.rid=e.rid AND s.param='status' AND s.code='in-progress'"
            " JOIN resources p ON p.type='Patient' AND p.id=e.patient"
            " WHERE e.type='Encounter' AND l.ref='Location/ward-med' ORDER BY e.patient").fetchall()
    finally:
        conn.close()
    return [json.loads(row[0]) for row in rows]


def fnr(patient: dict[str, Any]) -> str:
    return str(next(i["value"] for i in patient["identifier"] if i["system"].endswith(("4.1", "4.2"))))


def name(patient: dict[str, Any]) -> str:
    parts = patient["name"][0]
    return " ".join([*parts.get("given", []), parts.get("family", "")]).strip()


def logged_in_page(browser: Browser, url: str) -> Page:
    page = open_app(browser, url, timeout=60_000)
    login_button(page).wait_for(timeout=60_000)
    login(page, "lege1")
    page.get_by_text("I min behandling").wait_for(timeout=30_000)
    return page


def open_patient(page: Page, patient: dict[str, Any]) -> None:
    page.get_by_role("tab", name="Søk").click()
    focus(page, SEARCH)
    page.keyboard.press("Control+A")  # replaces an earlier search
    page.keyboard.type(fnr(patient))
    page.get_by_role("button", name=re.compile(name(patient))).click(timeout=30_000)
    page.get_by_text("Nåværende opphold").wait_for(timeout=30_000)


def lab_tab_figures(page: Page, runs: int) -> list[float]:
    """Tap Lab -> the first value row is on screen; the tab reloads its results on every opening."""
    times = []
    for _ in range(runs):
        page.get_by_role("tab", name="Oversikt").click()
        page.get_by_text("Nåværende opphold").wait_for(timeout=30_000)
        page.wait_for_timeout(500)  # the tab bar's scroll animation: a tap during it can miss
        started = time.perf_counter()
        page.get_by_role("tab", name="Lab").click()
        page.get_by_role("button", name=re.compile(r"P-Kalium .*mmol.L")).wait_for(timeout=60_000)
        page.evaluate(FRAME)
        times.append(time.perf_counter() - started)
    return times


def chart_figures(page: Page, runs: int) -> list[float]:
    """Tap the potassium row -> the trend screen's chart (5,000 points, downsampled) is drawn."""
    page.get_by_role("tab", name="Lab").click()
    row = page.get_by_role("button", name=re.compile(r"P-Kalium .*mmol.L"))
    row.wait_for(timeout=60_000)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        row.click()
        page.get_by_text(re.compile(r"Grafen viser \d+ av \d+ punkter")).wait_for(timeout=60_000)
        page.evaluate(FRAME)
        times.append(time.perf_counter() - started)
        tap_labelled(page, "Tilbake")
        row.wait_for(timeout=60_000)
    return times


def client_figures(db: Path, patient_id: str, runs: int) -> tuple[list[float], int, int]:
    epj = MockEPJ.open(ServerConfig(port=0, db=db))
    running = epj.start()

    async def run() -> tuple[list[float], int, int]:
        client = EpjClient(running.fhir_url)
        try:
            await token_login(client, "lege1")
            seconds, trips, results = [], 0, 0
            for _ in range(runs):
                before = client.round_trips
                started = time.perf_counter()
                panel = await client.lab_results(patient_id)
                seconds.append(time.perf_counter() - started)
                trips = client.round_trips - before
                results = sum(len(h) for h in panel.history.values())
            return seconds, trips, results
        finally:
            await client.aclose()

    try:
        with ThreadPoolExecutor(1) as pool:  # Playwright's sync API owns this thread's loop
            return pool.submit(asyncio.run, run()).result()
    finally:
        running.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        store = Store(db)
        seed_database(store, 42, 300)
        store.close()
        two_thousand, five_thousand = ward_patients(db)[:2]
        add_long_history(db, two_thousand["id"], 2000)
        add_long_history(db, five_thousand["id"], 5000)
        seconds, trips, results = client_figures(db, two_thousand["id"], args.runs)
        print(f"lab_results alone ({results} results): {ms(seconds)}, {trips} round trip(s)")
        app = start_app(db)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
                page = logged_in_page(browser, app.url)
                open_patient(page, two_thousand)
                print(f"tap Lab tab to values shown (2,000+ results): {ms(lab_tab_figures(page, args.runs))}")
                tap_labelled(page, "Tilbake")
                open_patient(page, five_thousand)
                print(f"tap a row to trend chart drawn (5,000+ points): {ms(chart_figures(page, args.runs))}")
                browser.close()
        finally:
            app.stop()


if __name__ == "__main__":
    main()
