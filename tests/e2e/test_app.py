"""The app in a real browser: login, search, patient overview, ward list, access, lock, logout."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    SESSION_PIN,
    RunningApp,
    SeedFacts,
    choose_session_pin,
    fnr,
    log_in_on_epj_page,
    logged_in,
    login_button,
    open_app,
    open_login_page,
    scroll_until_visible,
    shot,
    showing,
    start_app,
    tap_labelled,
    type_into,
    visible_text,
)
from tests.support.database import copy_db

pytestmark = pytest.mark.e2e

SEARCH = "Navn, fødselsnummer eller fødselsdato"


def _search(page: Page, text: str) -> None:
    page.get_by_role("tab", name="Søk").click()
    type_into(page, SEARCH, text)


def test_login_in_the_epjs_page_a_cancel_a_wrong_pin_and_a_session_pin(page: Page) -> None:
    login_button(page).wait_for(timeout=30_000)
    shot(page, "01-login")
    epj_page = open_login_page(page)  # the EPJ's own page, in a new tab
    epj_page.get_by_role("button", name="Avbryt").click()
    expect(page.get_by_text("Innloggingen ble avbrutt. Trykk Logg inn for å prøve igjen.")).to_be_visible(
        timeout=15_000)
    epj_page = open_login_page(page)
    expect(page.get_by_text("Innloggingssiden er åpnet.", exact=False)).to_be_visible(timeout=10_000)
    log_in_on_epj_page(epj_page, "lege1", "9999")
    expect(epj_page.get_by_role("alert")).to_have_text("Feil brukernavn eller PIN-kode.")  # said on the EPJ's page
    log_in_on_epj_page(epj_page, "lege1", "1234")
    page.bring_to_front()
    page.get_by_role("textbox", name="Ny PIN-kode").wait_for(timeout=30_000)
    shot(page, "02-login-choose-pin")
    type_into(page, "Ny PIN-kode", "1234")
    type_into(page, "Gjenta PIN-koden", "1234")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Den koden er lett å gjette", exact=False)).to_be_visible(timeout=10_000)
    choose_session_pin(page)
    expect(page.get_by_text("I min behandling")).to_be_visible(timeout=30_000)


def test_login_opens_my_patients(page: Page) -> None:
    logged_in(page)
    expect(page.get_by_text("Nylig åpnet")).to_be_visible()
    expect(page.get_by_role("tab", name="Mine pasienter")).to_have_attribute("aria-selected", "true")
    shot(page, "03-my-patients")


def test_search_by_name(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    family = facts.med_patient["name"][0]["family"]
    _search(page, family)
    expect(page.get_by_role("button", name=re.compile(facts.med_patient["display_name"]))).to_be_visible(
        timeout=10_000)
    expect(showing(page, re.compile(r"^\d+ treff( · |$)"))).to_be_visible()
    shot(page, "04-search-name")


def test_search_by_identifier_finds_exactly_the_patient(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    _search(page, fnr(facts.med_patient))
    expect(showing(page, re.compile(r"^1 treff( · |$)"))).to_be_visible(timeout=10_000)
    expect(page.get_by_role("button", name=re.compile(facts.med_patient["display_name"]))).to_be_visible()


def test_search_by_birth_date(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    year, month, day = str(facts.med_patient["birthDate"]).split("-")
    _search(page, f"{day}.{month}.{year}")
    expect(page.get_by_role("button", name=re.compile(facts.med_patient["display_name"]))).to_be_visible(
        timeout=10_000)
    shot(page, "05-search-birth-date")


def test_invalid_identifier_is_explained_inline(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    number = fnr(facts.med_patient)
    wrong = number[:10] + str((int(number[10]) + 1) % 10)
    _search(page, wrong)
    expect(page.get_by_role("textbox", name=SEARCH)).to_have_attribute(
        "aria-description", re.compile("Ugyldig fødselsnummer: andre kontrollsiffer stemmer ikke"), timeout=10_000)
    shot(page, "06-search-invalid-identifier")


def test_open_patient_shows_banner_and_critical_information(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    patient = facts.med_patient
    _search(page, fnr(patient))
    page.get_by_role("button", name=re.compile(patient["display_name"])).click(timeout=10_000)
    number = fnr(patient)
    expect(page.get_by_text(re.compile(f"{number[:6]} {number[6:]}"))).to_be_visible(timeout=10_000)
    expect(page.get_by_role("tab", name="Oversikt")).to_be_visible()
    critical = page.get_by_role("button", name=re.compile(r"^CAVE: |Implantat: |Kritisk informasjon finnes"))
    expect(critical.first).to_be_visible(timeout=10_000)
    shot(page, "07-patient-overview")
    critical.first.click()
    expect(page.get_by_role("tab", name="Mer")).to_have_attribute("aria-selected", "true")  # Kritisk info is there
    expect(showing(page, "Tilbake til Mer")).to_be_visible()
    text = visible_text(page)
    assert any(heading in text for heading in
               ("Alvorlige allergier og reaksjoner", "Kritiske tilstander", "Implantater")), text
    shot(page, "08-patient-critical-information")


def test_ward_list_shows_the_wards_beds(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    page.get_by_role("tab", name="Sengepost").click()
    expect(page.get_by_text(re.compile(rf"^\d+ av {facts.med_beds} senger belagt"))).to_be_visible(timeout=10_000)
    shot(page, "09-ward-list")
    scroll_until_visible(page, page.get_by_role("button", name=re.compile(facts.med_patient["display_name"])))


def test_break_the_glass_for_a_patient_on_another_ward(page: Page, facts: SeedFacts) -> None:
    logged_in(page)
    patient = facts.kir_patient
    _search(page, fnr(patient))
    page.get_by_role("button", name=re.compile(patient["display_name"])).click(timeout=10_000)
    expect(page.get_by_text("Ingen tjenstlig tilgang")).to_be_visible(timeout=10_000)
    shot(page, "10-no-access")
    type_into(page, "Begrunnelse (minst 10 tegn)", "kort")
    page.get_by_role("button", name="Gi meg nødtilgang").click()
    expect(page.get_by_role("textbox", name="Begrunnelse (minst 10 tegn)")).to_have_attribute(
        "aria-description", re.compile("Begrunnelsen må ha minst 10 tegn"), timeout=10_000)
    type_into(page, "Begrunnelse (minst 10 tegn)", " - akutt tilsyn, pasienten er ustabil")
    page.get_by_role("button", name="Gi meg nødtilgang").click()
    expect(page.get_by_text(re.compile(r"NØDTILGANG til kl\. \d\d:\d\d"))).to_be_visible(timeout=10_000)
    expect(page.get_by_role("tab", name="Oversikt")).to_be_visible()
    shot(page, "11-emergency-access")


def _logins_of(db: Path, username: str) -> int:
    """The EPJ's live tokens of a user (sessions rows: access tokens, one per login or refresh)."""
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM sessions WHERE username = ?", (username,)).fetchone()[0])


