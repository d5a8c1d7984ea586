"""Audio made in the tests: tones, silence and noise as WAV or other containers, espeak-ng speech,
and Debian's recorded Norwegian words; plus word and character error rates."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import wave
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

RATE = 16_000
Floats = npt.NDArray[np.float32]
KTUBERLING_ENV = "VISITT_KTUBERLING_DIR"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require(condition: bool, reason: str) -> None:
    """Skip on a developer's machine; in CI, where .ci/run installs everything, fail instead."""
    if not condition:
        if in_ci():
            pytest.fail(f"{reason} (CI must provide it: see .ci/run)")
        pytest.skip(reason)


def tone(seconds: float, freq: float = 440.0, level: float = 0.3, rate: int = RATE) -> Floats:
    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float, rate: int = RATE) -> Floats:
    return np.zeros(int(seconds * rate), np.float32)


def noise(seconds: float, dbfs: float, rate: int = RATE, seed: int = 1) -> Floats:
    rms = 10 ** (dbfs / 20)
    return np.random.default_rng(seed).normal(0.0, rms, int(seconds * rate)).astype(np.float32)


def wav_bytes(samples: Floats, rate: int = RATE, channels: int = 1) -> bytes:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    if channels > 1:
        pcm = np.repeat(pcm, channels)
    out = io.BytesIO()
    with wave.open(out, "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())
    return out.getvalue()


def encode(samples: Floats, container: str, codec: str, rate: int = 48_000) -> bytes:
    """Encode with PyAV (the FFmpeg that faster-whisper bundles), as a phone or browser would."""
    if rate != RATE:
        positions = np.arange(0, len(samples), RATE / rate)
        samples = np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)
    out = io.BytesIO()
    with av.open(out, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=rate, layout="mono")
        assert isinstance(stream, av.AudioStream)
        pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return out.getvalue()


def espeak_wav(text: str, folder: Path, voice: str = "en", name: str = "speech") -> Path:
    """espeak-ng speech as 16 kHz mono WAV (sox resamples espeak's 22 kHz)."""
    require(shutil.which("espeak-ng") is not None and shutil.which("sox") is not None,
            "espeak-ng and sox are not installed (apt-get install espeak-ng sox)")
    raw, out = folder / f"{name}-raw.wav", folder / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True, capture_output=True)
    subprocess.run(["sox", str(raw), "-r", str(RATE), "-c", "1", str(out)], check=True, capture_output=True)
    return out


def ktuberling_nn() -> Path:
    """The folder of ktuberling-data's Nynorsk recordings (GPL; fetched by .ci/run, never committed)."""
    candidates = [Path(os.environ[KTUBERLING_ENV])] if os.environ.get(KTUBERLING_ENV) else []
    candidates.append(Path("/"))
    for root in candidates:
        folder = root / "usr/share/ktuberling/sounds/nn"
        if folder.is_dir():
            return folder
    require(False, f"ktuberling-data is not available: set {KTUBERLING_ENV} to a folder where "
                   "`apt-get download ktuberling-data && dpkg-deb -x ktuberling-data_*.deb DIR` unpacked it")
    raise AssertionError("unreachable")


def _distance(reference: list[str] | str, hypothesis: list[str] | str) -> int:
    """Levenshtein distance (substitutions, insertions, deletions) between two sequences."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def normalise(text: str) -> str:
    kept = "".join(ch if ch.isalnum() or ch.isspace() else " " for ch in text.lower())
    return " ".join(kept.split())


def error_counts(reference: str, hypothesis: str, unit: str) -> tuple[int, int]:
    """(edits, reference length) in words ("word") or characters ("char") after normalising."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    if unit == "word":
        return _distance(ref.split(), hyp.split()), len(ref.split())
    return _distance(ref, hyp), len(ref)


def error_rate(pairs: list[tuple[str, str]], unit: str) -> float:
    """Aggregated WER or CER: all edits over all reference units."""
    edits = total = 0
    for reference, hypothesis in pairs:
        e, n = error_counts(reference, hypothesis, unit)
        edits, total = edits + e, total + n
    return edits / total
