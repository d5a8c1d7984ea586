"""The speech service's HTTP API with the fake engine: the stream, options, limits, who may call, the queue."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from speech_service import api as api_mod
from speech_service.api import Limits, Request
from speech_service.app import ConfigError, SpeechConfig, SpeechService
from speech_service.audio import Audio
from speech_service.engine import ModelInfo, Segment
from speech_service.fake import FakeEngine
from tests.speech.conftest import SECRET, ServeFactory
from tests.speech.samples import noise, silence, tone, wav_bytes

WAV = {"Content-Type": "audio/wav"}


def lines(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def post(client: httpx.Client, body: bytes, headers: dict[str, str] | None = None, **params: str) -> httpx.Response:
    return client.post("/v1/transcriptions", content=body, headers=headers or WAV, params=params)


def test_a_dictation_comes_back_as_accepted_then_segments_then_done(serve: ServeFactory) -> None:
    engine = FakeEngine([Segment(0.0, 2.5, "Pasienten har feber.", -0.1, 0.01),
                         Segment(2.5, 6.0, "Starter antibiotika.", -0.9, 0.05)])
    served = serve(engine=engine)
    with served.client() as client:
        response = post(client, wav_bytes(tone(6.0)))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert response.headers.get("transfer-encoding") == "chunked"
    events = lines(response)
    assert [e["type"] for e in events] == ["accepted", "segment", "segment", "done"]
    assert events[0]["duration"] == pytest.approx(6.0, abs=0.01)
    first, second = events[1], events[2]
    assert (first["index"], first["start"], first["end"], first["text"]) == (0, 0.0, 2.5, "Pasienten har feber.")
    assert first["band"] == "high" and first["confidence"] > 0.75
    assert second["band"] == "low" and second["confidence"] < 0.45
    done = events[-1]
    assert done["text"] == "Pasienten har feber. Starter antibiotika."
    assert done["segments"] == 2 and done["no_speech"] is False and done["machine_transcribed"] is True
    assert (done["language"], done["model"], done["model_quality"]) == ("no", "fake", "unknown")


@dataclass
class HeldEngine:
    """Sends one segment, then waits for ``release`` before the second."""

    release: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    model: ModelInfo = field(default_factory=lambda: ModelInfo("held", "unknown"))

    def load(self) -> None:
        pass

    def transcribe(self, audio: Audio, *, language: str, initial_prompt: str | None) -> Iterator[Segment]:
        yield Segment(0.0, 1.0, "første", -0.1, 0.0)
        self.release.wait(30)
        yield Segment(1.0, 2.0, "andre", -0.1, 0.0)
        self.finished.set()


def test_segments_are_sent_as_they_are_made_not_when_the_dictation_is_done(serve: ServeFactory) -> None:
    engine = HeldEngine()
    served = serve(engine=engine)
    with served.client() as client, client.stream("POST", "/v1/transcriptions", content=wav_bytes(tone(2.0)),
                                                  headers=WAV) as response:
        received = response.iter_lines()
        assert json.loads(next(received))["type"] == "accepted"
        segment = json.loads(next(received))
        assert segment["text"] == "første"
        assert not engine.finished.is_set()  # the first segment arrived while the second was not yet made
        engine.release.set()
        rest = [json.loads(line) for line in received if line]
    assert [e["type"] for e in rest] == ["segment", "done"]


def test_health_tells_the_model_its_quality_and_the_limits(serve: ServeFactory) -> None:
    served = serve(engine=FakeEngine(model=ModelInfo("whisper-base", "weak")))
    with served.client() as client:
        health = client.get("/v1/health").json()
    assert health["status"] == "ok"
    assert (health["model"], health["model_quality"], health["language"]) == ("whisper-base", "weak", "no")
    assert health["max_seconds"] == 600 and health["max_bytes"] == Limits().max_bytes


def test_the_ward_picks_its_vocabulary_and_other_wards_get_the_default(serve: ServeFactory, tmp_path: Any) -> None:
    vocabulary = tmp_path / "vocabulary.toml"
    vocabulary.write_text('[wards.kir]\nname = "Kirurgisk sengepost"\nterms = ["laparoskopi", "anastomose"]\n')
    engine = FakeEngine()
    served = serve(engine=engine, vocabulary=vocabulary)
    body = wav_bytes(tone(1.0))
    with served.client() as client:
        kir = lines(post(client, body, ward="kir"))[-1]
        by_name = lines(post(client, body, ward="kirurgisk sengepost"))[-1]
        other = lines(post(client, body, ward="med"))[-1]
        english = lines(post(client, body, language="en", ward="kir"))[-1]
    assert (kir["vocabulary"], other["vocabulary"], english["vocabulary"]) == ("kir", "default", "none")
    assert by_name["vocabulary"] == "kirurgisk sengepost"
    prompts = [call.initial_prompt for call in engine.calls]
    assert prompts[0] is not None and prompts[0].endswith("laparoskopi, anastomose.")
    assert prompts[1] == prompts[0]
    assert prompts[2] is not None and "laparoskopi" not in prompts[2] and "Pneumoni" in prompts[2]
    assert prompts[3] is None  # a Norwegian prompt would pull English toward Norwegian
    assert [call.language for call in engine.calls] == ["no", "no", "no", "en"]


def test_a_language_the_service_does_not_offer_is_refused(serve: ServeFactory) -> None:
    served = serve()
    with served.client() as client:
        response = post(client, wav_bytes(tone(1.0)), language="xx")
    assert response.status_code == 400 and response.json()["error"] == "unsupported-language"


@pytest.mark.parametrize(("body", "headers", "status", "code"), [
    (b"", WAV, 400, "empty-recording"),
    (wav_bytes(silence(0)), WAV, 400, "empty-recording"),
    (wav_bytes(silence(3.0)), WAV, 422, "no-speech"),
    (b"this is not audio at all" * 100, WAV, 400, "unsupported-audio"),
    (wav_bytes(tone(1.0)), {"Content-Type": "text/plain"}, 415, "unsupported-audio"),
    (b"\x00\x01\x02", {"Content-Type": "audio/pcm; rate=16000"}, 400, "unsupported-audio"),
], ids=["no-bytes", "no-samples", "silence", "garbage", "not-audio-type", "odd-pcm"])
def test_recordings_that_cannot_be_transcribed_get_a_clear_error(
        serve: ServeFactory, body: bytes, headers: dict[str, str], status: int, code: str) -> None:
    engine = FakeEngine()
    served = serve(engine=engine)
    with served.client() as client:
        response = post(client, body, headers)
    assert response.status_code == status
    assert response.json()["error"] == code and response.json()["message"]
    assert engine.calls == []


def test_quiet_noise_is_not_called_silence_and_reaches_the_engine(serve: ServeFactory) -> None:
    engine = FakeEngine([])
    served = serve(engine=engine)
    with served.client() as client:
        events = lines(post(client, wav_bytes(noise(2.0, dbfs=-40))))
    assert events[-1]["type"] == "done" and events[-1]["no_speech"] is True and events[-1]["text"] == ""
    assert len(engine.calls) == 1


def test_a_recording_over_the_time_limit_is_refused_with_the_limit(serve: ServeFactory) -> None:
    served = serve(limits=Limits(max_seconds=2.0))
    with served.client() as client:
        response = post(client, wav_bytes(tone(2.5)))
    assert response.status_code == 413
    data = response.json()
    assert data["error"] == "too-long" and data["limit_seconds"] == 2.0 and "2 seconds" in data["message"]


def test_a_body_over_the_size_limit_is_refused_before_it_is_decoded(serve: ServeFactory) -> None:
    engine = FakeEngine()
    served = serve(engine=engine, limits=Limits(max_bytes=50_000))
    with served.client() as client:
        response = post(client, wav_bytes(tone(3.0)))  # 96 kB
        again = post(client, wav_bytes(tone(1.0)))  # the connection is still usable after the refusal
    assert response.status_code == 413 and response.json()["error"] == "too-long"
    assert again.status_code == 200 and len(engine.calls) == 1


def test_ten_minutes_is_the_default_limit(serve: ServeFactory) -> None:
    served = serve()
    with served.client() as client:
        over = post(client, wav_bytes(tone(600.5, level=0.1)))
        under = post(client, wav_bytes(tone(599.0, level=0.1)))
    assert over.status_code == 413 and "10 minutes" in over.json()["message"]
    assert under.status_code == 200


def test_with_a_secret_only_clients_sending_it_are_served(serve: ServeFactory) -> None:
    served = serve(secret=SECRET)
    body = wav_bytes(tone(1.0))
    with served.client() as anonymous, served.client("wrong-secret-of-same-length") as wrong, \
            served.client(SECRET) as right:
        assert post(anonymous, body).status_code == 401
        refused = post(wrong, body)
        assert anonymous.get("/v1/health").status_code == 401
        assert post(right, body).status_code == 200
        assert right.get("/v1/health").status_code == 200
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorised"
    assert refused.headers["www-authenticate"].startswith("Bearer")


def _request(client: str, path: str = "/v1/health", method: str = "GET") -> Request:
    return Request(method, path, [], {"content-type": "audio/wav"}, client, 0)


def test_only_loopback_clients_are_served_by_default() -> None:
    service = SpeechService.open(SpeechConfig(), FakeEngine())
    for address in ("10.1.2.3", "192.168.0.10", "2001:db8::1", "::ffff:10.1.2.3", "not-an-address"):
        response = service.api.handle(_request(address), lambda: b"")
        assert response.status == 403, address
        assert json.loads(bytes(response.body))["error"] == "forbidden-client"  # type: ignore[arg-type]
    for address in ("127.0.0.1", "127.5.5.5", "::1", "::ffff:127.0.0.1"):
        assert service.api.handle(_request(address), lambda: b"").status == 200, address


def test_allowed_networks_are_served_with_the_secret_and_others_are_not() -> None:
    service = SpeechService.open(SpeechConfig(allow=["10.20.0.0/16"], secret=SECRET), FakeEngine())
    inside = _request("10.20.3.4")
    authorised = Request("GET", "/v1/health", [], {"authorization": f"Bearer {SECRET}"}, "10.20.3.4", 0)
    assert service.api.handle(inside, lambda: b"").status == 401
    assert service.api.handle(authorised, lambda: b"").status == 200
    assert service.api.handle(_request("10.21.0.1"), lambda: b"").status == 403


@pytest.mark.parametrize(("settings", "message"), [
    ({"host": "0.0.0.0"}, "secret"),
    ({"allow": ["10.0.0.0/8"]}, "secret"),
    ({"secret": "short"}, "at least 16"),
    ({"allow": ["not-a-network"], "secret": SECRET}, "--allow"),
])
def test_unsafe_or_broken_configurations_do_not_start(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SpeechService.open(SpeechConfig(**settings), FakeEngine())


def test_unknown_paths_and_methods_are_refused(serve: ServeFactory) -> None:
    served = serve()
    with served.client() as client:
        assert client.get("/v1/nothing").status_code == 404
        wrong = client.get("/v1/transcriptions")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"


def test_beyond_the_queue_the_service_answers_busy_with_retry_after(
        serve: ServeFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api_mod, "HEARTBEAT_SECONDS", 0.05)
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    served = serve(engine=engine, limits=Limits(workers=1, queue=1))
    body = wav_bytes(tone(1.0))
    results: dict[str, list[dict[str, Any]]] = {}

    def dictate(name: str) -> None:
        with served.client() as client:
            results[name] = lines(post(client, body))

    first = threading.Thread(target=dictate, args=("first",))
    first.start()
    assert engine.started.wait(10)
    second = threading.Thread(target=dictate, args=("second",))
    second.start()
    with served.client() as client:
        for _ in range(200):  # until the second one is admitted and waiting
            if served.service.api.admission.admitted == 2:
                break
            threading.Event().wait(0.02)
        busy = post(client, body)
        threading.Event().wait(0.3)  # a few heartbeats' time for the second, which waits for the engine
    gate.set()
    first.join(10)
    second.join(10)
    assert busy.status_code == 503 and busy.json()["error"] == "busy"
    assert int(busy.headers["retry-after"]) >= 1
    assert results["first"][-1]["type"] == "done"
    assert "waiting" in [e["type"] for e in results["second"]]  # it heard from the service while it waited
    assert results["second"][-1]["type"] == "done"
    assert served.service.api.admission.admitted == 0


def test_a_client_that_hangs_up_mid_stream_frees_the_engine(serve: ServeFactory) -> None:
    engine = HeldEngine()
    served = serve(engine=engine, limits=Limits(workers=1, queue=0))
    with served.client() as client, client.stream("POST", "/v1/transcriptions", content=wav_bytes(tone(2.0)),
                                                  headers=WAV) as response:
        received = response.iter_lines()
        next(received)
        next(received)
    engine.release.set()  # the generator's next write fails, it is closed and the slot given back
    for _ in range(200):
        if served.service.api.admission.admitted == 0:
            break
        threading.Event().wait(0.02)
    follow = FakeEngine()
    served.service.api.engine = follow
    with served.client() as client:
        assert lines(post(client, wav_bytes(tone(1.0))))[-1]["type"] == "done"


def test_an_engine_failure_mid_stream_is_reported_and_the_service_keeps_serving(serve: ServeFactory) -> None:
    engine = FakeEngine(fail_after=1)
    served = serve(engine=engine)
    with served.client() as client:
        failed = lines(post(client, wav_bytes(tone(12.0))))
        engine.fail_after = None
        after = lines(post(client, wav_bytes(tone(1.0))))
    assert [e["type"] for e in failed] == ["accepted", "segment", "error"]
    assert failed[-1]["error"] == "engine-failed"
    assert after[-1]["type"] == "done"


def test_a_model_that_cannot_load_is_reported_not_hidden(serve: ServeFactory) -> None:
    served = serve(engine=FakeEngine(load_error="The speech model folder /x lacks model.bin"))
    with served.client() as client:
        health = client.get("/v1/health").json()
        response = post(client, wav_bytes(tone(1.0)))
    assert health["status"] == "unavailable" and "model.bin" in health["problem"]
    assert response.status_code == 503 and response.json()["error"] == "engine-unavailable"
    assert "retry-after" in response.headers


def test_chunked_uploads_are_refused_with_a_clear_message(serve: ServeFactory) -> None:
    served = serve()

    def chunks() -> Iterator[bytes]:
        yield wav_bytes(tone(1.0))

    with served.client() as client:
        response = client.post("/v1/transcriptions", content=chunks(), headers=WAV)
    assert response.status_code == 411 and response.json()["error"] == "length-required"


@pytest.mark.parametrize(("engine", "last"), [(FakeEngine(), "done"), (FakeEngine(fail_after=0), "error")])
def test_the_place_is_free_before_the_last_line_is_sent(engine: FakeEngine, last: str) -> None:
    """A phone that sends its next recording as soon as it reads the last line is not told "busy":
    the service frees the place before that line goes out, not when the connection closes."""
    service = SpeechService.open(SpeechConfig(), engine)
    body = wav_bytes(tone(1.0))
    request = Request("POST", "/v1/transcriptions", [], {"content-type": "audio/wav"}, "127.0.0.1", len(body))
    response = service.api.handle(request, lambda: body)
    assert response.status == 200 and not isinstance(response.body, bytes)
    stream = iter(response.body)
    assert json.loads(next(stream))["type"] == "accepted"
    assert service.api.admission.admitted == 1
    *_, final = stream  # every line, as the server sends them; it has not closed the response yet
    assert json.loads(final)["type"] == last
    assert service.api.admission.admitted == 0
