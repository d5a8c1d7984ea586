"""The app's client for the hospital's speech service: send a dictation, get segments as they are made.

The speech service (``speech_service/``, or whatever the hospital runs with the same API) is
reached over HTTP only; this module never imports it. ``stream`` yields each segment as the
service sends it; ``transcribe`` collects them into a ``Transcript``. Every failure is one of the
exceptions below, which the UI turns into messages:

SpeechError
 ├── SpeechUnavailable          retrying later may help
 │    ├── SpeechUnreachable     connection refused or dropped, DNS, no answer in time
 │    ├── SpeechBusy            503 busy (retry_after seconds)
 │    └── SpeechEngineDown      the model could not be loaded, or failed mid-way
 ├── RecordingRejected          this recording will never be transcribed as it is
 │    ├── RecordingTooLong      over the service's limit (limit_seconds)
 │    ├── RecordingEmpty        no bytes, or no sound
 │    ├── NoSpeechHeard         silence or only noise: nothing was heard
 │    └── RecordingUnsupported  not audio the service can decode
 ├── SpeechNotAllowed           401 / 403: wrong secret or an address the service refuses
 └── SpeechBadResponse          the answer is not the service's NDJSON
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

Band = Literal["low", "medium", "high"]
CONNECT_TIMEOUT = 3.0
# The service sends a line at least every 5 s while a dictation waits or is transcribed.
READ_TIMEOUT = 60.0


class SpeechError(Exception):
    """``code`` is the service's error code, if it gave one."""

    def __init__(self, detail: str = "", *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(detail or type(self).__name__)
        self.detail = detail
        self.status = status
        self.code = code


class SpeechUnavailable(SpeechError):
    pass


class SpeechUnreachable(SpeechUnavailable):
    pass


class SpeechBusy(SpeechUnavailable):
    def __init__(self, detail: str = "", *, status: int | None = 503, code: str | None = "busy",
                 retry_after: int | None = None) -> None:
        super().__init__(detail, status=status, code=code)
        self.retry_after = retry_after


class SpeechEngineDown(SpeechUnavailable):
    pass


class RecordingRejected(SpeechError):
    pass


class RecordingTooLong(RecordingRejected):
    def __init__(self, detail: str = "", *, status: int | None = 413, code: str | None = "too-long",
                 limit_seconds: float | None = None) -> None:
        super().__init__(detail, status=status, code=code)
        self.limit_seconds = limit_seconds


class RecordingEmpty(RecordingRejected):
    pass


class NoSpeechHeard(RecordingRejected):
    pass


class RecordingUnsupported(RecordingRejected):
    pass


class SpeechNotAllowed(SpeechError):
    pass


class SpeechBadResponse(SpeechError):
    pass


@dataclass(frozen=True)
class SpeechSegment:
    index: int
    start: float
    end: float
    text: str
    confidence: float  # 0..1
    band: Band


@dataclass(frozen=True)
class TranscriptInfo:
    """The service's closing record. ``model_quality`` "weak" means: show the weak-model marker."""

    language: str
    duration: float
    model: str
    model_quality: str
    vocabulary: str
    processing_seconds: float
    machine_transcribed: bool = True


@dataclass(frozen=True)
class Transcript:
    segments: tuple[SpeechSegment, ...]
    info: TranscriptInfo

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)

    @property
    def lowest_band(self) -> Band | None:
        order: dict[Band, int] = {"low": 0, "medium": 1, "high": 2}
        return min((s.band for s in self.segments), key=order.__getitem__, default=None)


@dataclass
class _Stream:
    segments: list[SpeechSegment] = field(default_factory=list)
    info: TranscriptInfo | None = None


_ERRORS: dict[str, type[SpeechError]] = {
    "too-long": RecordingTooLong,
    "empty-recording": RecordingEmpty,
    "no-speech": NoSpeechHeard,
    "unsupported-audio": RecordingUnsupported,
    "busy": SpeechBusy,
    "engine-unavailable": SpeechEngineDown,
    "engine-failed": SpeechEngineDown,
    "unauthorised": SpeechNotAllowed,
    "forbidden-client": SpeechNotAllowed,
}


def _error_from(status: int | None, data: Any, retry_after: str | None = None) -> SpeechError:
    data = data if isinstance(data, dict) else {}
    code = str(data.get("error") or "") or None
    message = str(data.get("message") or f"The speech service answered {status}")
    kind = _ERRORS.get(code or "")
    if kind is None:
        kind = (SpeechNotAllowed if status in (401, 403) else RecordingTooLong if status == 413
                else SpeechUnavailable if status is not None and status >= 500 else SpeechError)
    if kind is SpeechBusy:
        seconds = int(retry_after) if retry_after and retry_after.isdigit() else None
        return SpeechBusy(message, status=status, code=code, retry_after=seconds)
    if kind is RecordingTooLong:
        limit = data.get("limit_seconds")
        return RecordingTooLong(message, status=status, code=code,
                                limit_seconds=float(limit) if isinstance(limit, int | float) else None)
    return kind(message, status=status, code=code)


