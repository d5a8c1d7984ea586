"""Decoding uploads: the containers phones and browsers record, raw PCM, limits, silence."""

from __future__ import annotations

import numpy as np
import pytest

from speech_service import audio
from tests.speech.samples import encode, noise, silence, tone, wav_bytes


@pytest.mark.parametrize(("container", "codec"), [
    ("webm", "libopus"),   # browsers' MediaRecorder
    ("ogg", "libopus"),
    ("ipod", "aac"),       # .m4a: Android's AAC recorder
    ("adts", "aac"),       # raw AAC
    ("flac", "flac"),
    ("mp3", "libmp3lame"),
    ("wav", "pcm_s16le"),
])
def test_recorders_formats_decode_to_16_khz_mono_of_the_right_length(container: str, codec: str) -> None:
    decoded = audio.decode(encode(tone(3.0), container, codec), max_seconds=60)
    assert decoded.duration == pytest.approx(3.0, abs=0.1)
    assert decoded.samples.dtype == np.float32
    assert -20 < decoded.loudest_dbfs() < -10  # a 0.3 sine is -13.5 dBFS


def test_stereo_44_khz_wav_is_mixed_down_and_resampled() -> None:
    decoded = audio.decode(wav_bytes(tone(2.0, rate=44_100), rate=44_100, channels=2))
    assert decoded.duration == pytest.approx(2.0, abs=0.01)


def test_raw_pcm_needs_no_container() -> None:
    pcm = (tone(1.5, rate=8000) * 32767).astype("<i2").tobytes()
    decoded = audio.decode_pcm16(pcm, rate=8000)
    assert decoded.duration == pytest.approx(1.5, abs=0.01)


def test_decoding_stops_at_the_limit_however_small_the_file() -> None:
    long_opus = encode(silence(30.0) + 0.01, "webm", "libopus")  # about 30 kB for 30 s
    with pytest.raises(audio.AudioTooLong) as raised:
        audio.decode(long_opus, max_seconds=10)
    assert raised.value.limit_seconds == 10 and "10 seconds" in str(raised.value)
    with pytest.raises(audio.AudioTooLong, match="2 minutes"):
        audio.decode_pcm16(b"\0\0" * 16_000 * 121, max_seconds=120)


@pytest.mark.parametrize("data", [b"", b"RIFF", b"\x1aE\xdf\xa3" + b"\0" * 64, b"garbage" * 1000])
def test_empty_truncated_and_foreign_bytes_are_audio_errors(data: bytes) -> None:
    with pytest.raises(audio.AudioError):
        audio.decode(data)


def test_silence_and_speech_levels_are_told_apart() -> None:
    assert audio.Audio(silence(2.0)).is_silent()
    assert audio.Audio(noise(2.0, dbfs=-70)).is_silent()
    assert not audio.Audio(noise(2.0, dbfs=-45)).is_silent()
    assert not audio.Audio(np.concatenate([silence(5.0), tone(0.1)])).is_silent()  # one short word is enough
