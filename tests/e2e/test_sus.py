"""The usability questionnaire (SUS) in the browser: offered after a session, answered, and its
score in the evaluators' report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from mobile_app.usage.cli import main as usage_main
from tests.support.browser import logged_in, open_app, shot, start_app, tap_labelled
from tests.support.database import copy_db

pytestmark = pytest.mark.e2e


def _log_out(page: Page) -> None:
    tap_labelled(page, "Meny")
    page.get_by_role("menuitem", name="Logg ut").click()
    expect(page.get_by_text("Du er logget ut", exact=False)).to_be_visible(timeout=10_000)


def _answer_every_statement(page: Page, label: str) -> None:
    """Tap ``label`` on each statement; the list builds as it scrolls, so scroll between taps."""
    for _ in range(10):
        choice = page.get_by_role("radio", name=label, checked=False).first
        choice.wait_for(timeout=10_000)
        choice.click()
        page.wait_for_timeout(150)
        page.mouse.move(195, 400)
        page.mouse.wheel(0, 160)
        page.wait_for_timeout(150)
    expect(page.get_by_role("radio", name=label, checked=False)).to_have_count(0)


def test_the_questionnaire_is_offered_answered_and_scored_in_the_report(browser: Browser, seeded_db: Path,
                                                                         tmp_path: Path) -> None:
    app = start_app(copy_db(seeded_db, tmp_path / "sus.sqlite3"), "--sus-after-sessions", "1")
    page = open_app(browser, app.url)
    try:
        logged_in(page)
        expect(page.get_by_role("button", name="Svar nå")).to_have_count(0)  # no session has ended yet
        _log_out(page)
        logged_in(page)
        expect(page.get_by_role("button", name="Svar nå")).to_be_visible(timeout=10_000)
        expect(page.get_by_role("button", name="Ikke nå")).to_be_visible()
        shot(page, "50-sus-offer")
        page.get_by_role("button", name="Svar nå").click()
        expect(page.get_by_text("Hvor enig er du", exact=False)).to_be_visible(timeout=10_000)
        page.get_by_role("button", name="Send svar").click()  # nothing answered yet
        expect(page.get_by_text("Mangler: 1, 2, 3", exact=False)).to_be_visible(timeout=10_000)
        _answer_every_statement(page, "4 – Enig")
        shot(page, "51-sus-questionnaire")
        page.get_by_role("button", name="Send svar").click()
        expect(page.get_by_text("Takk for svarene!")).to_be_visible(timeout=10_000)
        shot(page, "52-sus-thanks")
        page.get_by_role("button", name="Ferdig").click()
        expect(page.get_by_text("I min behandling")).to_be_visible(timeout=10_000)
        expect(page.get_by_role("button", name="Svar nå")).to_have_count(0)
    finally:
        page.context.close()
        app.stop()
    # All "agree" (4): odd items score 3, even items 1 -> (5 * 3 + 5 * 1) * 2.5 = 50.
    records = [json.loads(line) for path in sorted(app.usage_dir.glob("usage-*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines()]
    submitted = [r for r in records if r["event"] == "sus_submitted"]
    assert len(submitted) == 1 and submitted[0]["attrs"]["score"] == 50.0
    assert [r["event"] for r in records if r["event"].startswith("sus_")] == ["sus_offered", "sus_submitted"]
    report = tmp_path / "report.html"
    assert usage_main(["report", str(app.usage_dir / "collected.jsonl"), "--html", str(report)]) == 0
    assert "SUS scores (mean 50.0)" in report.read_text(encoding="utf-8")
