"""The dictation panel's state without a page: recording (pause, resume, limit, empty), the speech
service's transcript into the note draft (marked, and not signed until checked), every speech
failure as a message with "send for transcription" still open, and "Send til skriving" through the
outbox with nothing of the recording kept once delivered."""

from __future__ import annotations

import io
import math
import random
import struct
import wave
from collections.abc import Iterator

import av
import numpy as np
import pytest

from mobile_app.domain.dictation import (
    SPEECH_FORMAT,
    PcmFormat,
    RecorderState,
    Recording,
    format_for,
    level_of,
    stereo_verdict,
)
from mobile_app.domain.media import DictationDraft
from mobile_app.epj.errors import Offline
from mobile_app.services.audio_encode import encode_recording, to_speech_pcm
from mobile_app.services.outbox_items import ItemState
from mobile_app.services.speech_client import SpeechClient
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.dictation import DictationScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.dictation import DictationState, dictation_for
from mobile_app.ui.viewmodels.note_editor import NoteEditorState
from speech_service.app import SpeechConfig, SpeechService
from speech_service.fake import FakeEngine
from tests.support.fake_epj import FakeClient
from tests.support.screens import render, texts

T = Messages("nb")

RATE = 16_000


def tone(seconds: float, loud: bool = True) -> bytes:
    amplitude = 6000 if loud else 0
    return b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 300 * i / RATE)))
                    for i in range(int(seconds * RATE)))


@pytest.fixture(scope="module")
def speech_url() -> Iterator[str]:
    service = SpeechService.open(SpeechConfig(port=0), FakeEngine())
    running = service.start(load_in_background=False)
    service.load()
    yield running.url
    running.stop()


def dictation(app: AppState, speech: SpeechClient | None = None) -> DictationState:
    assert app.ctx.outbox is not None
    if speech is not None:
        app.ctx.speech = speech
    return DictationState(app.ctx, app.ctx.outbox, "p1", "Kari Nordmann", ward_id="ward-med")


def record(state: DictationState, seconds: float, loud: bool = True) -> None:
    state.started(True)
    pcm = tone(seconds, loud)
    for start in range(0, len(pcm), 3200):
        state.chunk(pcm[start:start + 3200])
    if state.state is RecorderState.RECORDING:
        state.stop()


def pcm_tone(seconds: float, fmt: PcmFormat, hz: float = 440.0, distinct: bool = False) -> bytes:
    """A sine at ``fmt`` (interleaved; both channels alike, as a browser copies a mono microphone, or
    with ``distinct`` the right channel an octave up)."""
    n = int(seconds * fmt.rate)
    t = np.arange(n) / fmt.rate
    left = 8000 * np.sin(2 * np.pi * hz * t)
    right = 8000 * np.sin(2 * np.pi * 2 * hz * t) if distinct else left
    frames = np.stack([left, right][: fmt.channels], axis=1)
    return frames.astype("<i2").tobytes()


