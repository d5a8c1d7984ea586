"""What issue 12's security rules cost and whether the PIN lock-out holds under a burst.

Usage: ``uv run python bench/bench_security.py [--patients 300] [--rounds 200] [--attempts 100]``.

Starts a mock EPJ (one process) on a free loopback port over a freshly seeded database and prints:

- how many of ``--attempts`` simultaneous wrong PINs for one user were evaluated (answered 401
  rather than 429; the lock-out allows 5), and what the right PIN got afterwards;
- the latency (p50, p95, mean in ms) of typical reads as a logged-in nurse over one keep-alive
  connection: the patient-overview batch the app sends (12 reads and searches), the ward list
  (current stays with _include), a patient's lab results, and a search of stays by location as
  a user on another ward (subsetted rows).

Run it on two checkouts (before and after a change) to compare; figures are recorded in
docs/benchmarks-history.md. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from mobile_app.epj.client import overview_queries
from mock_epj.app import MockEPJ, ServerConfig


def _login(url: str, username: str) -> httpx.Client:
    token = httpx.post(f"{url}/auth/token", json={"username": username, "pin": "1234"}).json()["access_token"]
    return httpx.Client(base_url=f"{url}/fhir", timeout=30,
                        headers={"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"})


def _burst(url: str, attempts: int) -> tuple[int, int, int]:
    def attempt(_: int) -> int:
        return httpx.post(f"{url}/auth/token", json={"username": "spl2", "pin": "0000"}, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=attempts) as pool:
        statuses = list(pool.map(attempt, range(attempts)))
    right = httpx.post(f"{url}/auth/token", json={"username": "spl2", "pin": "1234"}).status_code
    return statuses.count(401), statuses.count(429), right


def _timed(call: Callable[[], httpx.Response], rounds: int) -> list[float]:
    call()  # warm the caches once
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        response = call()
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
    return times


def _row(name: str, times: list[float]) -> str:
    p50, p95, mean = statistics.median(times), statistics.quantiles(times, n=20)[18], statistics.fmean(times)
    return f"  {name:<28} p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  mean {mean:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        epj = MockEPJ.open(ServerConfig(port=0, db=Path(folder) / "epj.sqlite3", patients=args.patients))
        running = epj.start()
        try:
            evaluated, locked, right = _burst(running.url, args.attempts)
            print(f"{args.attempts} simultaneous wrong PINs for one user: {evaluated} evaluated (401),"
                  f" {locked} refused as locked (429); the right PIN then got {right}")
            nurse, other = _login(running.url, "spl1"), _login(running.url, "lege2")
            stays = nurse.get("Encounter", params={"location": "Location/ward-med", "status": "in-progress",
                                                   "_count": 1}).json()
            patient = stays["entry"][0]["resource"]["subject"]["reference"].split("/")[1]
            batch: dict[str, Any] = {"resourceType": "Bundle", "type": "batch", "entry": [
                {"request": {"method": "GET", "url": url}} for url in overview_queries(patient).values()]}
            reads: list[tuple[str, Callable[[], httpx.Response]]] = [
                ("overview batch (12 reads)", lambda: nurse.post("", json=batch)),
                ("ward list (_include)", lambda: nurse.get("Encounter", params={
                    "location": "Location/ward-med", "status": "in-progress", "_count": 100,
                    "_include": "Encounter:patient"})),
                ("lab results of a patient", lambda: nurse.get("Observation", params={
                    "patient": patient, "category": "laboratory", "_sort": "-date", "_count": 100})),
                ("other ward's stays (subset)", lambda: other.get("Encounter", params={
                    "location": "Location/ward-med", "status": "in-progress", "_count": 100})),
            ]
            print(f"Latency over one keep-alive connection, {args.rounds} rounds, {args.patients} patients:")
            for name, call in reads:
                print(_row(name, _timed(call, args.rounds)))
        finally:
            running.stop()
            epj.labs.stop()


if __name__ == "__main__":
    main()
