"""The app's speech client against the service (fake engine) over real HTTP, and its error mapping."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from mobile_app.services import speech_client as sc
from speech_service.api import Limits
from speech_service.engine import ModelInfo, Segment
from speech_service.fake import FakeEngine
from tests.speech.conftest import SECRET, ServeFactory
from tests.speech.samples import silence, tone, wav_bytes


async def test_a_transcript_holds_every_segment_and_the_closing_record(serve: ServeFactory) -> None:
    engine = FakeEngine([Segment(0.0, 2.0, "Pasienten er bedre.", -0.1, 0.0),
                         Segment(2.0, 4.0, "Seponerer oksygen.", -1.2, 0.1)], model=ModelInfo("whisper-base", "weak"))
    served = serve(engine=engine, secret=SECRET)
    client = sc.SpeechClient(served.url, secret=SECRET)
    try:
        transcript = await client.transcribe(wav_bytes(tone(4.0)), ward="med")
        health = await client.health()
    finally:
        await client.close()
    assert transcript.text == "Pasienten er bedre. Seponerer oksygen."
    assert [s.band for s in transcript.segments] == ["high", "low"] and transcript.lowest_band == "low"
    info = transcript.info
    assert (info.model, info.model_quality, info.language, info.machine_transcribed) == ("whisper-base", "weak",
                                                                                           "no", True)
    assert info.duration == pytest.approx(4.0, abs=0.01)
    assert health["model_quality"] == "weak"


async def test_stream_yields_segments_before_the_closing_record(serve: ServeFactory) -> None:
    served = serve()
    client = sc.SpeechClient(served.url)
    try:
        items = [item async for item in client.stream(wav_bytes(tone(12.0)), content_type="audio/wav")]
    finally:
        await client.close()
    assert [type(i).__name__ for i in items] == ["SpeechSegment"] * 3 + ["TranscriptInfo"]
    assert [i.text for i in items if isinstance(i, sc.SpeechSegment)] == ["ord 1", "ord 2", "ord 3"]


@pytest.mark.parametrize(("audio", "settings", "error", "code"), [
    (wav_bytes(tone(3.0)), {"limits": Limits(max_seconds=2)}, sc.RecordingTooLong, "too-long"),
    (wav_bytes(silence(0)), {}, sc.RecordingEmpty, "empty-recording"),
    (wav_bytes(silence(2.0)), {}, sc.NoSpeechHeard, "no-speech"),
    (b"not audio" * 50, {}, sc.RecordingUnsupported, "unsupported-audio"),
])
async def test_rejected_recordings_raise_what_the_ui_can_explain(
        serve: ServeFactory, audio: bytes, settings: dict[str, object], error: type[sc.SpeechError], code: str) -> None:
    served = serve(**settings)
    client = sc.SpeechClient(served.url)
    try:
        with pytest.raises(error) as raised:
            await client.transcribe(audio)
    finally:
        await client.close()
    assert isinstance(raised.value, sc.RecordingRejected) and raised.value.code == code and raised.value.detail
    if isinstance(raised.value, sc.RecordingTooLong):
        assert raised.value.limit_seconds == 2


async def test_an_empty_recording_is_refused_without_a_request() -> None:
    client = sc.SpeechClient("http://127.0.0.1:9")  # nothing listens there: no request may be needed
    with pytest.raises(sc.RecordingEmpty):
        await client.transcribe(b"")
    await client.close()


async def test_nothing_heard_in_noise_is_no_speech(serve: ServeFactory) -> None:
    served = serve(engine=FakeEngine([]))
    client = sc.SpeechClient(served.url)
    try:
        with pytest.raises(sc.NoSpeechHeard):
            await client.transcribe(wav_bytes(tone(1.0)))
    finally:
        await client.close()


async def test_a_wrong_secret_is_not_allowed(serve: ServeFactory) -> None:
    served = serve(secret=SECRET)
    client = sc.SpeechClient(served.url, secret="another-secret-entirely")
    try:
        with pytest.raises(sc.SpeechNotAllowed):
            await client.transcribe(wav_bytes(tone(1.0)))
    finally:
        await client.close()


async def test_a_service_that_is_not_running_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens on it
    client = sc.SpeechClient(f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(sc.SpeechUnreachable):
            await client.transcribe(wav_bytes(tone(1.0)))
        with pytest.raises(sc.SpeechUnreachable):
            await client.health()
    finally:
        await client.close()


async def test_a_full_queue_is_busy_with_retry_after(serve: ServeFactory) -> None:
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    served = serve(engine=engine, limits=Limits(workers=1, queue=0))

    def hold() -> None:
        with served.client() as http:
            http.post("/v1/transcriptions", content=wav_bytes(tone(1.0)), headers={"Content-Type": "audio/wav"})

    holder = threading.Thread(target=hold)
    holder.start()
    assert engine.started.wait(10)
    client = sc.SpeechClient(served.url)
    try:
        with pytest.raises(sc.SpeechBusy) as raised:
            await client.transcribe(wav_bytes(tone(1.0)))
    finally:
        gate.set()
        holder.join(10)
        await client.close()
    assert isinstance(raised.value, sc.SpeechUnavailable) and raised.value.retry_after is not None


async def test_an_engine_failure_mid_way_is_engine_down(serve: ServeFactory) -> None:
    served = serve(engine=FakeEngine(fail_after=1))
    client = sc.SpeechClient(served.url)
    try:
        with pytest.raises(sc.SpeechEngineDown):
            await client.transcribe(wav_bytes(tone(12.0)))
    finally:
        await client.close()


@pytest.mark.parametrize(("body", "error"), [
    (b'{"type": "accepted"}\nnot json\n', sc.SpeechBadResponse),
    (b'{"type": "segment", "index": 0}\n', sc.SpeechBadResponse),
    (b'[1, 2]\n', sc.SpeechBadResponse),
    (b'{"type": "accepted"}\n', sc.SpeechUnreachable),  # the stream ended without its closing record
])
async def test_answers_that_are_not_the_services_ndjson_are_bad_responses(body: bytes, error: type[Exception]) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    client = sc.SpeechClient("http://speech.test", transport=transport)
    try:
        with pytest.raises(error):
            await client.transcribe(wav_bytes(tone(1.0)))
    finally:
        await client.close()
