"""Recording vital signs in the browser, as a nurse on a phone: values typed field to field with
Enter, an impossible pulse refused, the emergency band shown before saving (NEWS2 7), then saved
once and shown on the overview and the ward list; and a thrombosis-risk assessment. Screenshots in
test-artefacts/screenshots/7x-*.png.

The app runs against a mock EPJ of this module's own (``own_server``): its writes touch no other test.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    PHONE,
    SMALL_PHONE,
    RunningApp,
    choose,
    focus,
    logged_in,
    open_app,
    screen_text,
    scroll_until_visible,
    shot,
    showing,
    tap_labelled,
    type_then_enter,
    ward_patients,
)

pytestmark = pytest.mark.e2e
NEWS2_TOTAL = "1104051000000101"


@pytest.fixture(scope="module")
def unflagged(seeded_db: Path) -> dict[str, Any]:
    """A ward-med inpatient without critical information and without hypercapnic failure (scale 1)."""
    db = sqlite3.connect(seeded_db)
    try:
        hypercapnic = {r[0] for r in db.execute("SELECT patient FROM resources WHERE type='Condition'"
                                                " AND body LIKE '%J96.1%'")}
    finally:
        db.close()
    return next(p for p in ward_patients(seeded_db, "ward-med", flagged=False) if p["id"] not in hypercapnic)


def _scores(app: RunningApp, patient_id: str) -> list[dict[str, Any]]:
    db = sqlite3.connect(app.db)
    try:
        rows = db.execute("SELECT body FROM resources WHERE type='Observation' AND deleted=0 AND patient=?",
                          (patient_id,)).fetchall()
    finally:
        db.close()
    found = [json.loads(body) for (body,) in rows]
    return [r for r in found if r["code"]["coding"][0]["code"] == NEWS2_TOTAL]


def _open_patient(page: Page, name: str) -> None:
    page.get_by_role("tab", name="Sengepost").click()
    # The ward list settled (its settings above the beds); the bed may be below the fold, where
    # Flutter has not built it yet: scrolled to, not waited for.
    expect(showing(page, re.compile(r"\d+ av \d+ senger belagt")).first).to_be_visible(timeout=15_000)
    row = page.get_by_role("button", name=re.compile(re.escape(name)))
    scroll_until_visible(page, row)
    row.first.click(timeout=10_000)
    expect(page.get_by_role("tab", name="Oversikt")).to_have_attribute("aria-selected", "true", timeout=10_000)


def test_a_set_scoring_7_shows_the_emergency_band_before_saving_then_on_the_overview_and_ward_list(
        browser: Browser, own_server: RunningApp, unflagged: dict[str, Any]) -> None:
    page = open_app(browser, own_server.url, PHONE)
    try:
        logged_in(page, "spl1")
        _open_patient(page, unflagged["display_name"])
        record = page.get_by_role("button", name="Registrer vitale målinger")
        scroll_until_visible(page, record)
        shot(page, "70-overview-record-button")
        record.click()
        expect(showing(page, "Ingen tidligere måling").or_(showing(page, re.compile("Forrige: ")))).to_be_visible(
            timeout=10_000)
        shot(page, "71-vitals-form-empty")
        focus(page, "Respirasjonsfrekvens")
        type_then_enter(page, "22", "SpO2")
        type_then_enter(page, "93", "Systolisk blodtrykk")
        type_then_enter(page, "105", "Diastolisk blodtrykk")
        type_then_enter(page, "70", "Puls")
        page.keyboard.type("400")  # impossible: refused with a message, not scored
        expect(showing(page, re.compile("Umulig verdi: 400 /min"))).to_be_visible(timeout=5_000)
        shot(page, "72-vitals-impossible-pulse")
        for _ in range(3):
            page.keyboard.press("Backspace")
        type_then_enter(page, "95", "Temperatur")
        page.keyboard.type("38,5")
        choose(page, "Romluft", "Luft eller oksygen | 0 p")
        choose(page, "A – Våken", "Bevissthet (ACVPU) | 0 p")
        # 22 /min 2 + SpO2 93 2 + air 0 + systolic 105 1 + pulse 95 1 + alert 0 + 38,5 1 = 7: emergency
        expect(showing(page, re.compile(r"NEWS2 7\b"))).to_be_visible(timeout=5_000)
        text = screen_text(page)
        assert "Høy" in text and "Akutt: lege med akuttkompetanse vurderer straks" in text, text
        assert "qSOFA 1" in text, text  # respiration 22 scores one qSOFA point
        assert _scores(own_server, unflagged["id"]) == []  # nothing saved yet
        shot(page, "73-vitals-news2-7-before-saving")
        page.get_by_role("button", name="Lagre").click()
        expect(page.get_by_role("tab", name="Oversikt")).to_have_attribute("aria-selected", "true", timeout=10_000)
        expect(showing(page, re.compile(r"NEWS2 7\b")).first).to_be_visible(timeout=10_000)
        expect(showing(page, re.compile("95 /min"))).to_be_visible()
        shot(page, "74-overview-after-saving")
        (score,) = _scores(own_server, unflagged["id"])  # saved once
        assert score["valueQuantity"]["value"] == 7
        tap_labelled(page, "Tilbake")
        page.get_by_role("tab", name="Sengepost").click()  # the list as it was left, scrolled to the bed
        row = page.get_by_role("button", name=re.compile(re.escape(unflagged["display_name"])))
        scroll_until_visible(page, row)
        expect(row.first).to_have_accessible_name(re.compile(r"NEWS2 7\b"), timeout=10_000)
        page.mouse.wheel(0, 200)  # the whole row above the tab bar, for the screenshot
        shot(page, "75-ward-list-news2-7")
    finally:
        page.context.close()


def test_a_thrombosis_assessment_is_saved_and_shown_with_its_date(
        browser: Browser, own_server: RunningApp, unflagged: dict[str, Any]) -> None:
    page = open_app(browser, own_server.url, SMALL_PHONE)
    try:
        logged_in(page, "lege1")
        _open_patient(page, unflagged["display_name"])
        assess = page.get_by_role("button", name="Vurder tromboserisiko")
        scroll_until_visible(page, assess)
        assess.click()
        cancer = page.get_by_role("checkbox", name=re.compile("Aktiv kreftsykdom"))
        cancer.click(timeout=10_000)
        page.get_by_role("checkbox", name=re.compile("Redusert mobilitet")).click()
        expect(showing(page, re.compile(r"Padua [67]\b")).first).to_be_visible(timeout=5_000)
        expect(showing(page, "Høy risiko").first).to_be_visible()
        shot(page, "76-thrombosis-form-360x740")
        page.get_by_role("button", name="Lagre vurdering").click()
        expect(page.get_by_role("tab", name="Oversikt")).to_have_attribute("aria-selected", "true", timeout=10_000)
        line = showing(page, re.compile(r"Padua [67] · Høy risiko"))
        scroll_until_visible(page, line)
        expect(showing(page, re.compile(r"Vurdert \d\d\.\d\d\.\d{4} \d\d:\d\d"))).to_be_visible()
        shot(page, "77-overview-thrombosis-risk-360x740")
    finally:
        page.context.close()
