"""Lab results in a real browser: the lab tab, a trend, microbiology, signing (a Provenance: the
result keeps its version), following a patient (the user's own List) until a simulated result
arrives in the notification centre (found by polling with _lastUpdated), and no polling while hidden."""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    fnr,
    free_port,
    logged_in,
    open_app,
    patient_name,
    shot,
    start_app,
    tap_labelled,
    type_into,
    visible_text,
)
from tests.support.database import copy_db

pytestmark = pytest.mark.e2e

SEARCH = "Navn, fødselsnummer eller fødselsdato"
FOLLOW = re.compile("Følg prøvesvar")


@pytest.fixture(scope="session")
def micro_patient(seeded_db: Path) -> dict[str, Any]:
    """A ward-med inpatient (lege1 has access) with microbiology reports: one with a final culture
    (an S/I/R table) and the most abnormal values in the newest blood sample, so the screenshots
    show them."""
    db = sqlite3.connect(seeded_db)
    try:
        rows = db.execute(
            "SELECT p.body FROM resources e JOIN idx_ref l ON l.rid=e.rid AND l.param='location'"
            " JOIN idx_token s ON s.rid=e.rid AND s.param='status' AND s.code='in-progress'"
            " JOIN resources p ON p.type='Patient' AND p.id=e.patient"
            " WHERE e.type='Encounter' AND l.ref='Location/ward-med' AND e.patient IN"
            " (SELECT patient FROM resources WHERE type='DiagnosticReport' AND deleted=0"
            "  AND body LIKE '%\"code\":\"MB\"%') ORDER BY e.patient").fetchall()
        assert rows, "the seed should give some ward-med patient a culture"
        patients = [json.loads(row[0]) for row in rows]
        patient: dict[str, Any] = max(patients, key=lambda p: (_final_culture(db, p["id"]),
                                                               _abnormal_in_newest_sample(db, p["id"])))
    finally:
        db.close()
    return patient


def _final_culture(db: sqlite3.Connection, patient_id: str) -> bool:
    return db.execute("SELECT 1 FROM resources WHERE type='DiagnosticReport' AND patient=? AND deleted=0"
                      " AND body LIKE '%\"code\":\"MB\"%' AND body LIKE '%\"status\":\"final\"%'",
                      (patient_id,)).fetchone() is not None


def _abnormal_in_newest_sample(db: sqlite3.Connection, patient_id: str) -> int:
    found = [json.loads(body) for (body,) in db.execute(
        "SELECT body FROM resources WHERE type='Observation' AND patient=? AND deleted=0"
        " AND body LIKE '%\"laboratory\"%' AND body LIKE '%ObservationInterpretation%'", (patient_id,))]
    newest = max((o.get("effectiveDateTime", "") for o in found), default="")
    codes = [c["code"] for o in found if o.get("effectiveDateTime") == newest
             for i in o.get("interpretation", []) for c in i.get("coding", [])]
    return sum(1 for code in codes if code in ("L", "H", "LL", "HH"))


def wait_for_text(page: Page, pattern: str, seconds: float = 10) -> str:
    """The page's text once it matches (merged semantics groups are not separate elements)."""
    for _ in range(int(seconds * 4)):
        text = visible_text(page)
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(250)
    raise AssertionError(f"{pattern!r} never appeared in: {visible_text(page)}")


def select_tab(page: Page, name: str, tries: int = 4) -> None:
    """Tap a patient tab. The tab bar scrolls to centre the chosen tab, and a tap during that
    animation can land on its neighbour: check, and tap again."""
    tab = page.get_by_role("tab", name=name)
    for _ in range(tries):
        tab.click(timeout=10_000)
        page.wait_for_timeout(400)
        if tab.get_attribute("aria-selected") == "true":
            return
    raise AssertionError(f"the tab {name!r} could not be selected")


def open_lab_tab(page: Page, patient: dict[str, Any]) -> None:
    page.get_by_role("tab", name="Søk").click()
    type_into(page, SEARCH, fnr(patient))
    page.get_by_role("button", name=re.compile(patient_name(patient))).click(timeout=10_000)
    wait_for_text(page, "Nåværende opphold")  # the overview has arrived: the tabs stay put now
    select_tab(page, "Lab")
    expect(page.get_by_role("switch", name=FOLLOW)).to_be_visible(timeout=10_000)
    expect(page.get_by_text("Klinisk kjemi")).to_be_visible(timeout=10_000)


