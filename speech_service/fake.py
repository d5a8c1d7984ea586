"""A scripted engine behind the same interface, for unit tests and for testers without a model."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from speech_service.audio import Audio
from speech_service.engine import EngineUnavailable, ModelInfo, Segment


@dataclass
class FakeCall:
    duration: float
    language: str
    initial_prompt: str | None


@dataclass
class FakeEngine:
    """Gives ``script`` (by default one segment per started 5 s of audio, "ord 1", "ord 2", ...).

    ``gate``, when given, is waited on before each segment, so a test can hold a transcription
    while it sends others; ``fail_after`` raises after that many segments; ``load_error`` makes
    ``load`` fail as a missing model would.
    """

    script: Sequence[Segment] | None = None
    gate: threading.Event | None = None
    fail_after: int | None = None
    load_error: str | None = None
    model: ModelInfo = field(default_factory=lambda: ModelInfo("fake", "unknown"))
    calls: list[FakeCall] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)

    def load(self) -> None:
        if self.load_error:
            raise EngineUnavailable(self.load_error)

    def transcribe(self, audio: Audio, *, language: str, initial_prompt: str | None) -> Iterator[Segment]:
        self.load()
        self.calls.append(FakeCall(audio.duration, language, initial_prompt))
        self.started.set()
        return self._segments(audio)

    def _segments(self, audio: Audio) -> Iterator[Segment]:
        script = self.script
        if script is None:
            count = max(1, int(-(-audio.duration // 5)))
            script = [Segment(5.0 * i, min(audio.duration, 5.0 * (i + 1)), f"ord {i + 1}", -0.1, 0.01)
                      for i in range(count)]
        for index, segment in enumerate(script):
            if self.fail_after is not None and index >= self.fail_after:
                raise RuntimeError("the fake engine failed as asked")
            if self.gate is not None:
                self.gate.wait(30)
            yield segment