def test_logout_leaves_no_patient_on_screen(page: Page, facts: SeedFacts, app_server: RunningApp) -> None:
    logged_in(page)
    live = _logins_of(app_server.db, "lege1")
    patient = facts.med_patient
    _search(page, fnr(patient))
    page.get_by_role("button", name=re.compile(patient["display_name"])).click(timeout=10_000)
    expect(page.get_by_role("tab", name="Oversikt")).to_be_visible(timeout=10_000)
    tap_labelled(page, "Meny")
    page.get_by_role("menuitem", name="Logg ut").click()
    expect(page.get_by_text("Du er logget ut. Ingen pasientdata er igjen på telefonen.")).to_be_visible(
        timeout=10_000)
    assert _logins_of(app_server.db, "lege1") < live  # the login was revoked at the EPJ
    text = visible_text(page)
    assert patient["display_name"] not in text
    assert fnr(patient)[:6] not in text
    shot(page, "12-logged-out")
    # logging in again starts clean: no search, no open patient
    logged_in(page)
    _search(page, "")
    assert patient["display_name"] not in visible_text(page)


def test_idle_lock_and_unlock(browser: Browser, seeded_db: Path, tmp_path: Path, facts: SeedFacts) -> None:
    app: RunningApp = start_app(copy_db(seeded_db, tmp_path / "idle.sqlite3"), "--idle-timeout", "4")
    try:
        page = open_app(browser, app.url)
        logged_in(page)
        page.get_by_role("tab", name="Sengepost").click()
        expect(page.get_by_text(re.compile(r"senger belagt"))).to_be_visible(timeout=10_000)
        scroll_until_visible(page, page.get_by_role("button", name=re.compile(facts.med_patient["display_name"])))
        expect(page.get_by_text("Låst", exact=True)).to_be_visible(timeout=15_000)
        assert facts.med_patient["display_name"] not in visible_text(page)
        shot(page, "13-locked")
        type_into(page, "PIN-kode", "0000")
        page.keyboard.press("Enter")
        expect(page.get_by_text("Feil PIN-kode.")).to_be_visible(timeout=10_000)
        type_into(page, "PIN-kode", SESSION_PIN)
        page.keyboard.press("Enter")
        expect(page.get_by_role("tab", name="Sengepost")).to_have_attribute("aria-selected", "true",
                                                                           timeout=10_000)
        scroll_until_visible(page, page.get_by_role("button", name=re.compile(facts.med_patient["display_name"])))
        page.context.close()
    finally:
        app.stop()


