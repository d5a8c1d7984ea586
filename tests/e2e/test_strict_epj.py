"""A core of the app in the browser against the embedded mock in strict mode (``visitt --strict``):
a plain FHIR R4 server with no mock-only behaviour (unknown search parameters refused, batch entries
shuffled, no custom headers). Login and My patients, a patient from the ward list with critical
information, a signed journal note, and break-the-glass by SMART token exchange (standard OAuth, so a
strict server gives it too; the custom header it does not honour is no longer sent)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    RunningApp,
    SeedFacts,
    fnr,
    logged_in,
    on_overview,
    open_app,
    open_ward_patient,
    shot,
    start_app,
    type_into,
)
from tests.support.database import copy_db

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def strict_app(seeded_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    running = start_app(copy_db(seeded_db, tmp_path_factory.mktemp("e2e-strict") / "epj.sqlite3"), "--strict")
    yield running
    running.stop()


@pytest.fixture
def strict_page(browser: Browser, strict_app: RunningApp) -> Iterator[Page]:
    page = open_app(browser, strict_app.url)
    yield page
    page.context.close()


def test_a_ward_patients_overview_and_a_signed_note_on_a_strict_server(strict_page: Page, facts: SeedFacts) -> None:
    page = strict_page
    logged_in(page)
    expect(page.get_by_text("Nylig åpnet")).to_be_visible()
    open_ward_patient(page, facts)
    on_overview(page)
    critical = page.get_by_role("button", name=re.compile(r"^CAVE: |Implantat: |Kritisk informasjon finnes"))
    expect(critical.first).to_be_visible(timeout=10_000)
    shot(page, "strict-01-overview")
    page.get_by_role("tab", name="Notater").click()
    page.get_by_role("button", name="Nytt journalnotat").click(timeout=10_000)
    marker = f"Strengt FHIR {uuid.uuid4().hex[:6]}"
    type_into(page, "Tekst", marker)
    page.get_by_role("button", name="Signer og send").click()
    expect(page.get_by_role("tab", name="Dokumenter")).to_have_attribute("aria-selected", "true", timeout=10_000)
    page.get_by_role("button", name=re.compile("Daglig notat")).first.click()
    expect(page.get_by_text(marker)).to_be_visible(timeout=10_000)


def test_break_the_glass_on_a_strict_server_by_token_exchange(strict_page: Page, facts: SeedFacts) -> None:
    logged_in(strict_page)
    patient = facts.kir_patient
    strict_page.get_by_role("tab", name="Søk").click()
    type_into(strict_page, "Navn, fødselsnummer eller fødselsdato", fnr(patient))
    strict_page.get_by_role("button", name=re.compile(patient["display_name"])).click(timeout=10_000)
    expect(strict_page.get_by_text("Ingen tjenstlig tilgang")).to_be_visible(timeout=10_000)
    type_into(strict_page, "Begrunnelse (minst 10 tegn)", "Akutt tilsyn, pasienten er ustabil")
    strict_page.get_by_role("button", name="Gi meg nødtilgang").click()
    expect(strict_page.get_by_text(re.compile(r"NØDTILGANG til kl\. \d\d:\d\d"))).to_be_visible(timeout=15_000)
    expect(strict_page.get_by_text("Ingen tjenstlig tilgang")).to_have_count(0)
    shot(strict_page, "strict-02-break-glass-by-token-exchange")
