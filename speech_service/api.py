"""The speech service's HTTP API as plain functions: who may call, limits, the queue, and the stream.

Routes (see docs/speech.md):
    GET  /v1/health          the model, its quality for Norwegian, limits and how busy the service is
    POST /v1/transcriptions  audio in the body, ?ward=KEY&language=no; answers NDJSON, one line per event

Who may call: clients from the allowed networks (loopback only by default), and, when a shared
secret is configured, only with ``Authorization: Bearer <secret>``. The request carries no patient
identity; the audio is decoded in memory and dropped when the answer ends; each request is logged
(client, status, seconds of audio, segments, never the text) on the ``speech_service`` logger.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from speech_service import audio as audio_mod
from speech_service.engine import Engine, EngineUnavailable
from speech_service.vocabulary import Vocabulary

log = logging.getLogger("speech_service")

NDJSON = "application/x-ndjson; charset=utf-8"
LOOPBACK: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
# A quiet client still gets a line this often while it waits for the engine, so its read timeout
# measures a dead service rather than a long queue.
HEARTBEAT_SECONDS = 5.0
NORWEGIAN = ("no", "nn", "nb")
_ACCEPTED_TYPES = ("audio/", "video/webm", "video/mp4", "video/ogg", "application/octet-stream", "application/ogg")


@dataclass(frozen=True)
class Limits:
    max_seconds: float = 600.0
    # Ten minutes of 16 kHz mono 16-bit WAV is 19.2 MB; compressed formats are far smaller. A
    # 48 kHz or stereo WAV of ten minutes does not fit and gets a clear 413.
    max_bytes: int = 24 * 1024 * 1024
    workers: int = 1
    queue: int = 4


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: Sequence[tuple[str, str]]
    headers: dict[str, str]  # lower-case names
    client: str
    content_length: int


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes | Iterator[bytes] = b""
    on_close: Callable[[], None] | None = None
    note: dict[str, Any] = field(default_factory=dict)  # what the access log records

    @property
    def streamed(self) -> bool:
        return not isinstance(self.body, bytes)


def json_response(status: int, data: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode()
    return Response(status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, body)


def error(status: int, code: str, message: str, headers: dict[str, str] | None = None,
          **extra: Any) -> Response:
    response = json_response(status, {"error": code, "message": message, **extra}, headers)
    response.note = {"error": code}
    return response


def _line(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode() + b"\n"


def parse_networks(values: Sequence[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


class Admission:
    """At most ``workers`` transcriptions at once and ``queue`` more waiting; beyond that, 503."""

    def __init__(self, limits: Limits) -> None:
        self._limits = limits
        self._lock = threading.Lock()
        self._admitted = 0
        self._engine = threading.Semaphore(limits.workers)
        self._job_seconds = 10.0  # running mean of a transcription's wall time, for Retry-After

    def try_admit(self) -> bool:
        with self._lock:
            if self._admitted >= self._limits.workers + self._limits.queue:
                return False
            self._admitted += 1
            return True

    def release(self) -> None:
        with self._lock:
            self._admitted = max(0, self._admitted - 1)

    def engine_slot(self, timeout: float) -> bool:
        return self._engine.acquire(timeout=timeout)

    def engine_done(self, seconds: float) -> None:
        with self._lock:
            self._job_seconds = 0.8 * self._job_seconds + 0.2 * seconds
        self._engine.release()

    @property
    def admitted(self) -> int:
        return self._admitted

    def retry_after(self) -> int:
        with self._lock:
            waiting = max(1, self._admitted - self._limits.workers + 1)
            return max(1, math.ceil(self._job_seconds * waiting / self._limits.workers))


class SpeechApi:
    def __init__(self, engine: Engine, vocabulary: Vocabulary, *, limits: Limits | None = None,
                 secret: str | None = None, allowed: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network] = LOOPBACK,
                 language: str = "no", languages: Sequence[str] = ("no", "nn", "en"),
                 engine_ready: Callable[[], str | None] | None = None) -> None:
        self.engine = engine
        self.vocabulary = vocabulary
        self.limits = limits or Limits()
        self.secret = secret
        self.allowed = tuple(allowed)
        self.language = language
        self.languages = tuple(languages)
        self.admission = Admission(self.limits)
        # None when the model is ready (or loads on first use), else why it cannot be used.
        self.engine_ready = engine_ready or (lambda: None)

    # -- who may call ---------------------------------------------------------------------------
    def client_allowed(self, client: str) -> bool:
        try:
            address = ipaddress.ip_address(client.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allowed)

    def _authorised(self, request: Request) -> bool:
        if not self.secret:
            return True
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), self.secret.encode())

    def gate(self, request: Request) -> Response | None:
        """The refusals that come before the body is read (so a refused client's upload is not decoded)."""
        if not self.client_allowed(request.client):
            return error(403, "forbidden-client", "This speech service does not take requests from your address")
        if not self._authorised(request):
            return error(401, "unauthorised", "A valid bearer token (the service's shared secret) is required",
                         {"WWW-Authenticate": 'Bearer realm="visitt-speech"'})
        route = _ROUTES.get(request.path)
        if route is None:
            return error(404, "not-found", f"No such endpoint: {request.path}")
        if request.method not in route:
            return error(405, "method-not-allowed", f"{request.path} takes {', '.join(route)}",
                         {"Allow": ", ".join(route)})
        if request.method == "POST":
            return self._gate_upload(request)
        return None

    def _gate_upload(self, request: Request) -> Response | None:
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if not content_type.startswith(_ACCEPTED_TYPES):
            return error(415, "unsupported-audio",
                         "Send the recording as audio (WAV, Ogg/Opus, WebM/Opus, AAC/M4A or audio/pcm)")
        if request.content_length == 0:
            return error(400, "empty-recording", "The recording is empty")
        if request.content_length > self.limits.max_bytes:
            return error(413, "too-long", f"The recording is larger than the limit of "
                         f"{self.limits.max_bytes // (1024 * 1024)} MiB; at most "
                         f"{self.limits.max_seconds / 60:g} minutes can be transcribed at once",
                         limit_seconds=self.limits.max_seconds, limit_bytes=self.limits.max_bytes)
        problem = self.engine_ready()
        if problem:
            return error(503, "engine-unavailable", problem, {"Retry-After": "30"})
        if not self.admission.try_admit():
            return error(503, "busy", "The speech service is busy with other dictations; try again shortly",
                         {"Retry-After": str(self.admission.retry_after())})
        return None

    # -- handling ---------------------------------------------------------------------------------
    def handle(self, request: Request, read_body: Callable[[], bytes]) -> Response:
        refused = self.gate(request)
        if refused is not None:
            return refused
        if request.method == "GET":
            return self.health()
        try:
            response = self.transcription(request, read_body())
        except BaseException:
            self.admission.release()
            raise
        if response.on_close is None:
            self.admission.release()
        return response

    def health(self) -> Response:
        model = self.engine.model
        return json_response(200, {
            "status": "ok" if not self.engine_ready() else "unavailable",
            "problem": self.engine_ready(),
            "model": model.name, "model_quality": model.quality,
            "language": self.language, "languages": list(self.languages),
            "max_seconds": self.limits.max_seconds, "max_bytes": self.limits.max_bytes,
            "workers": self.limits.workers, "queue": self.limits.queue, "admitted": self.admission.admitted,
            "wards": list(self.vocabulary.ward_keys),
        })

    def _options(self, request: Request) -> tuple[str, str | None] | Response:
        params = dict(request.params)
        language = params.get("language", self.language).strip().lower() or self.language
        if language not in self.languages:
            return error(400, "unsupported-language",
                         f"Language {language!r} is not offered; use one of {', '.join(self.languages)}")
        ward = params.get("ward")
        if ward is not None and len(ward) > 100:
            return error(400, "bad-ward", "The ward name is too long")
        return language, ward

    def transcription(self, request: Request, body: bytes) -> Response:
        options = self._options(request)
        if isinstance(options, Response):
            return options
        language, ward = options
        try:
            audio = _decode(request.headers.get("content-type", ""), body, self.limits.max_seconds)
            if audio.is_silent():
                raise audio_mod.NoSpeech("The recording is silent: check that the microphone is on")
        except audio_mod.AudioTooLong as problem:
            return error(413, problem.code, str(problem), limit_seconds=problem.limit_seconds)
        except audio_mod.AudioError as problem:
            return error(422 if problem.code == "no-speech" else 400, problem.code, str(problem))
        del body
        # The clinical vocabulary is Norwegian: it would pull another language's words toward Norwegian.
        prompt, vocabulary = self.vocabulary.prompt_for(ward) if language in NORWEGIAN else (None, "none")
        model = self.engine.model
        head = {"language": language, "duration": round(audio.duration, 2), "model": model.name,
                "model_quality": model.quality, "vocabulary": vocabulary}
        note: dict[str, Any] = {"audio_s": round(audio.duration, 1)}
        released = threading.Event()

        def close() -> None:
            if not released.is_set():
                released.set()
                self.admission.release()

        def stream() -> Iterator[bytes]:
            yield _line({"type": "accepted", **head})
            while not self.admission.engine_slot(HEARTBEAT_SECONDS):
                yield _line({"type": "waiting"})
            started = time.perf_counter()
            count = 0
            texts: list[str] = []
            failure: dict[str, Any] | None = None
            try:
                for segment in self.engine.transcribe(audio, language=language, initial_prompt=prompt):
                    yield _line({"type": "segment", "index": count, "start": round(segment.start, 2),
                                 "end": round(segment.end, 2),
                                 "text": segment.text, "confidence": segment.confidence, "band": segment.band})
                    texts.append(segment.text)
                    count += 1
            except EngineUnavailable as problem:
                note["error"] = "engine-unavailable"
                failure = {"type": "error", "error": "engine-unavailable", "message": str(problem)}
            except Exception as problem:  # the engine's own failure: tell the client, keep serving
                log.exception("transcription failed")
                note["error"] = "engine-failed"
                failure = {"type": "error", "error": "engine-failed",
                           "message": f"The transcription failed ({type(problem).__name__}); try again"}
            finally:
                seconds = time.perf_counter() - started
                self.admission.engine_done(seconds)
                note.update(segments=count, processing_s=round(seconds, 2))
                # Free the place before the last line goes out: a phone that sends its next
                # recording as soon as it reads "done" must not be told the service is busy.
                close()
            yield _line(failure or {"type": "done", **head, "segments": count, "no_speech": count == 0,
                                    "text": " ".join(texts), "machine_transcribed": True,
                                    "processing_seconds": round(seconds, 2)})

        return Response(200, {"Content-Type": NDJSON, "Cache-Control": "no-store"}, stream(), close, note)


def _decode(content_type: str, body: bytes, max_seconds: float) -> audio_mod.Audio:
    media, _, rest = content_type.partition(";")
    if media.strip().lower() in ("audio/pcm", "audio/x-pcm"):
        params = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in rest.split(";")) if k}
        try:
            rate = int(params.get("rate", audio_mod.SAMPLE_RATE))
            channels = int(params.get("channels", 1))
        except ValueError as problem:
            raise audio_mod.UndecodableAudio("audio/pcm needs whole numbers for rate and channels") from problem
        return audio_mod.decode_pcm16(body, rate=rate, channels=channels, max_seconds=max_seconds)
    return audio_mod.decode(body, max_seconds=max_seconds)


_ROUTES: dict[str, tuple[str, ...]] = {
    "/v1/health": ("GET",),
    "/v1/transcriptions": ("POST",),
}
