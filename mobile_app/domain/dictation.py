"""A dictation being recorded, and a machine transcript as the note editor shows it. Pure: no I/O.

``Recording`` follows the recorder (start, pause, resume, stop, re-record) from the raw 16-bit PCM
chunks it hands over: the elapsed time, the level for the meter, and the 10-minute limit (the
recording stops itself there). The recorder is asked for 16 kHz mono, but a browser's recorder sends
what the microphone track gives (Chromium's fake microphone: 44.1 kHz stereo; real ones mostly
48 kHz) and says nothing about it, so the real format is found from the chunks' arrival times
(bytes per second of wall time, snapped to a common rate) and, where that is ambiguous (48 kHz mono
or 24 kHz stereo), from the samples themselves (``PcmClock``, ``format_for``).

``MachineTranscript`` is what the speech service returned: the text goes into the note draft, marked
as machine-transcribed, with its low-confidence stretches named so the author checks them before
signing.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from enum import StrEnum

from mobile_app.domain.media import DICTATION_LIMIT_SECONDS

SAMPLE_RATE = 16_000  # what the recorder is asked for: the speech service's own rate
SILENT_DBFS = -55.0  # the speech service's "no speech" threshold: a muted microphone
RATES = (8_000, 16_000, 22_050, 24_000, 44_100, 48_000)  # what recorders deliver
EVIDENCE_SECONDS = 1.0  # arrival times over at least this long before the format is judged
RATE_TOLERANCE = 0.12  # further than this from every candidate: the timing says nothing (a stall)


@dataclass(frozen=True)
class PcmFormat:
    """Little-endian 16-bit PCM, channels interleaved."""

    rate: int
    channels: int = 1

    @property
    def bytes_per_second(self) -> int:
        return 2 * self.rate * self.channels

    @property
    def frame(self) -> int:
        return 2 * self.channels


SPEECH_FORMAT = PcmFormat(SAMPLE_RATE, 1)


def stereo_verdict(chunk: bytes) -> bool | None:
    """Whether a chunk is interleaved stereo, from its samples: left and right at the same instant
    (samples 2i and 2i+1; equal when a browser copies a mono microphone to both) much closer than
    the next instant (2i+1 and 2i+2), or each sample closer to the one two on (the same channel)
    than to its neighbour (the other channel). In mono speech, energy below a quarter of the rate
    makes neighbours the closest of all. None: digital silence."""
    x = array("h", chunk[: len(chunk) - len(chunk) % 4])
    pairs = range(0, len(x) - 2, 2)
    same = sum((x[i] - x[i + 1]) ** 2 for i in pairs)
    across = sum((x[i + 1] - x[i + 2]) ** 2 for i in pairs)
    two_on = sum((x[i] - x[i + 2]) ** 2 + (x[i + 1] - x[i + 3]) ** 2 for i in range(0, len(x) - 3, 2))
    if same + across <= len(x):  # under one unit per sample: nothing to tell by
        return None
    return same < 0.25 * across or two_on < 0.7 * (same + across)


def format_for(bytes_per_second: float, stereo: bool | None, asked: PcmFormat = SPEECH_FORMAT) -> PcmFormat | None:
    """The format whose byte rate is nearest to what arrived, or None when none is within
    ``RATE_TOLERANCE``. Equal byte rates (16 kHz mono and 8 kHz stereo, 48 kHz mono and 24 kHz
    stereo) are told apart by ``stereo``; without it the asked channel count wins."""
    if bytes_per_second <= 0:
        return None
    candidates = [PcmFormat(rate, channels) for rate in RATES for channels in (1, 2)]
    best = min(candidates, key=lambda f: abs(math.log(bytes_per_second / f.bytes_per_second)))
    if abs(math.log(bytes_per_second / best.bytes_per_second)) > math.log(1 + RATE_TOLERANCE):
        return None
    alike = [f for f in candidates if f.bytes_per_second == best.bytes_per_second]
    channels = asked.channels if stereo is None else 2 if stereo else 1
    return next((f for f in alike if f.channels == channels), best)


@dataclass
class PcmClock:
    """Bytes received over their arrival times: the least-squares slope (bytes per second), pooled
    over runs (a pause starts a new run), so a late first chunk or a burst barely moves it."""

    seconds: float = 0.0  # wall time spanned by the runs so far
    _closed_sxx: float = 0.0
    _closed_sxy: float = 0.0
    _closed_seconds: float = 0.0
    _first: float | None = None
    _n: int = 0
    _bytes: float = 0.0
    _st: float = 0.0
    _sb: float = 0.0
    _stt: float = 0.0
    _stb: float = 0.0

    def arrived(self, at: float, size: int) -> None:
        if self._first is None:
            self._first = at
        t = at - self._first
        self._bytes += size
        self._n += 1
        self._st += t
        self._sb += self._bytes
        self._stt += t * t
        self._stb += t * self._bytes
        self.seconds = self._closed_seconds + t

    def _run(self) -> tuple[float, float]:
        if self._n < 2:
            return 0.0, 0.0
        return self._stt - self._st ** 2 / self._n, self._stb - self._st * self._sb / self._n

    def pause(self) -> None:
        sxx, sxy = self._run()
        self._closed_sxx += sxx
        self._closed_sxy += sxy
        self._closed_seconds = self.seconds
        self._first, self._n, self._bytes, self._st, self._sb, self._stt, self._stb = None, 0, 0.0, 0.0, 0.0, 0.0, 0.0

    @property
    def bytes_per_second(self) -> float | None:
        sxx, sxy = self._run()
        sxx, sxy = sxx + self._closed_sxx, sxy + self._closed_sxy
        return sxy / sxx if sxx > 1e-9 else None


class RecorderState(StrEnum):
    IDLE = "idle"
    RECORDING = "recording"
    PAUSED = "paused"
    RECORDED = "recorded"


def level_of(chunk: bytes) -> float:
    """The loudness of a PCM16 chunk as 0..1 for the meter (-60 dBFS and below is 0)."""
    samples = array("h", chunk[: len(chunk) - len(chunk) % 2])
    if not samples:
        return 0.0
    rms = math.sqrt(sum(s * s for s in samples) / len(samples))
    if rms <= 0:
        return 0.0
    dbfs = 20 * math.log10(rms / 32768)
    return max(0.0, min(1.0, (dbfs + 60) / 60))


@dataclass
class Recording:
    """The recording in memory, as the recorder sent it (``format``: what it really is, once the
    arrival times tell; until then what was asked). ``add`` returns False once the limit is reached
    (stop then)."""

    asked: PcmFormat = SPEECH_FORMAT
    limit_seconds: float = DICTATION_LIMIT_SECONDS
    state: RecorderState = RecorderState.IDLE
    pcm: bytearray = field(default_factory=bytearray)
    level: float = 0.0
    loudest: float = 0.0  # the loudest chunk's level: a recording that never rose is empty
    hit_limit: bool = False
    format: PcmFormat = field(init=False)
    measured: bool = False  # the format comes from the arrival times, not from what was asked
    clock: PcmClock = field(default_factory=PcmClock)
    stereo: bool | None = None  # what the samples say, once a chunk with sound has come

    def __post_init__(self) -> None:
        self.format = self.asked

    @property
    def rate(self) -> int:
        return self.format.rate

    @property
    def channels(self) -> int:
        return self.format.channels

    @property
    def elapsed(self) -> float:
        if self.clock.seconds > 0 and not self.measured:
            return self.clock.seconds  # timed, format not yet known: the wall clock
        return len(self.pcm) / self.format.bytes_per_second

    def start(self) -> None:
        self.pcm.clear()
        self.level = self.loudest = 0.0
        self.hit_limit = False
        self.format, self.measured, self.clock, self.stereo = self.asked, False, PcmClock(), None
        self.state = RecorderState.RECORDING

    def add(self, chunk: bytes, at: float | None = None) -> bool:
        """A chunk from the recorder; ``at``: when it arrived (a monotonic clock, seconds), which is
        how the real format is found. Without times the asked format is trusted."""
        if self.state is not RecorderState.RECORDING:
            return self.state is RecorderState.PAUSED
        if at is not None:
            self._judge(chunk, at)
        limit = int(self.limit_seconds * self.format.rate) * self.format.frame
        room = limit - len(self.pcm)
        self.pcm.extend(chunk[: max(0, room)])
        self.level = level_of(chunk)
        self.loudest = max(self.loudest, self.level)
        if len(chunk) >= room:
            self.hit_limit = True
            self.state = RecorderState.RECORDED
            return False
        return True

    def _judge(self, chunk: bytes, at: float) -> None:
        self.clock.arrived(at, len(chunk))
        if self.stereo is None:
            self.stereo = stereo_verdict(chunk)
        speed = self.clock.bytes_per_second
        if speed is None or self.clock.seconds < EVIDENCE_SECONDS:
            return
        found = format_for(speed, self.stereo, self.asked)
        if found is not None:
            self.format, self.measured = found, True

    def pause(self) -> None:
        if self.state is RecorderState.RECORDING:
            self.clock.pause()
            self.state, self.level = RecorderState.PAUSED, 0.0

    def resume(self) -> None:
        if self.state is RecorderState.PAUSED:
            self.state = RecorderState.RECORDING

    def stop(self) -> None:
        if self.state in (RecorderState.RECORDING, RecorderState.PAUSED):
            self.state, self.level = RecorderState.RECORDED, 0.0
        del self.pcm[len(self.pcm) - len(self.pcm) % self.format.frame:]  # whole frames only

    def discard(self) -> None:
        self.pcm.clear()
        self.state, self.level, self.loudest, self.hit_limit = RecorderState.IDLE, 0.0, 0.0, False
        self.format, self.measured, self.clock, self.stereo = self.asked, False, PcmClock(), None

    @property
    def empty(self) -> bool:
        """Nothing worth sending: under half a second, or never louder than a muted microphone."""
        return self.elapsed < 0.5 or self.loudest <= (SILENT_DBFS + 60) / 60


@dataclass(frozen=True)
class TranscriptSegment:
    text: str
    band: str  # high | medium | low
    start: float = 0.0

    @property
    def uncertain(self) -> bool:
        return self.band == "low"


@dataclass(frozen=True)
class MachineTranscript:
    """A transcript from the speech service. ``weak_model``: the model is known to be weak on
    Norwegian (Whisper base), so the whole text carries a marker, not only its low stretches."""

    segments: tuple[TranscriptSegment, ...]
    model: str
    weak_model: bool

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())

    @property
    def uncertain(self) -> tuple[TranscriptSegment, ...]:
        return tuple(s for s in self.segments if s.uncertain)
