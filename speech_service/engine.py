"""The one interface every speech engine sits behind, and what a transcribed segment is.

An engine turns decoded audio into an iterator of segments, lazily, so the service can send
each segment as soon as it is made. ``WhisperEngine`` (faster-whisper) is the real one;
``FakeEngine`` serves the unit tests and testers who want answers without a model.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from speech_service.audio import Audio

Band = Literal["low", "medium", "high"]
# What a clinician should expect of the model on Norwegian: "weak" puts a marker in the app.
ModelQuality = Literal["weak", "good", "unknown"]

# exp(avg_logprob) of 0.75 is about avg_logprob -0.29: Whisper's own "confident" region; 0.45 is
# about -0.8, below which most segments of Whisper base on Norwegian had wrong words here.
HIGH = 0.75
MEDIUM = 0.45


@dataclass(frozen=True)
class Segment:
    """One stretch of speech as the engine heard it; times in seconds from the recording's start."""

    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float

    @property
    def confidence(self) -> float:
        return confidence(self.avg_logprob, self.no_speech_prob)

    @property
    def band(self) -> Band:
        return band(self.confidence)


def confidence(avg_logprob: float, no_speech_prob: float) -> float:
    """0..1: the mean token probability, discounted by the chance the stretch holds no speech."""
    token = math.exp(min(0.0, avg_logprob)) if math.isfinite(avg_logprob) else 0.0
    speech = 1.0 - min(1.0, max(0.0, no_speech_prob))
    return round(token * speech, 3)


def band(value: float) -> Band:
    if value >= HIGH:
        return "high"
    return "medium" if value >= MEDIUM else "low"


@dataclass(frozen=True)
class ModelInfo:
    """What the service tells clients about its model."""

    name: str
    quality: ModelQuality


class EngineUnavailable(RuntimeError):
    """The engine cannot run (its model is missing, damaged or failed to load)."""


class Engine(Protocol):
    @property
    def model(self) -> ModelInfo: ...

    def load(self) -> None:
        """Make the engine ready (load the model); raises EngineUnavailable. Safe to call again."""

    def transcribe(self, audio: Audio, *, language: str, initial_prompt: str | None) -> Iterator[Segment]:
        """Segments of the whole recording, in order, made as the iterator is advanced."""