def _segment(data: dict[str, Any]) -> SpeechSegment:
    band = data["band"]
    if band not in ("low", "medium", "high"):
        raise ValueError(band)
    return SpeechSegment(int(data["index"]), float(data["start"]), float(data["end"]), str(data["text"]),
                         float(data["confidence"]), band)


def _info(data: dict[str, Any]) -> TranscriptInfo:
    return TranscriptInfo(str(data["language"]), float(data["duration"]), str(data["model"]),
                          str(data["model_quality"]), str(data.get("vocabulary", "default")),
                          float(data.get("processing_seconds", 0.0)), bool(data.get("machine_transcribed", True)))


class SpeechClient:
    """One per app; ``secret`` is the service's shared secret when it requires one."""

    def __init__(self, base_url: str, *, secret: str | None = None, read_timeout: float = READ_TIMEOUT,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        headers = {"Accept": "application/x-ndjson"}
        if secret:
            headers["Authorization"] = f"Bearer {secret}"
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, transport=transport,
            timeout=httpx.Timeout(read_timeout, connect=CONNECT_TIMEOUT))

    async def close(self) -> None:
        await self._http.aclose()

    async def health(self) -> dict[str, Any]:
        """The service's model, its quality on Norwegian, and its limits."""
        try:
            response = await self._http.get("/v1/health")
        except httpx.HTTPError as problem:
            raise SpeechUnreachable(f"The speech service cannot be reached ({type(problem).__name__})") from problem
        try:
            data = response.json()
        except ValueError as problem:
            raise SpeechBadResponse("The speech service's answer is not JSON", status=response.status_code) from problem
        if response.status_code != 200:
            raise _error_from(response.status_code, data, response.headers.get("Retry-After"))
        if not isinstance(data, dict):
            raise SpeechBadResponse("The speech service's answer is not a JSON object")
        return data

    async def stream(self, audio: bytes, *, content_type: str = "audio/wav", ward: str | None = None,
                     language: str | None = None) -> AsyncIterator[SpeechSegment | TranscriptInfo]:
        """Yields each segment as it comes, then the closing TranscriptInfo; raises a SpeechError."""
        if not audio:
            raise RecordingEmpty("The recording is empty", code="empty-recording")
        params = {k: v for k, v in (("ward", ward), ("language", language)) if v}
        try:
            async with self._http.stream("POST", "/v1/transcriptions", content=audio, params=params,
                                         headers={"Content-Type": content_type}) as response:
                if response.status_code != 200:
                    body = await response.aread()
                    try:
                        data = json.loads(body)
                    except ValueError:
                        data = None
                    raise _error_from(response.status_code, data, response.headers.get("Retry-After"))
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    event = self._event(line)
                    kind = event.get("type")
                    if kind == "segment":
                        yield _segment(event)
                    elif kind == "done":
                        yield _info(event)
                        return
                    elif kind == "error":
                        raise _error_from(None, event)
                raise SpeechUnreachable("The speech service stopped before the transcription was finished")
        except httpx.HTTPError as problem:
            raise SpeechUnreachable(f"The speech service cannot be reached ({type(problem).__name__})") from problem
        except (KeyError, TypeError, ValueError) as problem:
            raise SpeechBadResponse(f"The speech service sent an unexpected record ({problem})") from problem

    @staticmethod
    def _event(line: str) -> dict[str, Any]:
        try:
            event = json.loads(line)
        except ValueError as problem:
            raise SpeechBadResponse("The speech service sent a line that is not JSON") from problem
        if not isinstance(event, dict):
            raise SpeechBadResponse("The speech service sent a record that is not a JSON object")
        return event

    async def transcribe(self, audio: bytes, *, content_type: str = "audio/wav", ward: str | None = None,
                         language: str | None = None) -> Transcript:
        """The whole transcript; NoSpeechHeard when the service heard nothing."""
        collected = _Stream()
        async for item in self.stream(audio, content_type=content_type, ward=ward, language=language):
            if isinstance(item, SpeechSegment):
                collected.segments.append(item)
            else:
                collected.info = item
        if collected.info is None:
            raise SpeechBadResponse("The speech service sent no closing record")
        if not collected.segments:
            raise NoSpeechHeard("No speech was heard in the recording", code="no-speech")
        return Transcript(tuple(collected.segments), collected.info)
