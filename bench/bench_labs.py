"""Lab benchmarks: a lab tab of 2,000+ results from the call to a ready LabPanel, and downsampling.

Usage: ``uv run python bench/bench_labs.py [--runs 30]``. Seeds a 300-patient hospital in a temporary
directory, gives one ward-med patient 2,000 more potassium results over six years, serves it with
the mock EPJ on a free port (without, then with 80 ms injected latency per request) and times
``EpjClient.lab_results`` from the call to the mapped panel. Then times downsampling 5,000 points
to ~300, and the mapping alone. Prints p50/p95; asserts nothing. (Chart drawing in the browser is
measured with the UI.)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.domain.models import LabFlag
from mobile_app.domain.trend import TrendPoint, downsample, trend_points
from mobile_app.epj import fhir, labs
from mobile_app.epj.client import EpjClient
from mock_epj.app import MockEPJ, ServerConfig, seed_database
from mock_epj.faults import FaultSettings
from mock_epj.store import Store
from tests.support.epj_logins import token_login
from tests.support.lab_history import add_long_history

EXTRA = 2000


def percentiles(values: list[float]) -> str:
    ordered = sorted(v * 1000 for v in values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   (n={len(ordered)})"


def show(label: str, times: list[float]) -> None:
    print(f"  {label:<66}{percentiles(times)}")


def ward_med_patient(store: Store) -> str:
    row = store.conn().execute(
        "SELECT r.patient FROM idx_ref l JOIN resources r ON r.rid = l.rid WHERE l.type = 'Encounter'"
        " AND l.param = 'location' AND l.ref = 'Location/ward-med' AND r.body LIKE '%in-progress%'"
        " ORDER BY r.patient LIMIT 1").fetchone()
    return str(row[0])


async def timed(runs: int, call: Callable[[], Awaitable[object]]) -> list[float]:
    await call()  # warm up: connection, caches
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return times


async def lab_tab(db: Path, patient: str, latency_ms: float, runs: int) -> None:
    epj = MockEPJ.open(ServerConfig(port=0, db=db, faults=FaultSettings(latency_ms=latency_ms)))
    running = epj.start()
    client = EpjClient(running.fhir_url, timeout=30)
    try:
        await token_login(client, "lege1")
        panel = await client.lab_results(patient)
        results = sum(len(h) for h in panel.history.values())
        before = client.round_trips
        await client.lab_results(patient)
        trips = client.round_trips - before
        times = await timed(runs, lambda: client.lab_results(patient))
        show(f"lab_results, {results} results, {trips} round trips, {latency_ms:.0f} ms latency", times)
        micro = await timed(runs, lambda: client.microbiology(patient))
        show(f"microbiology (1 round trip), {latency_ms:.0f} ms latency", micro)
        unsigned = await timed(runs, lambda: client.unsigned_new_results("ward-med"))
        show(f"unsigned_new_results(ward-med), 1 round trip, {latency_ms:.0f} ms latency", unsigned)
    finally:
        await client.aclose()
        running.stop()


async def mapping_only(db: Path, patient: str, runs: int) -> None:
    """The share of the panel's time that is mapping FHIR JSON to the LabPanel (no HTTP)."""
    store = Store(db)
    rows = store.conn().execute("SELECT type, body FROM resources WHERE patient = ? AND type IN"
                                " ('Observation', 'DiagnosticReport')", (patient,)).fetchall()
    store.close()
    import json

    resources = [json.loads(body) for _, body in rows]
    observations = [r for r in resources if r["resourceType"] == "Observation"
                    and fhir.has_code_in(fhir.objects(r, "category"),
                                         "http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")]
    reports = [r for r in resources if r["resourceType"] == "DiagnosticReport"]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        labs.lab_panel(patient, observations, reports, datetime.now(UTC))
        times.append(time.perf_counter() - started)
    show(f"mapping {len(observations)} Observations to a LabPanel (no HTTP)", times)


def downsampling(runs: int) -> None:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    import random

    rng = random.Random(1)
    points = [TrendPoint(start + timedelta(hours=6 * i + rng.random()), rng.gauss(4.1, 0.4), LabFlag.NORMAL, str(i))
              for i in range(5000)]
    times, kept = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        kept = len(downsample(points, 300))
        times.append(time.perf_counter() - started)
    show(f"downsample 5,000 points to {kept} (target 300)", times)


async def trend_of_panel(db: Path, patient: str, runs: int) -> None:
    epj = MockEPJ.open(ServerConfig(port=0, db=db))
    running = epj.start()
    client = EpjClient(running.fhir_url, timeout=30)
    try:
        await token_login(client, "lege1")
        panel = await client.lab_results(patient)
        history = max(panel.history.values(), key=len)
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            downsample(trend_points(history), 300)
            times.append(time.perf_counter() - started)
        show(f"trend of {len(history)} results: points, then downsample to 300", times)
    finally:
        await client.aclose()
        running.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "labs.sqlite3"
        started = time.perf_counter()
        store = Store(db)
        seed_database(store, 42, 300)
        patient = ward_med_patient(store)
        store.close()
        add_long_history(db, patient, EXTRA)
        print(f"Seeded 300 patients and {EXTRA} extra results for Patient/{patient} "
              f"in {time.perf_counter() - started:.1f} s\n")
        print("Lab tab (from the call to the LabPanel ready, keep-alive client, lege1):")
        asyncio.run(lab_tab(db, patient, 0, runs))
        asyncio.run(lab_tab(db, patient, 80, max(5, runs // 3)))
        print("\nParts:")
        asyncio.run(mapping_only(db, patient, runs))
        asyncio.run(trend_of_panel(db, patient, runs))
        downsampling(max(runs, 100))


if __name__ == "__main__":
    main()
