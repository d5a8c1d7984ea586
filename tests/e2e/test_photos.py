"""Clinical photos in the browser. Chromium's fake camera plays a feed drawn here (a wound-red
pattern with a white "SÅR" across the middle, as Motion JPEG) into flet-camera: a photo is taken
with the shutter, described and sent, shows on the patient's Bilder screen, and the EPJ holds
exactly one Media for it, a JPEG with no EXIF whose colours are the feed's. Without a camera, and
with the camera permission refused, the screen says so and a file can be picked instead; a picked
file goes the same way."""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageStat
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
    type_into,
)
from tests.support.live_epj import token

pytestmark = pytest.mark.e2e

WOUND_RED = (178, 54, 46)
FEED_SIZE = (1280, 720)
FAKE_MEDIA = ["--use-fake-device-for-media-stream"]


MARKER = (240, 220, 40)  # a yellow block at the feed's left edge only: shows which way round a picture is
BOLD_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _feed_frame() -> Image.Image:
    """What the fake camera sees: wound red with darker stripes at the top, a yellow block at the
    left edge and a white "SÅR" across the middle."""
    frame = Image.new("RGB", FEED_SIZE, WOUND_RED)
    draw = ImageDraw.Draw(frame)
    for x in range(200, FEED_SIZE[0], 160):
        draw.rectangle((x, 0, x + 40, 120), fill=(120, 30, 26))
    draw.rectangle((0, 0, 120, FEED_SIZE[1]), fill=MARKER)
    font = ImageFont.truetype(str(BOLD_FONT), 240) if BOLD_FONT.exists() else ImageFont.load_default(size=260)
    draw.text((FEED_SIZE[0] // 2 + 60, FEED_SIZE[1] // 2), "SÅR", fill="white", font=font, anchor="mm")
    return frame


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fake camera's file: the frame as Motion JPEG (the same JPEG repeated)."""
    buffer = io.BytesIO()
    _feed_frame().save(buffer, "JPEG", quality=90)
    path = tmp_path_factory.mktemp("camera") / "sår.mjpeg"
    path.write_bytes(buffer.getvalue() * 30)
    return path


def _browser(playwright: Playwright, *args: str) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*LAUNCH_ARGS, *args])


@pytest.fixture(scope="module")
def camera_browser(playwright_instance: Playwright, feed: Path) -> Iterator[Browser]:
    """A browser whose camera is the feed, the permission granted without asking."""
    browser = _browser(playwright_instance, "--use-fake-ui-for-media-stream", *FAKE_MEDIA,
                       f"--use-file-for-fake-video-capture={feed}")
    yield browser
    browser.close()


