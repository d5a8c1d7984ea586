"""Wristband scanning in the browser: a scanner's keystroke burst, an invalid code, manual entry."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, Playwright, expect

from tests.support.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    TYPED,
    RunningApp,
    SeedFacts,
    logged_in,
    open_app,
    shot,
    type_into,
)

pytestmark = pytest.mark.e2e


def _gsrn(patient: dict[str, object]) -> str:
    identifiers = patient["identifier"]
    assert isinstance(identifiers, list)
    return str(next(i["value"] for i in identifiers if i["system"] == "https://www.gs1.org/gsrn"))


def _open_scan_screen(page: Page) -> None:
    page.get_by_role("tab", name="Søk").click()
    page.locator('flt-semantics[aria-label="Skann armbånd"]').first.click()
    expect(page.get_by_text("Klar til å skanne")).to_be_visible(timeout=10_000)


def _scanner_burst(page: Page, payload: str) -> None:
    """What a role phone's built-in scanner does: the payload as fast keystrokes, then Enter."""
    TYPED.append(payload)
    page.keyboard.type(payload, delay=5)
    page.keyboard.press("Enter")


def test_a_scanner_burst_on_the_scan_screen_opens_that_patient(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    _open_scan_screen(page)
    shot(page, "20-scan-screen")
    patient = facts.med_patient
    _scanner_burst(page, f"]d28018{_gsrn(patient)}")
    expect(page.get_by_text(re.compile(f"Skannet armbånd: {patient['display_name']}"))).to_be_visible(timeout=10_000)
    expect(page.get_by_role("tab", name="Oversikt")).to_be_visible()
    shot(page, "21-scanned-patient")


def test_a_burst_on_the_search_tab_also_scans(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    page.get_by_role("tab", name="Søk").click()
    page.wait_for_timeout(500)
    patient = facts.med_patient
    fnr = next(i["value"] for i in patient["identifier"] if i["system"].endswith("4.1"))
    _scanner_burst(page, fnr)
    expect(page.get_by_text(re.compile(f"Skannet armbånd: {patient['display_name']}"))).to_be_visible(timeout=10_000)


def test_an_invalid_code_shows_its_reason_and_offers_manual_entry(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    _open_scan_screen(page)
    gsrn = _gsrn(facts.med_patient)
    wrong = gsrn[:-1] + str((int(gsrn[-1]) + 1) % 10)
    _scanner_burst(page, f"]d28018{wrong}")
    expect(page.get_by_text(re.compile("Kontrollsifferet i armbåndsnummeret stemmer ikke"))).to_be_visible(
        timeout=10_000)
    expect(page.get_by_text("Sjekk armbåndet, eller skriv inn nummeret for hånd nedenfor.")).to_be_visible()
    shot(page, "22-scan-invalid")
    type_into(page, "Fødselsnummer eller armbåndsnummer", gsrn)
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(f"Skannet armbånd: {facts.med_patient['display_name']}"))).to_be_visible(
        timeout=10_000)


def _band_video(db: Path, patient_id: str, out: Path) -> Path:
    """A fake camera feed (Motion JPEG) of the patient's wristband, drawn from the test database."""
    from mock_epj.store import Store
    from mock_epj.wristbands import inpatients, render_wristband

    store = Store(db)
    patient = next(p for p in inpatients(store) if p.patient_id == patient_id)
    store.close()
    band = render_wristband(patient).image.convert("RGB")
    frame = Image.new("RGB", (1280, 720), "white")
    scaled = band.resize((1200, band.height * 1200 // band.width))
    frame.paste(scaled, (40, (720 - scaled.height) // 2))
    buffer = io.BytesIO()
    frame.save(buffer, "JPEG", quality=90)
    out.write_bytes(buffer.getvalue() * 60)
    return out


def test_the_camera_reads_a_wristband(playwright_instance: Playwright, app_server: RunningApp,
                                      facts: SeedFacts, tmp_path: Path) -> None:
    video = _band_video(app_server.db, facts.med_patient["id"], tmp_path / "band.mjpeg")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=[
        *LAUNCH_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        page = open_app(browser, app_server.url)
        page.context.grant_permissions(["camera"])
        logged_in(page)
        _open_scan_screen(page)
        page.get_by_role("button", name="Bruk kamera").click()
        expect(page.get_by_text(re.compile(f"Skannet armbånd: {facts.med_patient['display_name']}"))).to_be_visible(
            timeout=20_000)
        shot(page, "23-scanned-by-camera")
    finally:
        browser.close()


def test_a_wristband_photo_can_be_picked_and_read(page: Page, app_server: RunningApp, facts: SeedFacts,
                                                  tmp_path: Path) -> None:
    photo = tmp_path / "band.jpg"
    video = _band_video(app_server.db, facts.med_patient["id"], tmp_path / "frames.mjpeg")
    photo.write_bytes(video.read_bytes()[: len(video.read_bytes()) // 60])  # one JPEG frame
    logged_in(page)
    _open_scan_screen(page)
    with page.expect_file_chooser(timeout=10_000) as chooser:
        page.get_by_role("button", name="Velg bilde av armbånd").click()
    chooser.value.set_files(str(photo))
    expect(page.get_by_text(re.compile(f"Skannet armbånd: {facts.med_patient['display_name']}"))).to_be_visible(
        timeout=15_000)
