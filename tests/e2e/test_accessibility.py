"""Every screen's touch targets are at least 48 x 48 px and named, measured in Chromium on a phone
(390 x 844) from Flutter's accessibility tree (``tests/support/a11y.py``).

One walk visits every screen (login, the four tabs, the menu, the patient's tabs, lab and
microbiology, the vital-signs and thrombosis forms and the NEWS2 trend, messages, writing, the
outbox, scanning, the lock screen) and reports every small or
nameless control at the end, so one run lists them all. Text size and contrast are checked on the
control tree (``tests/app/test_accessibility.py``).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.a11y import problems
from tests.support.browser import (
    SeedFacts,
    choose_session_pin,
    log_in_on_epj_page,
    login_button,
    on_overview,
    open_from_ward,
    open_login_page,
    scroll_until_visible,
    showing,
    tap_labelled,
    type_into,
)

pytestmark = pytest.mark.e2e


def _menu(page: Page, item: str) -> None:
    """Choose an item of the account menu (the tap is tried again while a screen is still sliding)."""
    entry = page.get_by_role("menuitem", name=re.compile(item)).first
    for _ in range(3):
        tap_labelled(page, "Meny")
        try:
            entry.wait_for(timeout=3_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    entry.click(timeout=10_000)


def test_every_screen_has_touch_targets_of_48_px_with_names(page: Page, facts: SeedFacts) -> None:
    found: list[str] = []
    login_button(page).wait_for(timeout=30_000)
    found += problems(page, "login")
    log_in_on_epj_page(open_login_page(page), "lege1", "1234")
    page.bring_to_front()
    page.get_by_role("textbox", name="Ny PIN-kode").wait_for(timeout=30_000)
    found += problems(page, "choose a session PIN")
    choose_session_pin(page)
    page.get_by_text("I min behandling").wait_for(timeout=30_000)
    page.wait_for_timeout(500)
    found += problems(page, "my patients")
    tap_labelled(page, "Meny")
    page.get_by_role("menuitem", name=re.compile("Meldinger")).first.wait_for(timeout=10_000)
    found += problems(page, "menu")
    page.keyboard.press("Escape")
    page.wait_for_timeout(400)

    page.get_by_role("tab", name="Sengepost").click()
    expect(page.get_by_text(re.compile(r"senger belagt"))).to_be_visible(timeout=10_000)
    found += problems(page, "ward list")
    page.get_by_role("tab", name="Søk").click()
    type_into(page, "Navn, fødselsnummer eller fødselsdato", "ha")
    expect(showing(page, re.compile(r"treff|Viser de"))).to_be_visible(timeout=10_000)
    found += problems(page, "search")
    page.get_by_role("tab", name="Varsler").click()
    page.wait_for_timeout(800)
    found += problems(page, "notifications")

    open_from_ward(page, facts, facts.med_patient["display_name"])
    on_overview(page)
    found += problems(page, "patient overview")
    for button, name, ready in (("Registrer vitale målinger", "vital signs form", "Respirasjonsfrekvens"),
                                ("NEWS2-trend", "news2 trend", "Lav (0–4)"),
                                ("Vurder tromboserisiko", "thrombosis risk form", "Lagre vurdering")):
        target = page.get_by_role("button", name=button)
        scroll_until_visible(page, target)
        found += problems(page, f"patient overview at {button!r}")
        target.first.click()
        showing(page, ready).first.wait_for(timeout=10_000)
        page.wait_for_timeout(600)
        found += problems(page, name)
        tap_labelled(page, "Tilbake")  # nothing entered: the form closes without asking
        on_overview(page)
    page.get_by_role("tab", name="Lab").click()
    showing(page, "Følg prøvesvar").wait_for(timeout=10_000)
    found += problems(page, "lab")
    showing(page, "Mikrobiologi").click()
    page.wait_for_timeout(800)
    found += problems(page, "microbiology")
    tap_labelled(page, "Tilbake")
    page.wait_for_timeout(600)

    _menu(page, "Meldinger")
    page.get_by_role("button", name="Ny melding").wait_for(timeout=10_000)
    found += problems(page, "messages")
    page.get_by_role("button", name="Ny melding").click()
    page.get_by_role("textbox", name="Melding").wait_for(timeout=10_000)
    found += problems(page, "new message")
    tap_labelled(page, "Tilbake")
    page.wait_for_timeout(400)
    tap_labelled(page, "Tilbake")
    page.wait_for_timeout(400)

    page.get_by_role("tab", name="Søk").click()
    tap_labelled(page, "Skann armbånd")
    expect(page.get_by_text("Klar til å skanne")).to_be_visible(timeout=10_000)
    found += problems(page, "scan")
    tap_labelled(page, "Tilbake")
    page.wait_for_timeout(400)

    _menu(page, "Lås")
    page.get_by_role("textbox", name="PIN-kode").wait_for(timeout=10_000)
    found += problems(page, "lock")
    assert not found, f"{len(found)} controls too small or without a name:\n" + "\n".join(found)
