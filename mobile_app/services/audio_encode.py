"""A recording in memory turned into what is sent: raw 16-bit PCM from the recorder, in whatever
rate and channels it really came (a browser gives 44.1 or 48 kHz, often stereo, whatever was asked),
is converted to 16 kHz mono (the speech service's own format: Whisper reads nothing finer, and it is
a sixth of 48 kHz stereo) and encoded as Ogg/Opus (24 kbit/s, about 0.33 MB a minute, so a
10-minute dictation stays far below the upload cap). Where PyAV (bundled with faster-whisper) is not
installed it is sent as WAV in the format it came, labelled so (the service converts WAV of any rate).
``playback_wav`` makes the in-memory WAV that the dictation screen plays back. Nothing touches the disk.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

OPUS_BIT_RATE = 24_000
SPEECH_RATE = 16_000  # mono: what is sent


@dataclass(frozen=True)
class EncodedAudio:
    data: bytes
    content_type: str
    duration: float  # seconds


def pcm_duration(pcm: bytes, rate: int, channels: int = 1) -> float:
    return len(pcm) / (2 * channels * rate) if rate > 0 else 0.0


def wav(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    return out.getvalue()


def encode_recording(pcm: bytes, rate: int, channels: int = 1) -> EncodedAudio:
    """16 kHz mono Ogg/Opus when PyAV can encode it, else WAV as it came."""
    duration = pcm_duration(pcm, rate, channels)
    try:
        return EncodedAudio(_opus(to_speech_pcm(pcm, rate, channels)), "audio/ogg", duration)
    except (ImportError, OSError, ValueError):  # no PyAV, or no Opus encoder in it
        return EncodedAudio(wav(pcm, rate, channels), "audio/wav", duration)


def playback_wav(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    """The recording as a WAV in memory for the player: 16 kHz mono (a sixth of 48 kHz stereo to
    hand to the player), or as it came without PyAV."""
    try:
        return wav(to_speech_pcm(pcm, rate, channels), SPEECH_RATE)
    except (ImportError, ValueError):
        return wav(pcm, rate, channels)


def _frames(pcm: bytes, rate: int, channels: int) -> Iterator[Any]:
    """PyAV frames of 100 ms from interleaved PCM16."""
    import av  # PyAV: optional here (it comes with faster-whisper)

    layout = "mono" if channels == 1 else "stereo"
    step = max(1, rate // 10) * 2 * channels
    pts = 0
    for start in range(0, len(pcm) - len(pcm) % (2 * channels), step):
        part = pcm[start:start + step]
        frame = av.AudioFrame(format="s16", layout=layout, samples=len(part) // (2 * channels))
        frame.planes[0].update(part)
        frame.sample_rate, frame.pts = rate, pts
        pts += frame.samples
        yield frame


def to_speech_pcm(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    """Interleaved PCM16 at any rate, mono or stereo, as 16 kHz mono PCM16 (channels averaged,
    resampled by FFmpeg's swresample through PyAV). ImportError without PyAV; ValueError for more
    than two channels."""
    if channels not in (1, 2):
        raise ValueError(f"{channels} channels")
    if rate == SPEECH_RATE and channels == 1:
        return pcm[: len(pcm) - len(pcm) % 2]
    import av

    resampler = av.AudioResampler(format="s16", layout="mono", rate=SPEECH_RATE)
    out = bytearray()
    for frame in [*_frames(pcm, rate, channels), None]:
        for resampled in resampler.resample(frame):
            out += bytes(resampled.planes[0])[: resampled.samples * 2]
    return bytes(out)


def _opus(pcm: bytes) -> bytes:
    """16 kHz mono PCM16 as Ogg/Opus (Opus codes 16 kHz as it is: its wideband mode)."""
    import av

    out = io.BytesIO()
    container = av.open(out, "w", format="ogg")
    stream = container.add_stream("libopus", rate=SPEECH_RATE)
    stream.bit_rate = OPUS_BIT_RATE
    stream.layout = "mono"
    # libopus takes frames of 20 ms: the resampler (same rate) only re-cuts them.
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SPEECH_RATE, frame_size=SPEECH_RATE // 50)
    try:
        for frame in [*_frames(pcm, SPEECH_RATE, 1), None]:
            for resampled in resampler.resample(frame):
                for packet in stream.encode(resampled):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    finally:
        container.close()
    return out.getvalue()
