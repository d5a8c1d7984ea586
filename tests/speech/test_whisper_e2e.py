"""The speech service end to end with the real model (Whisper base, int8, CPU) on real audio made here.

English from espeak-ng must come back with a WER of at most 25 %; real recorded Norwegian words
(Debian's ktuberling-data, fetched by .ci/run, never committed) with an aggregated CER of at most
30 %; silence and noise give no text. espeak's Norwegian voice is nearly unintelligible to Whisper,
so nothing here asserts on it. The model is loaded once per run (the ``whisper_engine`` fixture).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from tests.speech.conftest import Served
from tests.speech.samples import (
    encode,
    error_counts,
    error_rate,
    espeak_wav,
    ktuberling_nn,
    noise,
    silence,
    wav_bytes,
)

ENGLISH = ("The patient was admitted yesterday with pneumonia. She is treated with intravenous antibiotics, "
           "her temperature is now normal and she can go home tomorrow.")

# Recorded Nynorsk words from ktuberling-data: the file, and the word as a Nynorsk speaker says it
# (the file names are the English meaning; nouns come with their indefinite article).
NORWEGIAN_WORDS = {
    "egypt_boy.opus": "ein gut",
    "egypt_pyramid.opus": "ein pyramide",
    "egypt_road.opus": "ein veg",
    "moon_astronaut.opus": "ein astronaut",
    "moon_planet.opus": "ein planet",
    "pizzeria_cucumber.opus": "agurk",
    "pizzeria_pineapple.opus": "ananas",
    "tv_car.opus": "ein bil",
    "tv_shop.opus": "ein butikk",
    "tv_train.opus": "eit lokomotiv",
}


def transcribe(served: Served, body: bytes, content_type: str, **params: str) -> tuple[int, list[dict[str, Any]]]:
    with served.client(timeout=120) as client:
        response = client.post("/v1/transcriptions", content=body, headers={"Content-Type": content_type},
                               params=params)
    if response.status_code != 200:
        return response.status_code, [response.json()]
    return 200, [json.loads(line) for line in response.text.splitlines() if line.strip()]


def test_english_speech_comes_back_with_a_wer_of_at_most_25_percent(real_service: Served, tmp_path: Path) -> None:
    wav = espeak_wav(ENGLISH, tmp_path)
    status, events = transcribe(real_service, wav.read_bytes(), "audio/wav", language="en")
    assert status == 200
    done = events[-1]
    assert done["type"] == "done" and done["segments"] >= 1 and done["model"] == "whisper-base"
    assert done["model_quality"] == "weak"  # Whisper base on Norwegian: the app shows a marker
    segments = [e for e in events if e["type"] == "segment"]
    assert all(0.0 <= s["confidence"] <= 1.0 and s["band"] in ("low", "medium", "high") for s in segments)
    assert all(a["end"] <= b["start"] + 0.01 for a, b in itertools.pairwise(segments))
    wer = error_rate([(ENGLISH, done["text"])], "word")
    print(f"\nEnglish (espeak-ng) WER {wer:.1%}: {done['text']!r}")
    assert wer <= 0.25


def test_the_same_speech_as_webm_opus_from_a_browser_is_transcribed_alike(real_service: Served, tmp_path: Path) -> None:
    from speech_service.audio import read_file

    wav = espeak_wav(ENGLISH, tmp_path)
    webm = encode(read_file(str(wav)).samples, "webm", "libopus")
    status, events = transcribe(real_service, webm, "audio/webm;codecs=opus", language="en")
    assert status == 200
    assert error_rate([(ENGLISH, events[-1]["text"])], "word") <= 0.25


def test_recorded_norwegian_words_come_back_with_a_cer_of_at_most_30_percent(real_service: Served) -> None:
    folder = ktuberling_nn()
    pairs = []
    for name, expected in NORWEGIAN_WORDS.items():
        status, events = transcribe(real_service, (folder / name).read_bytes(), "audio/ogg")
        assert status == 200, (name, events)
        heard = events[-1]["text"]
        pairs.append((expected, heard))
        edits, length = error_counts(expected, heard, "char")
        print(f"\n{name}: {expected!r} -> {heard!r} ({edits}/{length})", end="")
    cer = error_rate(pairs, "char")
    print(f"\nNorwegian (ktuberling, {len(pairs)} words) CER {cer:.1%}")
    assert cer <= 0.30


def test_silence_gives_no_text(real_service: Served) -> None:
    status, events = transcribe(real_service, wav_bytes(silence(5.0)), "audio/wav")
    assert status == 422 and events[0]["error"] == "no-speech"


def test_background_noise_without_speech_gives_no_text(real_service: Served) -> None:
    status, events = transcribe(real_service, wav_bytes(noise(5.0, dbfs=-45)), "audio/wav")
    assert status == 200  # loud enough not to be called silence: the model's voice filter decides
    done = events[-1]
    assert done["type"] == "done" and done["text"] == "" and done["no_speech"] is True


def test_espeak_norwegian_is_accepted_though_its_text_is_not_judged(real_service: Served, tmp_path: Path) -> None:
    wav = espeak_wav("Pasienten har feber og hoste.", tmp_path, voice="nb", name="nb")
    status, events = transcribe(real_service, wav.read_bytes(), "audio/wav", ward="med")
    assert status == 200 and events[-1]["type"] == "done" and events[-1]["language"] == "no"
    assert events[-1]["vocabulary"] == "default"