def test_the_access_token_is_refreshed_mid_session_without_losing_the_screen(
        browser: Browser, seeded_db: Path, tmp_path: Path) -> None:
    """Access tokens of 65 s: the app refreshes a token within a minute of its end before a request,
    so after a few seconds the next tap renews it (a used refresh token in the EPJ's database) and
    the screen goes on as before, with no "session expired"."""
    db = copy_db(seeded_db, tmp_path / "refresh.sqlite3")
    app: RunningApp = start_app(db, "--access-token-ttl", "65")
    try:
        page = open_app(browser, app.url)
        logged_in(page)
        page.get_by_role("tab", name="Sengepost").click()
        expect(page.get_by_text(re.compile(r"senger belagt"))).to_be_visible(timeout=10_000)
        page.wait_for_timeout(7_000)  # now within a minute of the token's end
        page.get_by_role("tab", name="Mine pasienter").click()
        page.get_by_role("tab", name="Sengepost").click()
        expect(page.get_by_text(re.compile(r"senger belagt"))).to_be_visible(timeout=10_000)
        page.wait_for_timeout(1_000)
        with sqlite3.connect(db) as conn:
            used = conn.execute("SELECT count(*) FROM oauth_refresh WHERE used = 1").fetchone()[0]
        assert used >= 1, "the app did not refresh its access token"
        assert "utløpt" not in visible_text(page)
        expect(page.get_by_role("tab", name="Sengepost")).to_have_attribute("aria-selected", "true")
        page.context.close()
    finally:
        app.stop()


def test_a_login_revoked_at_the_epj_ends_the_session_with_a_clear_message(
        browser: Browser, seeded_db: Path, tmp_path: Path) -> None:
    """The EPJ ends the login (an administrator revokes it: its tokens and refresh tokens are gone):
    the next request gets 401, and the app drops what it showed and says the session has ended."""
    db = copy_db(seeded_db, tmp_path / "revoked.sqlite3")
    app: RunningApp = start_app(db)
    try:
        page = open_app(browser, app.url)
        logged_in(page)
        with sqlite3.connect(db) as conn:
            conn.execute("DELETE FROM sessions")
            conn.execute("DELETE FROM oauth_refresh")
        _search(page, "Hansen")  # the next request to the EPJ
        expect(page.get_by_text("Økten din er utløpt. Logg inn på nytt.")).to_be_visible(timeout=15_000)
        expect(login_button(page)).to_be_visible()
        assert "I min behandling" not in visible_text(page)
        page.context.close()
    finally:
        app.stop()
