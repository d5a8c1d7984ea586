"""Dictation upload: encoding a 1-minute recording as the app does (16 kHz mono PCM to Ogg/Opus), and
``Outbox.submit`` to ``sent`` for it ("Send til skriving": one transaction of a DocumentReference with
the audio and a transcription Task, after a look-up of the ward's secretary service), encrypted outbox
on disk, against the mock EPJ without and with 80 +- 20 ms injected latency. Prints figures; asserts
nothing.

    uv run python bench/bench_dictation.py [--uploads 10] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import keyring

from mobile_app.domain.dictation import SAMPLE_RATE
from mobile_app.domain.media import DictationDraft
from mobile_app.epj.client import EpjClient
from mobile_app.services.audio_encode import EncodedAudio, encode_recording
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_items import ItemState
from mobile_app.services.outbox_store import EncryptedOutboxStore
from mock_epj.app import MockEPJ, ServerConfig, seed_database
from mock_epj.faults import FaultSettings
from mock_epj.store import Store
from tests.support.epj_logins import token_login
from tests.support.memory_keyring import MemoryKeyring


def figures(ms: list[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"


def speech_pcm(seconds: float, work: Path) -> tuple[bytes, str]:
    """Speech for the recording: espeak-ng English, repeated to length, else a voiced synthetic signal."""
    if shutil.which("espeak-ng") and shutil.which("sox"):
        raw, wav = work / "raw.wav", work / "speech.raw"
        subprocess.run(["espeak-ng", "-v", "en", "-w", str(raw), "The patient is better today. Temperature is "
                        "normal and she walks with a frame. Continue the antibiotics for two more days."], check=True)
        subprocess.run(["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed", str(wav)],
                       check=True)
        one = wav.read_bytes()
        need = int(seconds * SAMPLE_RATE) * 2
        return (one * (need // len(one) + 1))[:need], "espeak-ng English, repeated"
    rng = random.Random(1)
    samples = (int(4000 * math.sin(2 * math.pi * 140 * i / SAMPLE_RATE) * (0.5 + 0.5 * math.sin(i / 900))
                   + rng.gauss(0, 600)) for i in range(int(seconds * SAMPLE_RATE)))
    return b"".join(struct.pack("<h", max(-32768, min(32767, s))) for s in samples), "synthetic voiced signal"


async def upload(fhir_url: str, directory: Path, audio: EncodedAudio, count: int) -> tuple[list[float], float]:
    client = EpjClient(fhir_url)
    me = await token_login(client, "lege1")
    ward = (await client.my_wards(me.practitioner_id))[0]
    patients = [bed.patient.id for bed in await client.ward_list(ward.id) if bed.patient]
    outbox = Outbox.for_client(client, EncryptedOutboxStore(directory))
    outbox.open(me.practitioner_id)
    times, trips = [], client.round_trips
    for n in range(count):
        draft = DictationDraft(patient_id=patients[n % len(patients)], ward_id=ward.id, author_id=me.practitioner_id,
                               author_name=me.name, audio=audio.data, content_type=audio.content_type,
                               duration=audio.duration)
        started = time.perf_counter()
        item = await outbox.submit(draft)
        times.append((time.perf_counter() - started) * 1000)
        if item.state is not ItemState.SENT:
            raise RuntimeError(f"dictation {n} was not sent: {item.last_error}")
    per_upload = (client.round_trips - trips) / count
    await client.aclose()
    return times, per_upload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    keyring.set_keyring(MemoryKeyring())
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        pcm, source = speech_pcm(args.seconds, work)
        encodes = []
        for _ in range(5):
            started = time.perf_counter()
            audio = encode_recording(pcm, SAMPLE_RATE)
            encodes.append((time.perf_counter() - started) * 1000)
        print(f"A {args.seconds:.0f} s dictation ({source}): PCM {len(pcm) / 1024:.0f} KiB -> {audio.content_type} "
              f"{len(audio.data) / 1024:.0f} KiB ({len(audio.data) * 8 / args.seconds / 1000:.1f} kbit/s)")
        print(f"  encode (5 runs)        {figures(encodes)}")
        seeded = work / "seed.sqlite3"
        store = Store(seeded)
        seed_database(store, 42, 300)
        store.close()
        print(f"\nOutbox.submit -> sent, {args.uploads} dictations, encrypted outbox on disk")
        for label, faults in (("no injected latency", FaultSettings()),
                              ("80 +- 20 ms latency", FaultSettings(latency_ms=80, jitter_ms=20))):
            db = work / f"epj-{faults.latency_ms}.sqlite3"
            shutil.copy(seeded, db)
            epj = MockEPJ.open(ServerConfig(port=0, db=db, faults=faults))
            running = epj.start()
            try:
                times, trips = asyncio.run(upload(running.fhir_url, work / f"box-{faults.latency_ms}", audio,
                                                  args.uploads))
            finally:
                running.stop()
                epj.labs.stop()
            print(f"  {label:<22} {figures(times)}   {trips:.1f} round trip(s) per dictation")


if __name__ == "__main__":
    main()
