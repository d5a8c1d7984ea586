"""faster-whisper behind the Engine interface: CTranslate2 int8 on the CPU, beam search, VAD, no hub.

``HF_HUB_OFFLINE=1`` is set before faster-whisper (and with it huggingface_hub) is imported, and
the model is loaded with ``local_files_only=True``, so a missing file is an error, never a
download. Greedy decoding loops on Norwegian with Whisper base, so beam search (5) is kept.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from speech_service.audio import Audio
from speech_service.engine import EngineUnavailable, ModelInfo, Segment
from speech_service.models import ModelSource


def _offline_faster_whisper() -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import faster_whisper

    return faster_whisper


@dataclass(frozen=True)
class WhisperSettings:
    beam_size: int = 5
    compute_type: str = "int8"
    cpu_threads: int = 2
    vad_filter: bool = True


class WhisperEngine:
    """Loads the model once (on ``load`` or the first transcription) and reuses it."""

    def __init__(self, source: ModelSource | Callable[[], ModelSource], settings: WhisperSettings | None = None,
                 info: ModelInfo | None = None) -> None:
        self._source = source
        self._settings = settings or WhisperSettings()
        self._info = info or (source.info if isinstance(source, ModelSource) else ModelInfo("whisper", "unknown"))
        self._model: Any = None
        self._lock = threading.Lock()
        self._error: str | None = None

    @property
    def model(self) -> ModelInfo:
        return self._info

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                source = self._source if isinstance(self._source, ModelSource) else self._source()
                self._info = source.info
                faster_whisper = _offline_faster_whisper()
                self._model = faster_whisper.WhisperModel(
                    str(source.path), device="cpu", compute_type=self._settings.compute_type,
                    cpu_threads=self._settings.cpu_threads, local_files_only=True)
            except EngineUnavailable as error:
                self._error = str(error)
                raise
            except Exception as error:  # CTranslate2 reports a bad folder with RuntimeError, ValueError, ...
                self._error = f"The speech model could not be loaded: {error}"
                raise EngineUnavailable(self._error) from error
            self._error = None

    def transcribe(self, audio: Audio, *, language: str, initial_prompt: str | None) -> Iterator[Segment]:
        self.load()
        segments, _info = self._model.transcribe(
            audio.samples, language=language, beam_size=self._settings.beam_size,
            vad_filter=self._settings.vad_filter, initial_prompt=initial_prompt or None)
        return (Segment(round(float(s.start), 2), round(float(s.end), 2), str(s.text).strip(),
                        float(s.avg_logprob), float(s.no_speech_prob))
                for s in segments if str(s.text).strip())
