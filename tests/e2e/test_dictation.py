"""Dictation in the browser: Chromium's fake microphone plays an espeak-ng
recording made here into flet-audio-recorder; the app (``--speech --speech-engine fake``) gets the
fake engine's words ("ord 1", "ord 2", ...) into the note draft, marked machine-transcribed, and the
note is signed only once the author has corrected it and ticked that it is checked. (Clinical
photos, by camera and by file, are in test_photos.py.)"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.support.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    PHONE,
    RunningApp,
    SeedFacts,
    logged_in,
    open_app,
    open_ward_patient,
    scroll_until_visible,
    shot,
    showing,
    start_app,
    type_into,
)
from tests.support.database import copy_db

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def speech_app(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    db = copy_db(seeded_db, tmp_path_factory.mktemp("e2e-dictation") / "epj.sqlite3")
    running = start_app(db, "--speech", "--speech-engine", "fake")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def spoken_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight seconds or so of English speech at 16 kHz mono: what the fake microphone plays."""
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        message = f"install {' and '.join(missing)} (apt-get install espeak-ng sox) for the dictation browser test"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("voice")
    raw, wav = folder / "raw.wav", folder / "dictation.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-s", "140", "-w", str(raw),
                    "The patient is better today. Temperature is normal and she walks with a frame. "
                    "Continue the antibiotics for two more days."], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
    return wav


