"""Benchmark: from "sign and send" to the note confirmed by the EPJ.

Usage: ``uv run python bench/bench_notes.py [--notes 50] [--patients 300]``. Starts the mock EPJ on a
free port, logs in as lege1 and submits signed journal notes one after another through the outbox
(``Outbox.submit`` of a final NoteDraft, to the item being ``sent``), with the outbox stored
encrypted on disk as in the app (fsync on every state change; the key in an in-process keyring).
Runs without and with 80 +- 20 ms latency injected in the mock, and prints p50/p95. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import keyring

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.domain.writing import NoteDraft, NoteStatus
from mobile_app.epj.client import EpjClient
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState
from mobile_app.services.outbox_store import EncryptedOutboxStore
from mock_epj.app import MockEPJ, ServerConfig
from mock_epj.faults import FaultSettings
from tests.support.epj_logins import token_login
from tests.support.memory_keyring import MemoryKeyring


def percentiles(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    p95 = statistics.quantiles(ms, n=100)[94] if len(ms) > 1 else ms[0]
    return f"p50 {statistics.median(ms):6.1f} ms   p95 {p95:6.1f} ms   max {max(ms):6.1f} ms   (n={len(ms)})"


async def sign_and_send(fhir_url: str, directory: Path, notes: int) -> tuple[list[float], int]:
    client = EpjClient(fhir_url)
    me = await token_login(client, "lege1")
    ward = (await client.my_wards(me.practitioner_id))[0]
    patients = [bed.patient.id for bed in await client.ward_list(ward.id) if bed.patient]
    outbox = Outbox.for_client(client, EncryptedOutboxStore(directory))
    outbox.open(me.practitioner_id)
    times: list[float] = []
    trips = client.round_trips
    for n in range(notes):
        draft = NoteDraft(patient_id=patients[n % len(patients)], author_id=me.practitioner_id,
                          author_name=me.name, status=NoteStatus.FINAL,
                          text=f"Visittnotat {n}: klinisk stabil, fortsetter behandling. " * 8)
        started = time.perf_counter()
        item = await outbox.submit(draft)
        elapsed = time.perf_counter() - started
        if item.state is not ItemState.SENT:
            raise RuntimeError(f"note {n} was not sent: {item.last_error}")
        times.append(elapsed)
    trips = client.round_trips - trips
    await client.aclose()
    return times, trips


def run(label: str, faults: FaultSettings, patients: int, notes: int, work: Path) -> None:
    epj = MockEPJ.open(ServerConfig(port=0, db=work / "epj.sqlite3", patients=patients, faults=faults))
    running = epj.start()
    try:
        times, trips = asyncio.run(sign_and_send(running.fhir_url, work / f"outbox-{label}", notes))
    finally:
        running.stop()
        epj.labs.stop()
    print(f"  {label:<26} {percentiles(times)}   {trips / notes:.1f} round trips per note")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=50)
    parser.add_argument("--patients", type=int, default=300)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    print(f"Sign and send -> confirmed, {args.notes} signed notes through the encrypted outbox")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        run("no injected latency", FaultSettings(), args.patients, args.notes, work)
        run("80 +- 20 ms latency", FaultSettings(latency_ms=80, jitter_ms=20), args.patients, args.notes, work)


if __name__ == "__main__":
    main()