def peak_hz(pcm: bytes, rate: int) -> float:
    x = np.frombuffer(pcm, "<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[int(np.argmax(spectrum[1:])) + 1])


def stream(pcm: bytes, fmt: PcmFormat, chunk_frames: int = 2048, seed: int = 1,
           start: float = 1000.0) -> Iterator[tuple[bytes, float]]:
    """Chunks as a browser's worklet sends them, each with its arrival time: when its last sample was
    recorded, late by up to 30 ms of network and event-loop jitter (the first one by 80 ms)."""
    rng = random.Random(seed)
    size = chunk_frames * fmt.frame
    for index, begin in enumerate(range(0, len(pcm), size)):
        part = pcm[begin:begin + size]
        recorded = (begin + len(part)) / fmt.bytes_per_second
        yield part, start + recorded + (0.08 if index == 0 else rng.uniform(0, 0.03))


def test_pcm_at_48_khz_stereo_becomes_16_khz_mono_with_the_same_tone_and_length() -> None:
    stereo = pcm_tone(3.3, PcmFormat(48_000, 2), hz=440)
    mono = to_speech_pcm(stereo, 48_000, 2)
    assert len(mono) / 2 / 16_000 == pytest.approx(3.3, abs=0.01)
    assert peak_hz(mono, 16_000) == pytest.approx(440, abs=2)
    assert np.abs(np.frombuffer(mono, "<i2")[200:-200]).max() == pytest.approx(8000, rel=0.05)  # averaged, not summed
    # 44.1 kHz too (not a whole ratio), and what is sent decodes as 16 kHz-coded mono of the same length.
    audio = encode_recording(pcm_tone(2.0, PcmFormat(44_100, 2), hz=1000), 44_100, 2)
    assert audio.content_type == "audio/ogg" and audio.duration == pytest.approx(2.0)
    with av.open(io.BytesIO(audio.data), mode="r") as container:
        coded = container.streams.audio[0]
        assert coded.channels == 1
        frames = [f.to_ndarray() for f in container.decode(coded)]
        decoded_rate = coded.rate
    samples = np.concatenate(frames, axis=1)[0]
    assert len(samples) / decoded_rate == pytest.approx(2.0, abs=0.03)
    pcm16 = (samples * 32767).astype("<i2").tobytes() if samples.dtype.kind == "f" else samples.astype("<i2").tobytes()
    assert peak_hz(pcm16, decoded_rate) == pytest.approx(1000, abs=3)


def test_the_format_is_told_from_byte_rate_and_channels() -> None:
    assert format_for(176_400 * 1.03, stereo=True) == PcmFormat(44_100, 2)
    assert format_for(192_000 * 0.97, stereo=True) == PcmFormat(48_000, 2)
    assert format_for(96_000, stereo=False) == PcmFormat(48_000, 1)
    assert format_for(96_000, stereo=True) == PcmFormat(24_000, 2)
    assert format_for(32_000, stereo=None) == SPEECH_FORMAT  # silence: what was asked
    assert format_for(1e9, stereo=None) is None  # chunks all at once: no evidence
    assert stereo_verdict(pcm_tone(0.1, PcmFormat(44_100, 2))) is True
    assert stereo_verdict(pcm_tone(0.1, PcmFormat(44_100, 2), distinct=True)) is True
    assert stereo_verdict(pcm_tone(0.1, PcmFormat(48_000, 1))) is False
    assert stereo_verdict(pcm_tone(0.1, PcmFormat(16_000, 1), hz=3000)) is False
    assert stereo_verdict(bytes(4096)) is None


@pytest.mark.parametrize("real", [PcmFormat(44_100, 2), PcmFormat(48_000, 2), PcmFormat(48_000, 1),
                                  PcmFormat(24_000, 2), PcmFormat(16_000, 1), PcmFormat(22_050, 1)])
def test_a_recording_finds_the_format_the_browser_really_sent(real: PcmFormat) -> None:
    """Asked for 16 kHz mono; the browser sends what its microphone track gives. The arrival times
    (with jitter) and the samples tell which, and the elapsed time is the real one."""
    recording = Recording()
    recording.start()
    pcm = pcm_tone(4.0, real, hz=300)
    for part, at in stream(pcm, real):
        recording.add(part, at)
    recording.stop()
    assert recording.format == real and recording.measured
    assert recording.elapsed == pytest.approx(4.0, abs=0.05)


def test_a_pause_starts_a_new_run_of_arrival_times() -> None:
    real = PcmFormat(44_100, 2)
    recording = Recording()
    recording.start()
    pcm = pcm_tone(1.5, real)
    for part, at in stream(pcm, real):
        recording.add(part, at)
    recording.pause()
    for part, at in stream(pcm, real, start=2000.0, seed=2):  # 1000 s later: not part of the slope
        recording.add(part, at)
    assert recording.elapsed == pytest.approx(1.5)  # paused: nothing kept
    recording.resume()
    for part, at in stream(pcm, real, start=3000.0, seed=3):
        recording.add(part, at)
    recording.stop()
    assert recording.format == real and recording.elapsed == pytest.approx(3.0, abs=0.05)


def test_chunks_without_times_or_at_an_impossible_speed_keep_the_asked_format() -> None:
    recording = Recording()
    recording.start()
    pcm = pcm_tone(2.0, PcmFormat(44_100, 2))
    for index, begin in enumerate(range(0, len(pcm), 8192)):
        recording.add(pcm[begin:begin + 8192], 5.0 + index * 1e-4)  # all within a few ms: no evidence
    assert recording.format == SPEECH_FORMAT and not recording.measured


async def test_a_browser_recording_reaches_the_speech_service_with_its_real_length(
        writer: AppState, speech_url: str) -> None:
    """44.1 kHz stereo for 7 s, as Chromium sends it when asked for 16 kHz mono: the fake engine
    gives one word per started 5 s of what it decodes, so two words, not eight (it heard 39 s when
    the recording was taken for 16 kHz mono)."""
    speech = SpeechClient(speech_url)
    state = dictation(writer, speech)
    state.started(True)
    real = PcmFormat(44_100, 2)
    for part, at in stream(pcm_tone(7.0, real), real):
        state.chunk(part, at)
    state.stop()
    assert state.audio is not None and state.audio.duration == pytest.approx(7.0, abs=0.1)
    transcript = await state.transcribe()
    await speech.close()
    assert transcript is not None and transcript.text == "ord 1 ord 2"


async def test_a_finished_recording_plays_back_from_memory_until_it_is_sent(writer: AppState) -> None:
    state = dictation(writer)
    state.started(True)
    real = PcmFormat(48_000, 2)
    for part, at in stream(pcm_tone(2.5, real, hz=500), real):
        state.chunk(part, at)
        assert not state.may_play and state.play() is None  # not while recording
    state.stop()
    assert state.may_play and not state.playing
    source = state.play()
    assert state.playing and source is not None
    with wave.open(io.BytesIO(source)) as played:  # a WAV in memory: 16 kHz mono, as long as recorded
        assert (played.getframerate(), played.getnchannels()) == (16_000, 1)
        assert played.getnframes() / 16_000 == pytest.approx(2.5, abs=0.02)
        assert peak_hz(played.readframes(played.getnframes()), 16_000) == pytest.approx(500, abs=2)
    state.stop_playing()  # the player reached the end, or the author stopped it
    assert not state.playing and state.may_play
    state.play()
    state.rerecord()  # re-recording stops the play-back and drops the recording
    assert not state.playing and not state.may_play and state.play() is None
    record(state, 2)
    state.play()
    item = await state.send_to_writing()
    assert item is not None and item.state is ItemState.SENT
    assert not state.playing and not state.may_play  # delivered: nothing left on the phone to play


def test_the_meter_follows_the_sound_and_pause_records_nothing() -> None:
    assert level_of(tone(0.1, loud=False)) == 0.0
    assert 0.5 < level_of(tone(0.1)) <= 1.0
    recording = Recording()
    recording.start()
    recording.add(tone(1.0))
    recording.pause()
    recording.add(tone(1.0))  # while paused: not kept
    recording.resume()
    recording.add(tone(0.5))
    assert recording.elapsed == pytest.approx(1.5)


def test_the_recording_stops_itself_at_the_limit_and_says_so(writer: AppState) -> None:
    state = dictation(writer)
    state.recording = Recording(limit_seconds=2)
    record(state, 3)
    assert state.state is RecorderState.RECORDED and state.elapsed == pytest.approx(2)
    assert state.notice is not None and state.notice.key == "dictation.limit_reached"
    assert state.audio is not None and state.audio.duration == pytest.approx(2)


def test_a_silent_or_refused_recording_gives_a_clear_message(writer: AppState) -> None:
    state = dictation(writer)
    state.started(False)
    assert state.problem is not None and state.problem.key == "dictation.no_permission"
    record(state, 2, loud=False)
    assert state.problem is not None and state.problem.key == "dictation.empty"
    assert state.audio is None and not state.may_send


async def test_the_transcript_goes_into_the_draft_marked_and_is_signed_only_when_checked(
        writer: AppState, speech_url: str) -> None:
    speech = SpeechClient(speech_url)
    state = dictation(writer, speech)
    record(state, 6)
    transcript = await state.transcribe()
    await speech.close()
    assert transcript is not None and transcript.text == "ord 1 ord 2"
    assert writer.ctx.outbox is not None
    editor = NoteEditorState(writer.ctx, writer.ctx.outbox, "p1", "Kari Nordmann", text="Innledning.")
    editor.add_transcript(transcript)
    assert editor.text == "Innledning.\nord 1 ord 2" and editor.machine is transcript
    assert await editor.save(sign=True) is None
    assert editor.problem is not None and editor.problem.key == "dictation.check_before_signing"
    editor.set_machine_checked(True)
    signed = await editor.save(sign=True)
    assert signed is not None and signed.state is ItemState.SENT


@pytest.mark.parametrize("url", [None, "http://127.0.0.1:9"])
async def test_without_a_speech_service_the_dictation_still_goes_to_the_secretaries(
        writer: AppState, client: FakeClient, url: str | None) -> None:
    speech = SpeechClient(url) if url else None
    state = dictation(writer)
    writer.ctx.speech = speech
    record(state, 2)
    assert await state.transcribe() is None
    assert state.problem is not None
    assert state.problem.key == ("dictation.speech.unreachable" if url else "dictation.speech.not_configured")
    item = await state.send_to_writing()
    assert item is not None and item.state is ItemState.SENT
    (arrived,) = client.dictations.values()
    assert arrived.ward_id == "ward-med" and arrived.audio.startswith(b"OggS")
    assert isinstance(item.payload, DictationDraft) and item.payload.audio == b""  # not kept once delivered
    assert state.audio is None and state.recording.pcm == bytearray()
    if speech is not None:
        await speech.close()


async def test_offline_the_dictation_waits_in_the_outbox_with_its_audio(writer: AppState, client: FakeClient) -> None:
    state = dictation(writer)
    record(state, 2)
    client.write_fail = Offline("no network", request_sent=False)
    item = await state.send_to_writing()
    assert item is not None and item.state is ItemState.WAITING
    assert isinstance(item.payload, DictationDraft) and item.payload.audio  # kept until delivered
    assert state.audio is not None
    assert state.state is RecorderState.RECORDED


def test_every_step_of_the_recording_reaches_the_screen(writer: AppState) -> None:
    """The recording is a plain domain object: the panel re-renders only when the state says it changed
    (in the browser the buttons stayed at "Start opptak" while the recorder ran, before this)."""
    state = dictation(writer)
    seen: list[str | None] = []

    def listener(sender: object, attribute: str | None) -> None:
        seen.append(attribute)

    state.subscribe(listener)  # type: ignore[attr-defined]  # (held weakly: ``listener`` keeps it alive)
    state.started(True)
    state.chunk(tone(0.2))
    state.pause()
    state.resume()
    state.stop()
    assert seen.count("changes") >= 5



async def test_a_status_line_says_in_words_what_the_recorder_does(writer: AppState) -> None:
    """Recording, paused, done or playing back: said in words, not only by which buttons show (on a
    shared phone at night a doctor must see at a glance whether the phone is listening), and whom
    the dictation is about."""
    screen = await writer.open_patient("p1")
    state = dictation_for(writer.ctx, screen)
    assert state is not None

    def status() -> list[str]:
        shown = list(texts(render(DictationScreen, writer, state, T)))
        assert "Kari Nordmann" in shown and "048350 12345" in shown  # the banner, at every step
        return [text for key in ("idle", "recording", "paused", "recorded", "playing")
                if (text := T(f"dictation.status.{key}")) in shown]

    assert status() == ["Trykk «Start opptak» og snakk."]
    state.started(True)
    state.chunk(tone(0.5))
    assert status() == ["Tar opp"]
    state.pause()
    assert status() == ["Opptaket står på pause"]
    state.resume()
    state.stop()
    assert status() == [T("dictation.status.recorded")]
    assert state.play() is not None
    assert status() == ["Spiller av opptaket"]
    state.stop_playing()
    assert status() == [T("dictation.status.recorded")]


def test_without_a_banner_the_dictation_still_names_the_patient(writer: AppState) -> None:
    state = dictation(writer)  # opened with a name only
    assert state.banner is None
    assert "Diktat om Kari Nordmann" in list(texts(render(DictationScreen, writer, state, T)))
    state.forget()  # logout: nothing of the patient is left to show
    assert not any("Kari" in text for text in texts(render(DictationScreen, writer, state, T)))
