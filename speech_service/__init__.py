"""Visitt's offline speech service: transcribes dictations on the hospital's own machines.

Hospital-side like ``mock_epj``: it never imports the app or the mock EPJ, and the app reaches it
only over HTTP (``POST /v1/transcriptions``, newline-delimited JSON back). See docs/speech.md.
"""

from speech_service.app import ConfigError, SpeechConfig, SpeechService
from speech_service.engine import Engine, EngineUnavailable, ModelInfo, Segment
from speech_service.fake import FakeEngine

__all__ = ["ConfigError", "Engine", "EngineUnavailable", "FakeEngine", "ModelInfo", "Segment", "SpeechConfig",
           "SpeechService"]
