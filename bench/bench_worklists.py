"""Benchmark: opening "My tasks" and a day of the appointment book, and registering arrival.

Usage: ``uv run python bench/bench_worklists.py [--rounds 20] [--patients 300]``. Starts the mock EPJ
on a free port (seeded for today), logs in as spl1 and lege1 and, without and with 80 ms latency
injected in the mock, times each read as the screens make it (the EPJ client's calls): my tasks, my
ward's tasks, my book for a day, a colleague's and a clinic's book, finding a book by name; and
"Registrer som møtt" then "Angre" through the outbox (each to the item being sent). Prints round trips
and p50/p95 per action. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.domain import hospital_time
from mobile_app.domain.worklists import ArrivalDraft, BookOwner
from mobile_app.epj.client import EpjClient
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState
from mobile_app.services.outbox_store import MemoryOutboxStore
from mock_epj.app import MockEPJ, ServerConfig
from mock_epj.faults import FaultSettings
from tests.support.epj_logins import token_login


def percentiles(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    p95 = statistics.quantiles(ms, n=100)[94] if len(ms) > 1 else ms[0]
    return f"p50 {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms"


async def timed(client: EpjClient, rounds: int, call: Callable[[], Awaitable[Any]]) -> tuple[list[float], float, Any]:
    times: list[float] = []
    trips = client.round_trips
    result: Any = None
    for _ in range(rounds):
        started = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - started)
    return times, (client.round_trips - trips) / rounds, result


async def measure(fhir_url: str, rounds: int) -> list[tuple[str, list[float], float, int]]:
    nurse, doctor = EpjClient(fhir_url), EpjClient(fhir_url)
    spl1 = await token_login(nurse, "spl1")
    lege1 = await token_login(doctor, "lege1")
    today = hospital_time.local_date(datetime.now(UTC))
    mine = BookOwner(kind="Practitioner", id=lege1.practitioner_id, name=lege1.name)
    day = await _busy_day(doctor, mine, today)
    rows: list[tuple[str, list[float], float, int]] = []
    for label, client, call in (
        ("My tasks (spl1)", nurse, lambda: nurse.my_tasks(spl1.practitioner_id)),
        ("My ward's tasks (spl1)", nurse, lambda: nurse.ward_tasks("ward-med")),
        (f"My book, {day:%d.%m} (lege1)", doctor, lambda: doctor.appointment_book(mine, day)),
        ("A colleague's book (spl1)", nurse, lambda: nurse.appointment_book(mine, day)),
        ("A clinic's book (spl1)", nurse,
         lambda: nurse.appointment_book(BookOwner(kind="Location", id="clinic-med", name=""), day)),
        ("Find a book by name (spl1)", nurse, lambda: nurse.find_books("medisinsk")),
    ):
        times, trips, found = await timed(client, rounds, call)
        rows.append((label, times, trips, len(found)))
    booked = [a for a in await doctor.appointment_book(mine, day) if a.status == "booked"]
    outbox = Outbox.for_client(doctor, MemoryOutboxStore())
    outbox.open(lege1.practitioner_id)
    arrive: list[float] = []
    undo: list[float] = []
    trips = doctor.round_trips
    for appointment in booked[:rounds]:
        for arrived, times in ((True, arrive), (False, undo)):
            draft = ArrivalDraft(appointment_id=appointment.id, version=appointment.version, arrived=arrived,
                                 patient_id=appointment.patient_id, author_id=lege1.practitioner_id)
            started = time.perf_counter()
            item = await outbox.submit(draft)
            times.append(time.perf_counter() - started)
            if item.state is not ItemState.SENT:
                raise RuntimeError(f"arrival not sent: {item.last_error}")
    if arrive:
        per = (doctor.round_trips - trips) / (2 * len(arrive))
        rows.append(("Registrer som møtt (outbox)", arrive, per, len(arrive)))
        rows.append(("Angre (outbox)", undo, per, len(undo)))
    await nurse.aclose()
    await doctor.aclose()
    return rows


async def _busy_day(client: EpjClient, mine: BookOwner, today: date) -> date:
    """The day with most booked appointments within the days the care relation covers (today on)."""
    counts: dict[date, int] = {}
    for offset in range(6):
        day = today + timedelta(days=offset)
        counts[day] = sum(1 for a in await client.appointment_book(mine, day) if a.status == "booked")
    return max(counts, key=lambda d: (counts[d], -d.toordinal()))


def run(label: str, faults: FaultSettings, patients: int, rounds: int, work: Path) -> None:
    epj = MockEPJ.open(ServerConfig(port=0, db=work / f"epj-{len(label)}.sqlite3", patients=patients, faults=faults))
    running = epj.start()
    try:
        rows = asyncio.run(measure(running.fhir_url, rounds))
    finally:
        running.stop()
        epj.labs.stop()
    print(f"\n{label}")
    for name, times, trips, count in rows:
        print(f"  {name:<32} {trips:4.1f} round trips   {percentiles(times)}   ({count} rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--patients", type=int, default=300)
    args = parser.parse_args()
    print(f"My tasks and the appointment book, {args.rounds} rounds each, {args.patients} patients")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        run("no injected latency", FaultSettings(), args.patients, args.rounds, work)
        run("80 ms latency", FaultSettings(latency_ms=80), args.patients, args.rounds, work)


if __name__ == "__main__":
    main()
