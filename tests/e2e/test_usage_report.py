"""The usage report opens offline in Debian's Chromium with every chart present and visible."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from mobile_app.usage.cli import main
from mobile_app.usage.report import CHART_IDS
from tests.support.browser import ARTEFACTS

pytestmark = pytest.mark.e2e


def test_the_usage_report_shows_every_chart_in_chromium(browser: Browser, tmp_path: Path) -> None:
    logs, report = tmp_path / "logs", tmp_path / "report.html"
    assert main(["simulate", "--users", "30", "--days", "21", "--seed", "3", "--out", str(logs)]) == 0
    assert main(["report", str(logs), "--html", str(report)]) == 0

    context = browser.new_context(viewport={"width": 900, "height": 1200}, offline=True)
    requests: list[str] = []
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(report.as_uri())
        expect(page.get_by_role("heading", name="Visitt usage report")).to_be_visible()
        for chart_id in CHART_IDS:
            chart = page.locator(f"#{chart_id}")
            chart.scroll_into_view_if_needed()
            expect(chart).to_be_visible()
            expect(chart.locator("svg")).to_be_visible()
            assert chart.get_attribute("aria-label"), chart_id
            box = chart.locator("svg").bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 30, chart_id
        page.locator("#chart-patient-routes summary").click()
        expect(page.locator("#chart-patient-routes table")).to_be_visible()
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTEFACTS / "usage-report.png"), full_page=True)
    finally:
        context.close()
    assert requests == [report.as_uri()], "the report fetches nothing"