def _bilder(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    open_ward_patient(page, facts)
    photos = page.get_by_role("button", name="Bilder")
    scroll_until_visible(page, photos)
    photos.click()
    page.get_by_role("button", name="Ta bilde").wait_for(timeout=10_000)


def _describe_and_send(page: Page, description: str, site: str) -> None:
    type_into(page, "Beskrivelse", description)
    type_into(page, "Sted på kroppen", site)
    page.get_by_role("button", name="Lagre bilde i journalen").click()
    expect(showing(page, description)).to_be_visible(timeout=15_000)
    expect(showing(page, "Venter på sending")).to_have_count(0, timeout=15_000)


def _media_with(app: RunningApp, patient_id: str, description: str) -> list[dict[str, Any]]:
    """The patient's Media whose note is ``description``, read as lege1 through the FHIR API."""
    response = httpx.get(f"{app.epj_url}/Media", params={"patient": patient_id, "_count": "100"},
                         headers={"Authorization": f"Bearer {token(app)}"}, timeout=10)
    response.raise_for_status()
    found = [entry["resource"] for entry in response.json().get("entry", [])]
    return [m for m in found if any(n.get("text") == description for n in m.get("note", []))]


def _stored_image(media: dict[str, Any]) -> bytes:
    content = media["content"]
    assert content["contentType"] == "image/jpeg"
    return base64.b64decode(content["data"])


def test_a_photo_taken_with_the_camera_is_on_the_bilder_screen_and_in_the_record(
        camera_browser: Browser, own_server: RunningApp, facts: SeedFacts) -> None:
    page = open_app(camera_browser, own_server.url, PHONE)
    try:
        _bilder(page, facts)
        page.get_by_role("button", name="Ta bilde").click()
        shutter = page.get_by_role("button", name="Ta bildet")
        expect(shutter).to_be_enabled(timeout=20_000)  # the camera started
        expect(page.get_by_role("button", name="Velg bildefil")).to_be_visible()  # the other way, beside it
        box = shutter.bounding_box()
        assert box is not None and box["height"] >= 48 and box["width"] >= 48, box
        page.wait_for_timeout(1_500)  # a few frames of the feed in the preview
        shot(page, "96-photo-camera")
        shutter.click()
        expect(page.get_by_role("textbox", name="Beskrivelse")).to_be_visible(timeout=15_000)
        description = f"Sår sete {uuid.uuid4().hex[:6]}"
        _describe_and_send(page, description, "Sete")
        shot(page, "97-photo-taken-on-bilder")
    finally:
        page.context.close()

    (media,) = _media_with(own_server, facts.med_patient["id"], description)  # exactly one
    assert media["bodySite"]["text"] == "Sete"
    raw = _stored_image(media)
    assert raw[:3] == b"\xff\xd8\xff" and b"Exif" not in raw  # a JPEG with no EXIF segment
    image = Image.open(io.BytesIO(raw))
    assert image.format == "JPEG" and not image.getexif()
    # The colours are the feed's, not a blank or test-pattern frame: wound red on the whole, and the
    # white "SÅR" makes the middle band brighter than the red above and below it.
    rgb = image.convert("RGB")
    red, green, blue = ImageStat.Stat(rgb).mean
    assert red > 140 and red > green + 50 and red > blue + 50, (red, green, blue)
    width, height = rgb.size
    middle = ImageStat.Stat(rgb.crop((width // 4, height * 2 // 5, width * 3 // 4, height * 3 // 5))).mean
    lower = ImageStat.Stat(rgb.crop((0, height * 4 // 5, width, height))).mean
    assert sum(middle) > sum(lower) + 60, (middle, lower)
    # The right way round (the browser's camera gives it mirrored; the app turns it back): the yellow
    # block is at the left edge, as in the feed.
    left = ImageStat.Stat(rgb.crop((0, 0, width // 20, height))).mean
    right = ImageStat.Stat(rgb.crop((width - width // 20, 0, width, height))).mean
    assert left[1] > 150 and right[1] < 100, (left, right)
    assert abs(width / height - FEED_SIZE[0] / FEED_SIZE[1]) < 0.05, (width, height)


def _jpeg(path: Path) -> Path:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (190, 90, 70)).save(out, "JPEG")
    path.write_bytes(out.getvalue())
    return path


def _pick_and_send(page: Page, own_server: RunningApp, facts: SeedFacts, tmp_path: Path, name: str,
                   button: str) -> None:
    with page.expect_file_chooser(timeout=10_000) as chooser:
        page.get_by_role("button", name=button).click()
    chooser.value.set_files(str(_jpeg(tmp_path / "sår.jpg")))
    description = f"{name} {uuid.uuid4().hex[:6]}"
    _describe_and_send(page, description, "Venstre legg")
    assert len(_media_with(own_server, facts.med_patient["id"], description)) == 1


def test_without_a_camera_the_screen_says_so_and_a_file_is_picked_instead(
        playwright_instance: Playwright, own_server: RunningApp, facts: SeedFacts, tmp_path: Path) -> None:
    browser = _browser(playwright_instance)  # headless Chromium with no fake device: no camera at all
    try:
        page = open_app(browser, own_server.url, PHONE)
        _bilder(page, facts)
        page.get_by_role("button", name="Ta bilde").click()
        expect(showing(page, "Kameraet er ikke tilgjengelig. Velg en bildefil i stedet.")).to_be_visible(
            timeout=20_000)
        expect(page.get_by_role("button", name="Ta bildet")).to_have_count(0)
        # From now on "Ta bilde" itself picks a file.
        _pick_and_send(page, own_server, facts, tmp_path, "Uten kamera", "Ta bilde")
    finally:
        browser.close()


def test_a_refused_camera_permission_says_so_and_a_file_is_picked_instead(
        playwright_instance: Playwright, own_server: RunningApp, facts: SeedFacts, feed: Path,
        tmp_path: Path) -> None:
    # A fake camera, but no automatic yes: the page is not granted the camera, so the browser refuses.
    browser = _browser(playwright_instance, *FAKE_MEDIA, f"--use-file-for-fake-video-capture={feed}")
    try:
        page = open_app(browser, own_server.url, PHONE)
        page.context.clear_permissions()
        _bilder(page, facts)
        page.get_by_role("button", name="Ta bilde").click()
        expect(showing(page, "Appen har ikke tilgang til kameraet")).to_be_visible(timeout=20_000)
        shot(page, "98-photo-camera-refused")
        _pick_and_send(page, own_server, facts, tmp_path, "Nektet kamera", "Velg bildefil")
    finally:
        browser.close()


def test_a_picked_file_that_is_no_picture_gets_a_message_and_a_picture_is_sent(
        camera_browser: Browser, own_server: RunningApp, facts: SeedFacts, tmp_path: Path) -> None:
    page = open_app(camera_browser, own_server.url, PHONE)
    try:
        _bilder(page, facts)
        text_file = tmp_path / "notat.txt"
        text_file.write_text("ikke et bilde")
        with page.expect_file_chooser(timeout=10_000) as chooser:
            page.get_by_role("button", name="Velg bildefil").click()
        chooser.value.set_files(str(text_file))
        expect(showing(page, "Filen er ikke et bilde appen kan lese")).to_be_visible(timeout=10_000)
        _pick_and_send(page, own_server, facts, tmp_path, "Valgt fil", "Velg bildefil")
    finally:
        page.context.close()