@pytest.fixture(scope="module")
def media_browser(playwright_instance: Playwright, spoken_wav: Path) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=[
        *LAUNCH_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={spoken_wav}"])
    yield browser
    browser.close()


@pytest.fixture
def media_page(media_browser: Browser, speech_app: RunningApp) -> Iterator[Page]:
    page = open_app(media_browser, speech_app.url, PHONE)
    page.context.grant_permissions(["microphone", "camera"], origin=speech_app.url.rstrip("/"))
    yield page
    page.context.close()


def _resources(app: RunningApp, kind: str) -> list[dict[str, object]]:
    db = sqlite3.connect(app.db)
    try:
        rows = db.execute("SELECT body FROM resources WHERE type=? AND deleted=0", (kind,)).fetchall()
    finally:
        db.close()
    return [json.loads(body) for (body,) in rows]


def _note_texts(app: RunningApp) -> list[str]:
    found = []
    for document in _resources(app, "DocumentReference"):
        for content in document.get("content", []):  # type: ignore[attr-defined]
            data = content.get("attachment", {}).get("data")
            if data and content["attachment"].get("contentType", "").startswith("text"):
                found.append(base64.b64decode(data).decode("utf-8", "replace"))
    return found


def test_dictate_from_the_note_editor_correct_tick_and_sign(
        media_page: Page, speech_app: RunningApp, facts: SeedFacts) -> None:
    page = media_page
    logged_in(page)
    open_ward_patient(page, facts)
    page.get_by_role("tab", name="Notater").click()
    page.get_by_role("button", name="Nytt journalnotat").click(timeout=10_000)
    type_into(page, "Tekst", "Visitt.")
    dictate = page.get_by_role("button", name="Dikter")
    scroll_until_visible(page, dictate)
    dictate.click()
    page.get_by_role("button", name="Start opptak").click(timeout=10_000)
    expect(page.get_by_role("button", name="Stopp opptak")).to_be_visible(timeout=10_000)
    page.wait_for_timeout(7_000)  # the fake microphone plays the spoken file
    shot(page, "90-dictation-recording")
    page.get_by_role("button", name="Stopp opptak").click()
    page.get_by_role("button", name="Skriv om til tekst").click(timeout=10_000)
    # Back in the editor: the fake engine's words after what was typed, marked as machine-transcribed.
    # It says one word per started 5 s of the audio it decoded: about 7 s recorded is two words.
    # (Chromium sends 44.1 kHz stereo whatever is asked; taken for 16 kHz mono it was 39 s, 8 words.)
    field = page.get_by_role("textbox", name="Tekst")
    expect(field).to_have_value(re.compile(r"^Visitt\.\nord 1"), timeout=20_000)
    assert field.input_value() == "Visitt.\nord 1 ord 2"
    marker = showing(page, "Maskinelt transkribert")
    scroll_until_visible(page, marker)
    shot(page, "91-dictation-in-draft")
    # The author corrects the text; signing is refused until the check is ticked.
    correction = f" Rettet {uuid.uuid4().hex[:6]}."
    type_into(page, "Tekst", correction)
    page.keyboard.press("End")
    page.get_by_role("button", name="Signer og send").click()
    expect(showing(page, "Kontroller den maskintranskriberte teksten")).to_be_visible(timeout=10_000)
    assert not any(correction.strip() in text for text in _note_texts(speech_app))
    check = page.get_by_role("checkbox", name="Jeg har kontrollert teksten")
    scroll_until_visible(page, check)
    check.click()
    expect(check).to_be_checked(timeout=5_000)
    page.get_by_role("button", name="Signer og send").click()
    expect(page.get_by_role("tab", name="Dokumenter")).to_have_attribute("aria-selected", "true", timeout=15_000)
    shot(page, "92-dictated-note-signed")
    (signed,) = [text for text in _note_texts(speech_app) if correction.strip() in text]
    assert signed.startswith("Visitt.\nord 1")


def test_a_dictation_is_sent_for_transcription(media_page: Page, speech_app: RunningApp, facts: SeedFacts) -> None:
    page = media_page
    logged_in(page)
    open_ward_patient(page, facts)
    before = len(_resources(speech_app, "Task"))
    before_docs = _resources(speech_app, "DocumentReference")
    dictate = page.get_by_role("button", name="Dikter")
    scroll_until_visible(page, dictate)
    dictate.click()
    page.get_by_role("button", name="Start opptak").click(timeout=10_000)
    stop = page.get_by_role("button", name="Stopp opptak")
    expect(stop).to_be_visible(timeout=10_000)
    began = time.monotonic()  # the recorder runs (the button changed once it started)
    page.wait_for_timeout(3_000)
    expect(showing(page, re.compile(r"Opptakstid 0:0[2-4] av 10:00"))).to_be_visible(timeout=2_000)
    stop.click(timeout=10_000)
    expect(page.get_by_role("button", name="Send til skriving")).to_be_visible(timeout=10_000)
    recorded = time.monotonic() - began
    # Played back before sending (from memory): the button turns to stop, and back when it has played.
    page.get_by_role("button", name="Spill av").click(timeout=10_000)
    expect(page.get_by_role("button", name="Stopp avspilling")).to_be_visible(timeout=10_000)
    shot(page, "93-dictation-playing")
    expect(page.get_by_role("button", name="Spill av")).to_be_visible(timeout=15_000)
    page.get_by_role("button", name="Send til skriving").click(timeout=10_000)
    expect(showing(page, "Diktatet er sendt til skriving")).to_be_visible(timeout=15_000)
    shot(page, "93-dictation-sent")
    expect(page.get_by_role("button", name="Spill av")).to_have_count(0)  # delivered: nothing kept to play
    tasks = _resources(speech_app, "Task")
    assert len(tasks) == before + 1
    dictations = [d for d in _resources(speech_app, "DocumentReference")
                  if any(c.get("attachment", {}).get("contentType", "").startswith("audio")
                         for c in d.get("content", []))]  # type: ignore[attr-defined]
    # What was sent is 16 kHz-coded mono Opus as long as the recording really was (Chromium's 44.1 kHz
    # stereo converted, not taken for 16 kHz mono, which made 3 s into 16 s).
    (sent,) = [d for d in dictations if d not in before_docs]
    attachment = sent["content"][0]["attachment"]  # type: ignore[index]
    assert attachment["contentType"] == "audio/ogg"
    with av.open(io.BytesIO(base64.b64decode(attachment["data"])), mode="r") as container:
        stream = container.streams.audio[0]
        assert stream.channels == 1 and stream.codec_context.name == "opus"
        samples = sum(int(frame.samples) for frame in container.decode(stream))
        rate = stream.rate
    assert abs(samples / rate - recorded) < 1.0, (samples / rate, recorded)
