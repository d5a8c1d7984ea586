"""Dictation audio in memory: decode an upload to 16 kHz mono samples, within limits, and tell silence.

Audio is decoded from the request body in memory and never written to disk. PyAV (bundled with
faster-whisper) reads WAV, Ogg/Opus, WebM/Opus (browsers' MediaRecorder), AAC/M4A (Android),
MP3 and FLAC; raw little-endian 16-bit PCM needs its rate and channels said (``audio/pcm``).
Decoding stops as soon as the audio runs past the limit, so a small file that expands to hours
(or a stream that never ends) costs at most the limit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
# The loudest 30 ms window of a dictation is far above this (speech peaks around -20 dBFS; a
# quiet phone at arm's length around -40); a muted or unplugged microphone gives far below it.
SILENCE_DBFS = -55.0
_WINDOW = SAMPLE_RATE * 30 // 1000

Samples = npt.NDArray[np.float32]


class AudioError(ValueError):
    """The recording cannot be transcribed; ``code`` is the API's error code."""

    code = "bad-audio"


class EmptyAudio(AudioError):
    code = "empty-recording"


class UndecodableAudio(AudioError):
    code = "unsupported-audio"


class AudioTooLong(AudioError):
    code = "too-long"

    def __init__(self, message: str, limit_seconds: float) -> None:
        super().__init__(message)
        self.limit_seconds = limit_seconds


class NoSpeech(AudioError):
    code = "no-speech"


@dataclass(frozen=True)
class Audio:
    """Mono float32 samples at 16 kHz, in -1..1."""

    samples: Samples

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    def loudest_dbfs(self) -> float:
        """The level of the loudest 30 ms window, in dB below full scale (-inf for digital silence)."""
        usable = len(self.samples) - len(self.samples) % _WINDOW
        if usable == 0:
            windows = self.samples.reshape(1, -1) if len(self.samples) else np.zeros((1, 1), np.float32)
        else:
            windows = self.samples[:usable].reshape(-1, _WINDOW)
        rms = float(np.sqrt(np.max(np.mean(np.square(windows, dtype=np.float64), axis=1))))
        return float("-inf") if rms == 0.0 else 20.0 * float(np.log10(rms))

    def is_silent(self) -> bool:
        return self.loudest_dbfs() < SILENCE_DBFS


def _limit_message(max_seconds: float) -> str:
    minutes = max_seconds / 60
    limit = f"{minutes:g} minutes" if max_seconds >= 60 else f"{max_seconds:g} seconds"
    return f"The recording is longer than the limit of {limit}; split it into shorter dictations"


def decode_pcm16(data: bytes, *, rate: int = SAMPLE_RATE, channels: int = 1,
                 max_seconds: float = 600.0) -> Audio:
    """Raw little-endian signed 16-bit PCM (what Flet's recorder gives with its PCM encoder)."""
    if not data:
        raise EmptyAudio("The recording is empty")
    if rate < 8000 or rate > 192_000 or channels < 1 or channels > 8:
        raise UndecodableAudio(f"Unsupported PCM format: rate {rate} Hz, {channels} channels")
    frame = 2 * channels
    if len(data) % frame:
        raise UndecodableAudio("The PCM data is not a whole number of 16-bit samples")
    if len(data) / frame / rate > max_seconds:
        raise AudioTooLong(_limit_message(max_seconds), max_seconds)
    pcm = np.frombuffer(data, dtype="<i2").reshape(-1, channels).mean(axis=1, dtype=np.float32) / 32768.0
    if rate != SAMPLE_RATE:
        positions = np.arange(0, len(pcm), rate / SAMPLE_RATE)
        pcm = np.interp(positions, np.arange(len(pcm)), pcm).astype(np.float32)
    return Audio(pcm.astype(np.float32, copy=False))


def decode(data: bytes, *, max_seconds: float = 600.0) -> Audio:
    """Decode a container (WAV, Ogg, WebM, M4A, ...) to 16 kHz mono; raises an AudioError."""
    import av  # imported here so the service's HTTP layer and tests of it start without FFmpeg

    if not data:
        raise EmptyAudio("The recording is empty")
    limit = int(max_seconds * SAMPLE_RATE)
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[npt.NDArray[Any]] = []
    total = 0
    try:
        with av.open(io.BytesIO(data), mode="r", metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise UndecodableAudio("The file has no audio track")
            for packet_frame in container.decode(audio=0):
                packet_frame.pts = None
                for frame in resampler.resample(packet_frame):
                    array = frame.to_ndarray().reshape(-1)
                    chunks.append(array)
                    total += len(array)
                if total > limit:
                    raise AudioTooLong(_limit_message(max_seconds), max_seconds)
            for frame in resampler.resample(None):
                chunks.append(frame.to_ndarray().reshape(-1))
    except AudioError:
        raise
    except (av.FFmpegError, ValueError, IndexError, EOFError) as error:
        raise UndecodableAudio(
            "The recording could not be read as audio (send WAV, Ogg/Opus, WebM/Opus or AAC/M4A)") from error
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    if len(samples) > limit:
        raise AudioTooLong(_limit_message(max_seconds), max_seconds)
    if len(samples) == 0:
        raise EmptyAudio("The recording holds no sound")
    return Audio(samples.astype(np.float32) / 32768.0)


def read_file(path: str, *, max_seconds: float = 600.0) -> Audio:
    with open(path, "rb") as handle:
        return decode(handle.read(), max_seconds=max_seconds)
