"""The Safety items of issue 13 in the browser, on a 360 x 740 and a 390 x 844 phone, with
screenshots of each changed screen at both sizes (test-artefacts/screenshots/6x-*-<size>.png).

The app runs against a mock EPJ of this module's own (``own_server``): the labs it posts, the
faults it injects and the notes it writes touch no other test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import (
    TYPED,
    VIEWPORTS,
    RunningApp,
    SeedFacts,
    fnr,
    focus,
    logged_in,
    on_overview,
    open_from_ward,
    screen_text,
    scroll_until_visible,
    shot,
    showing,
    tap_labelled,
    tap_until,
    type_into,
    ward_patients,
)
from tests.support.live_epj import critical_allergy, faults, lab, no_faults, notes_with, post, token, written

pytestmark = pytest.mark.e2e

OSLO = ZoneInfo("Europe/Oslo")
CRITICAL = 'flt-semantics[aria-label^="Kritisk informasjon: "]'  # the banner's button (its tooltip)


def _index(viewport: str) -> int:
    return list(VIEWPORTS).index(viewport)


def _spaced(number: str) -> str:
    """A regex for a Norwegian number such as 20 057 (a non-breaking space between thousands)."""
    return number.replace(" ", r"\s")


def _new_journal_note(page: Page, facts: SeedFacts) -> None:
    """lege1 opens the med patient from the ward list and starts a journal note in the Notes tab."""
    logged_in(page)
    open_from_ward(page, facts, facts.med_patient["display_name"])
    on_overview(page)
    page.get_by_role("tab", name="Notater").click()
    page.get_by_role("button", name="Nytt journalnotat").click(timeout=10_000)


def _oslo_when(moment: datetime, now: datetime) -> str:
    """How the app writes a sample's time: "i dag 06:14", else "28.11. 06:14" (Oslo's clock)."""
    local = moment.astimezone(OSLO)
    if local.date() == now.astimezone(OSLO).date():
        return f"i dag {local:%H:%M}"
    return f"{local:%d.%m.} {local:%H:%M}"


@pytest.fixture(scope="module")
def posted_labs(own_server: RunningApp, facts: SeedFacts) -> datetime:
    """A sample of this morning still at the lab (written by a server at +02:00) and a critical
    sodium (written at +00:00), for the med patient; returns when the pending sample was taken."""
    bearer = token(own_server)
    pid = str(facts.med_patient["id"])
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    taken = now - timedelta(minutes=30)
    post(own_server, bearer, lab(pid, "NPU18016", "P-Kreatinin", written(taken, 2), "µmol/L", 60, 105))
    post(own_server, bearer, lab(pid, "NPU03429", "P-Natrium", written(now - timedelta(minutes=5), 0), "mmol/L",
                                 137, 145, value=117))
    return taken


def test_the_overview_judges_vitals_and_puts_critical_results_first(phone: Page, viewport: str, facts: SeedFacts,
                                                                    posted_labs: datetime) -> None:
    logged_in(phone)
    open_from_ward(phone, facts, facts.med_patient["display_name"])
    on_overview(phone)
    expect(phone.locator(CRITICAL).first).to_be_visible(timeout=10_000)  # says what, e.g. CAVE: Lateks
    bands = "Lav|Lav–middels|Middels|Høy|Ufullstendig"
    expect(showing(phone, re.compile(rf"NEWS2 (minst )?\d+\s+({bands})"))).to_be_visible()
    expect(showing(phone, re.compile(r"(Høy|Lav|Avvikende|Får oksygen) · \d p"))).to_be_visible()
    assert "0 L/min" not in screen_text(phone)  # room air is "Romluft"
    shot(phone, f"60-overview-vitals-{viewport}")
    pending = f"Ny prøve tatt {_oslo_when(posted_labs, datetime.now(UTC))} · venter på svar"
    scroll_until_visible(phone, showing(phone, pending))
    text = screen_text(phone)
    labs = text[text.index("Nyeste prøvesvar"):]
    assert re.search(r"\d+(\.\d+)? µmol/L", labs), labs  # the last real value beside the pending sample
    assert not re.search(r"(^|[|] |[^\d.] )µmol/L", labs), labs  # never a unit without its number
    assert labs.index("117 mmol/L") < labs.index(pending), labs  # critical first
    # Scrolled: the banner is one line, with who (name, number) and what (critical information).
    expect(showing(phone, re.compile(r"\d+ år · "))).to_have_count(0)
    expect(phone.locator(CRITICAL).first).to_be_visible()
    number = fnr(facts.med_patient)
    expect(showing(phone, f"{number[:6]} {number[6:]}")).to_be_visible()
    shot(phone, f"61-overview-labs-collapsed-banner-{viewport}")


@pytest.fixture(scope="module")
def newly_flagged(own_server: RunningApp, seeded_db: Path) -> list[dict[str, object]]:
    """Two ward patients nobody has opened yet, given critical information (a penicillin allergy)."""
    patients = ward_patients(seeded_db, "ward-med", flagged=False)[:2]
    bearer = token(own_server)
    for patient in patients:
        for resource in critical_allergy(str(patient["id"]), "Penicillin", "Anafylaksi"):
            post(own_server, bearer, resource)
    return patients


def test_a_failed_overview_keeps_the_critical_marker_and_try_again_ends_like_any_opening(
        phone: Page, viewport: str, facts: SeedFacts, own_server: RunningApp,
        newly_flagged: list[dict[str, Any]]) -> None:
    patient = newly_flagged[_index(viewport)]
    logged_in(phone)
    phone.get_by_role("tab", name="Sengepost").click()
    expect(phone.get_by_text(re.compile(rf"^\d+ av {facts.med_beds} senger belagt"))).to_be_visible(timeout=10_000)
    faults(own_server, error_next=1, methods=["POST"], path_prefix="/fhir")  # the overview's batch fails once
    try:
        row = phone.get_by_role("button", name=re.compile(re.escape(patient["display_name"])))
        scroll_until_visible(phone, row)
        row.first.click(timeout=10_000)
        expect(showing(phone, "Kritisk informasjon finnes, men kunne ikke hentes")).to_be_visible(timeout=10_000)
        shot(phone, f"62-overview-failed-critical-kept-{viewport}")
    finally:
        no_faults(own_server)
    phone.get_by_role("button", name="Prøv igjen").click()
    on_overview(phone)
    expect(phone.locator('flt-semantics[aria-label^="Kritisk informasjon: CAVE: Penicillin – anafylaksi"]')
           ).to_be_visible(timeout=10_000)
    phone.get_by_role("tab", name="Notater").click()
    expect(phone.get_by_role("button", name="Endre sengepostmerknad")).to_be_visible(timeout=10_000)
    tap_labelled(phone, "Tilbake")
    phone.get_by_role("tab", name="Mine pasienter").click()
    expect(phone.get_by_text("Nylig åpnet")).to_be_visible(timeout=10_000)
    expect(phone.get_by_role("button", name=re.compile(re.escape(patient["display_name"]))).first).to_be_visible(
        timeout=10_000)


def test_break_the_glass_ends_like_any_opening_with_the_time_on_the_oslo_clock(
        phone: Page, viewport: str, seeded_db: Path) -> None:
    patient = ward_patients(seeded_db, "ward-kir")[1 + _index(viewport)]
    logged_in(phone)
    # Each tap that opens a screen is made again if it was lost (made while the screen still settled).
    search_field = phone.get_by_role("textbox", name="Navn, fødselsnummer eller fødselsdato")
    tap_until(phone, phone.get_by_role("tab", name="Søk"), search_field)
    type_into(phone, "Navn, fødselsnummer eller fødselsdato", fnr(patient))
    found = phone.get_by_role("button", name=re.compile(re.escape(patient["display_name"])))
    found.first.wait_for(timeout=10_000)
    tap_until(phone, found, phone.get_by_text("Ingen tjenstlig tilgang"))
    # The form must have stopped sliding in before the tap on its field (a tap that lands early picks a
    # common reason above it), and the typed reason must have reached the app before the grant.
    _settled(phone)
    type_into(phone, "Begrunnelse (minst 10 tegn)", "Akutt tilsyn, pasienten er ustabil")
    granted = datetime.now(UTC)
    _tap_until_it_leaves(phone, phone.get_by_role("button", name="Gi meg nødtilgang"))
    banner = phone.get_by_text(re.compile(r"^NØDTILGANG til kl\. \d\d:\d\d$"))
    expect(banner).to_be_visible(timeout=10_000)
    shown = datetime.strptime(banner.inner_text()[-5:], "%H:%M").time()
    expected = (granted + timedelta(hours=4)).astimezone(OSLO)
    assert abs((shown.hour * 60 + shown.minute) - (expected.hour * 60 + expected.minute)) % 1440 <= 2, shown
    tap_until(phone, phone.get_by_role("tab", name="Notater"),
              phone.get_by_role("button", name="Endre sengepostmerknad"))
    shot(phone, f"63-break-the-glass-notes-{viewport}")
    tap_labelled(phone, "Tilbake")
    tap_until(phone, phone.get_by_role("tab", name="Mine pasienter"),
              phone.get_by_role("tab", name="Mine pasienter", selected=True))
    expect(phone.get_by_role("button", name=re.compile(re.escape(patient["display_name"]))).first).to_be_visible(
        timeout=10_000)
    shot(phone, f"64-recently-opened-{viewport}")


def test_a_nurse_is_not_offered_signing_and_gets_the_nursing_note_types(phone: Page, viewport: str,
                                                                        facts: SeedFacts) -> None:
    logged_in(phone, "spl1")
    open_from_ward(phone, facts, facts.med_patient["display_name"])
    on_overview(phone)
    phone.get_by_role("tab", name="Lab").click()
    expect(showing(phone, "Følg prøvesvar")).to_be_visible(timeout=10_000)
    expect(showing(phone, "Ikke signert")).to_be_visible(timeout=10_000)  # reads what is unsigned
    expect(phone.get_by_role("button", name=re.compile(r"^Signer \("))).to_have_count(0)
    expect(phone.get_by_role("checkbox")).to_have_count(0)
    shot(phone, f"65-nurse-lab-no-signing-{viewport}")
    phone.get_by_role("tab", name="Notater").click()
    phone.get_by_role("button", name="Nytt journalnotat").click(timeout=10_000)
    chooser = phone.get_by_role("button", name="Notattype: Sykepleienotat")  # the nurse's default
    expect(chooser).to_be_visible(timeout=10_000)
    chooser.click()
    expect(phone.get_by_role("button", name="Daglig notat")).to_be_visible(timeout=10_000)
    offered = screen_text(phone)
    assert "Innkomstjournal" not in offered and "Epikrise" not in offered, offered
    shot(phone, f"66-nurse-note-types-{viewport}")
    phone.keyboard.press("Escape")


def test_the_trend_screen_keeps_the_banner(phone: Page, viewport: str, facts: SeedFacts,
                                           posted_labs: datetime) -> None:
    logged_in(phone)
    open_from_ward(phone, facts, facts.med_patient["display_name"])
    on_overview(phone)
    phone.get_by_role("tab", name="Lab").click()
    phone.get_by_role("button", name=re.compile("P-Natrium")).first.click(timeout=10_000)
    expect(showing(phone, "Alle svar, nyeste først")).to_be_visible(timeout=10_000)
    expect(showing(phone, re.compile(r"CAVE: |Implantat: "))).to_be_visible()  # what, in words
    number = fnr(facts.med_patient)
    expect(showing(phone, f"{number[:6]} {number[6:]}")).to_be_visible()
    shot(phone, f"67-trend-with-banner-{viewport}")


def _settled(page: Page, quiet_ms: int = 600, within_ms: int = 15_000) -> None:
    """Wait until the page's DOM has not changed for ``quiet_ms`` (Flutter re-creates the semantics
    nodes of a list it rebuilds; on a loaded machine the documents list keeps rebuilding for a while
    after a draft is saved, and a tap in between hits a node that is being replaced)."""
    page.evaluate("""([quiet, within]) => new Promise(done => {
        let timer = setTimeout(finish, quiet);
        const seen = new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(finish, quiet); });
        const limit = setTimeout(finish, within);
        function finish() { seen.disconnect(); clearTimeout(timer); clearTimeout(limit); done(); }
        seen.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    })""", [quiet_ms, within_ms])


def _tap_until_it_leaves(page: Page, button: Locator, tries: int = 3) -> None:
    """Tap a button that opens another screen, again if the screen stays (a tap that lands while
    Flutter re-renders the list under it, e.g. when the saved draft's state arrives, is lost)."""
    for _ in range(tries):
        _settled(page)
        button.click(timeout=20_000)
        try:
            expect(button).to_be_hidden(timeout=5_000)
            return
        except AssertionError:
            continue
    expect(button).to_be_hidden()


def test_back_asks_and_a_draft_is_continued_and_signed(phone: Page, viewport: str, facts: SeedFacts,
                                                       own_server: RunningApp) -> None:
    _new_journal_note(phone, facts)
    number = fnr(facts.med_patient)
    expect(showing(phone, f"{number[:6]} {number[6:]}")).to_be_visible(timeout=10_000)
    marker = f"Utkast om mobilisering {viewport}"
    type_into(phone, "Tekst", marker)
    tap_labelled(phone, "Tilbake")
    expect(phone.get_by_text("Teksten er ikke lagret")).to_be_visible(timeout=10_000)
    shot(phone, f"68-editor-asks-before-discarding-{viewport}")
    phone.get_by_role("button", name="Lagre utkast").last.click()
    expect(showing(phone, "Mine utkast (ikke signert)")).to_be_visible(timeout=10_000)
    assert [n["docStatus"] for n in notes_with(own_server, marker)] == ["preliminary"]
    shot(phone, f"69-notes-tab-drafts-{viewport}")
    phone.get_by_role("tab", name="Dokumenter").click()
    # The Notes tab's own list of drafts gone (it has "Utkast" rows too), the documents shown.
    expect(showing(phone, "Mine utkast (ikke signert)")).to_have_count(0, timeout=10_000)
    expect(showing(phone, re.compile(r"(^|\s)Utkast(\s|$)"))).to_be_visible(timeout=10_000)
    phone.get_by_role("button", name=re.compile("Daglig notat.*Utkast")).first.click()
    _tap_until_it_leaves(phone, phone.get_by_role("button", name="Fortsett og signer"))
    # The draft's text is back in the editor (Flutter keeps a field's value off the DOM: its count shows it).
    expect(showing(phone, re.compile(rf"{len(marker)} / 20\s000 tegn"))).to_be_visible(timeout=10_000)
    shot(phone, f"70-draft-continued-{viewport}")
    phone.get_by_role("button", name="Signer og send").click()
    expect(phone.get_by_role("tab", name="Dokumenter")).to_have_attribute("aria-selected", "true", timeout=10_000)
    [note] = notes_with(own_server, marker)
    assert note["docStatus"] == "final"  # the same note, signed: no second copy


def test_a_pasted_note_over_the_limit_is_refused_with_its_count_not_cut(phone: Page, viewport: str,
                                                                       facts: SeedFacts,
                                                                       own_server: RunningApp) -> None:
    _new_journal_note(phone, facts)
    marker = f"Limt inn {viewport}. "
    pasted = (marker + "Pasienten har hatt tung pust siden i går. " * 600)[:20_057]
    TYPED.append(pasted)
    field = phone.get_by_role("textbox", name="Tekst")
    focus(phone, "Tekst")
    phone.keyboard.insert_text(pasted)
    expect(showing(phone, re.compile(_spaced("20 057 / 20 000 tegn")))).to_be_visible(timeout=10_000)
    expect(field).to_have_attribute("aria-description", re.compile(_spaced("Teksten har 20 057 tegn")))
    phone.get_by_role("button", name="Signer og send").click()
    expect(showing(phone, re.compile(_spaced("20 057 / 20 000 tegn")))).to_be_visible()  # still writing
    shot(phone, f"71-note-over-the-limit-{viewport}")
    assert notes_with(own_server, marker) == []  # nothing was sent
    focus(phone, "Tekst")
    phone.keyboard.press("ControlOrMeta+a")
    phone.keyboard.insert_text(pasted[:20_000])  # shortened: replaces the whole text
    expect(showing(phone, re.compile(_spaced("20 000 / 20 000 tegn")))).to_be_visible(timeout=10_000)
    phone.get_by_role("button", name="Signer og send").click()
    expect(phone.get_by_role("tab", name="Dokumenter")).to_have_attribute("aria-selected", "true", timeout=10_000)
    [note] = notes_with(own_server, marker)
    assert note["text"] == pasted[:20_000]


def test_a_note_sent_in_the_background_updates_the_screens_untapped(phone: Page, viewport: str, facts: SeedFacts,
                                                                    own_server: RunningApp) -> None:
    _new_journal_note(phone, facts)
    marker = f"Skrevet uten nett {viewport}"
    faults(own_server, drop_rate=1.0)
    try:
        type_into(phone, "Tekst", marker)
        phone.get_by_role("button", name="Signer og send").click()
        expect(showing(phone, "Venter på sending")).to_be_visible(timeout=15_000)
        shot(phone, f"72-note-waiting-{viewport}")
    finally:
        no_faults(own_server)
    # No tap from here on: the outbox sends it in the background, and the screen follows.
    expect(showing(phone, "Venter på sending")).to_have_count(0, timeout=45_000)
    assert [n["docStatus"] for n in notes_with(own_server, marker)] == ["final"]
    shot(phone, f"73-note-sent-untapped-{viewport}")
    tap_labelled(phone, "Meny")
    expect(phone.get_by_role("menuitem", name="Utboks (0 venter)")).to_be_visible(timeout=10_000)
    shot(phone, f"74-menu-outbox-count-{viewport}")
    phone.keyboard.press("Escape")