def test_lab_tab_trend_and_microbiology(page: Page, micro_patient: dict[str, Any]) -> None:
    logged_in(page)
    open_lab_tab(page, micro_patient)
    expect(page.get_by_text(re.compile(r"^Oppdatert kl\. \d\d:\d\d"))).to_be_visible()
    text = visible_text(page)
    assert "Hematologi" in text and "ref. " in text and "Ikke signert" in text, text
    expect(page.get_by_role("checkbox", name="Velg P-Kalium for signering")).to_be_visible()
    shot(page, "30-lab-tab")

    page.get_by_role("button", name=re.compile("P-CRP")).first.click()  # high values: marked points
    expect(page.get_by_text("Alle svar, nyeste først")).to_be_visible(timeout=10_000)
    text = visible_text(page)
    assert "Referanseområde ≤ 5 mg/L" in text and re.search(r"\d+ svar fra .* til ", text), text
    assert re.search(r"[1-9]\d* utenfor referanseområdet", text) and "Høy" in text, text
    shot(page, "31-trend")
    tap_labelled(page, "Tilbake")

    page.get_by_role("button", name="Mikrobiologi").click(timeout=10_000)
    text = wait_for_text(page, r"\b(Endelig|Foreløpig)\b")
    assert re.search(r"[SIR] · (Følsom|Intermediær|Resistent)", text) or "Ingen vekst" in text, text
    shot(page, "32-microbiology")


def test_sign_follow_and_a_new_result_arrives(browser: Browser, seeded_db: Path, tmp_path: Path,
                                              micro_patient: dict[str, Any]) -> None:
    app = start_app(copy_db(seeded_db, tmp_path / "labs.sqlite3"), "--poll-seconds", "2")
    try:
        page = open_app(browser, app.url)
        logged_in(page)
        open_lab_tab(page, micro_patient)

        page.get_by_role("checkbox", name="Velg P-Kalium for signering").click()
        page.get_by_role("checkbox", name="Velg P-Natrium for signering").click()
        page.get_by_role("button", name="Signer (2)").click()
        expect(page.get_by_text("2 svar er signert og lagret i journalen.")).to_be_visible(timeout=10_000)
        expect(page.get_by_role("button", name=re.compile(r"P-Kalium .*Signert av .+ kl\. \d\d:\d\d"))).to_be_visible()
        expect(page.get_by_role("checkbox", name="Velg P-Kalium for signering")).to_have_count(0)
        shot(page, "33-signed")

        follow = page.get_by_role("switch", name=FOLLOW)
        expect(follow).to_have_attribute("aria-checked", "false")
        follow.click()
        expect(follow).to_have_attribute("aria-checked", "true", timeout=10_000)
        expect(follow).to_have_attribute("aria-label", re.compile("Du får varsel når nye svar kommer."))

        mock_base = app.epj_url.removesuffix("/fhir")
        answer = httpx.post(f"{mock_base}/_admin/labs", json={"patient": micro_patient["id"]}, timeout=10)
        assert answer.status_code == 200 and any(c.startswith("Observation/") for c in answer.json()["created"])

        tap_labelled(page, "Tilbake")
        page.get_by_role("tab", name="Varsler").click()
        news = re.compile(r"Ny\. .*P-CRP.*Nye prøvesvar|Nye prøvesvar\. Ny\. .*P-CRP")  # names, then the kind
        arrived = page.get_by_role("button", name=news)
        expect(arrived.first).to_be_visible(timeout=15_000)
        expect(page.get_by_text(re.compile(r"^Sist oppdatert \d\d:\d\d$"))).to_be_visible()
        assert "Ny" in visible_text(page)
        page.mouse.move(200, 400)  # no hover tooltip over the tab bar in the picture
        shot(page, "34-notifications")

        arrived.first.click()
        expect(page.get_by_role("tab", name="Lab")).to_have_attribute("aria-selected", "true", timeout=10_000)
        expect(page.get_by_role("switch", name=FOLLOW)).to_have_attribute("aria-checked", "true", timeout=10_000)
        expect(page.get_by_text("Klinisk kjemi")).to_be_visible(timeout=10_000)
        page.context.close()
    finally:
        app.stop()


def _set_visibility(page: Page, hidden: bool) -> None:
    """What a browser does when the user switches tab or app: Flutter turns it into a lifecycle event."""
    page.evaluate(f"""() => {{
        Object.defineProperty(document, 'visibilityState', {{value: '{'hidden' if hidden else 'visible'}',
                                                             configurable: true}});
        Object.defineProperty(document, 'hidden', {{value: {'true' if hidden else 'false'}, configurable: true}});
        document.dispatchEvent(new Event('visibilitychange'));
    }}""")


def test_polling_pauses_while_the_browser_tab_is_hidden(browser: Browser, seeded_db: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "FLET_FORCE_WEB_SERVER": "1", "FLET_WEB_NO_CDN": "1",
           "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.counting_visitt", "--web", "--port", str(port),
         "--db", str(copy_db(seeded_db, tmp_path / "poll.sqlite3")), "--poll-seconds", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    polls: list[float] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("POLL"):
                polls.append(time.monotonic())

    threading.Thread(target=read, daemon=True).start()

    def polls_in(seconds: float) -> int:
        before = len(polls)
        time.sleep(seconds)
        return len(polls) - before

    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            time.sleep(0.3)
        page = open_app(browser, url)
        logged_in(page)
        assert polls_in(3) >= 2
        _set_visibility(page, hidden=True)
        time.sleep(1.5)
        assert polls_in(3) == 0
        _set_visibility(page, hidden=False)
        time.sleep(1.5)
        assert polls_in(3) >= 2
        page.context.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
