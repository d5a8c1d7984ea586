"""Writing in the browser: a signed note appears in Documents; on a dead network it waits, then is sent once."""

from __future__ import annotations

import re
import sqlite3
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import (
    RunningApp,
    SeedFacts,
    logged_in,
    open_from_ward,
    scroll_until_visible,
    shot,
    showing,
    type_into,
)

pytestmark = pytest.mark.e2e


def _open_med_patient(page: Page, facts: SeedFacts) -> None:
    open_from_ward(page, facts, facts.med_patient["display_name"])
    expect(page.get_by_role("tab", name="Oversikt")).to_be_visible(timeout=10_000)


def _write_note(page: Page, text: str) -> None:
    page.get_by_role("tab", name="Notater").click()
    page.get_by_role("button", name="Nytt journalnotat").click(timeout=10_000)
    type_into(page, "Tekst", text)
    page.get_by_role("button", name="Signer og send").click()


def _copies(app: RunningApp, text: str) -> int:
    db = sqlite3.connect(app.db)
    try:
        rows = db.execute("SELECT body FROM resources WHERE type='DocumentReference' AND deleted=0").fetchall()
    finally:
        db.close()
    import base64
    import json

    count = 0
    for (body,) in rows:
        for content in json.loads(body).get("content", []):
            data = content.get("attachment", {}).get("data")
            if data and text in base64.b64decode(data).decode("utf-8", "replace"):
                count += 1
    return count


def _faults(app: RunningApp, **settings: object) -> None:
    root = app.epj_url.removesuffix("/fhir")
    httpx.post(f"{root}/_admin/faults", json=settings).raise_for_status()


def test_a_signed_note_appears_in_documents(page: Page, app_server: RunningApp, facts: SeedFacts) -> None:
    logged_in(page)
    _open_med_patient(page, facts)
    page.get_by_role("tab", name="Notater").click()
    shot(page, "40-notes-tab")
    marker = f"Mobiliseres med rullator {uuid.uuid4().hex[:6]}"
    _write_note(page, marker)
    expect(page.get_by_role("tab", name="Dokumenter")).to_have_attribute("aria-selected", "true", timeout=10_000)
    page.get_by_role("button", name=re.compile("Daglig notat")).first.click()
    expect(page.get_by_text(marker)).to_be_visible(timeout=10_000)
    shot(page, "41-note-in-documents")
    assert _copies(app_server, marker) == 1


def test_a_note_written_offline_waits_then_is_sent_once(page: Page, app_server: RunningApp,
                                                         facts: SeedFacts) -> None:
    logged_in(page)
    _open_med_patient(page, facts)
    marker = f"Skrevet uten nett {uuid.uuid4().hex[:6]}"
    _faults(app_server, drop_rate=1.0)
    try:
        _write_note(page, marker)
        expect(page.get_by_text("Venter på sending").first).to_be_visible(timeout=15_000)
        shot(page, "42-note-waiting")
        assert _copies(app_server, marker) == 0
    finally:
        _faults(app_server, drop_rate=0.0)
    page.locator('flt-semantics[aria-label="Meny"]').first.click()
    page.get_by_role("menuitem", name=re.compile("Utboks")).click()
    expect(page.get_by_text(re.compile("Venter|sendt kl"))).to_be_visible(timeout=10_000)
    retry = page.get_by_role("button", name="Prøv igjen")
    if retry.count():
        retry.first.click()
    expect(page.get_by_text(re.compile(r"Signert og sendt kl\. \d\d:\d\d"))).to_be_visible(timeout=30_000)
    shot(page, "43-outbox-sent")
    assert _copies(app_server, marker) == 1


def test_a_ward_note_shows_on_the_overview_and_in_the_ward_list(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    _open_med_patient(page, facts)
    page.get_by_role("tab", name="Notater").click()
    page.get_by_role("button", name="Endre sengepostmerknad").click(timeout=10_000)
    marker = f"Fallfare, bruker rullator {uuid.uuid4().hex[:4]}"
    type_into(page, "Sengepostmerknad", marker)
    page.get_by_role("button", name="Lagre").click()
    expect(showing(page, marker)).to_be_visible(timeout=10_000)
    page.get_by_role("tab", name="Oversikt").click()
    expect(showing(page, marker)).to_be_visible(timeout=10_000)
    shot(page, "44-ward-note-on-overview")
    page.locator('flt-semantics[aria-label="Tilbake"]').first.click()
    page.get_by_role("tab", name="Sengepost").click()
    page.locator('flt-semantics[aria-label="Oppdater"]').first.click()
    # The list as it was left (scrolled to the bed, its summary maybe above the fold), read again.
    expect(showing(page, "Henter …")).to_have_count(0, timeout=10_000)
    scroll_until_visible(page, showing(page, marker), at=(195, 500))  # down to the patient's bed
    shot(page, "45-ward-note-in-ward-list")
