"""Through the day in the browser (390 x 844): complete a task from its notification, register a
patient as arrived and undo it, open a colleague's appointment book. Screenshots in
test-artefacts/screenshots/9x-*.png."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.a11y import problems
from tests.support.browser import RunningApp, logged_in, menu_item, open_app, shot, showing, type_into

pytestmark = pytest.mark.e2e


@pytest.fixture
def page_390(browser: Browser, own_server: RunningApp) -> Iterator[Page]:
    page = open_app(browser, own_server.url)
    yield page
    page.context.close()


def _statuses(app: RunningApp, resource_type: str, resource_id: str) -> list[str]:
    db = sqlite3.connect(app.db)
    try:
        rows = db.execute("SELECT version, body FROM history WHERE type=? AND id=? UNION"
                          " SELECT version, body FROM resources WHERE type=? AND id=? ORDER BY 1",
                          (resource_type, resource_id, resource_type, resource_id)).fetchall()
    finally:
        db.close()
    return [json.loads(body)["status"] for (_, body) in rows]


def _completed_tasks(app: RunningApp) -> list[str]:
    db = sqlite3.connect(app.db)
    try:
        rows = db.execute("SELECT id, body FROM resources WHERE type='Task' AND deleted=0").fetchall()
    finally:
        db.close()
    return [id_ for id_, body in rows if json.loads(body)["status"] == "completed"]


def test_complete_a_task_from_its_notification(page_390: Page, own_server: RunningApp) -> None:
    page = page_390
    logged_in(page, "spl1")
    before = set(_completed_tasks(own_server))
    page.get_by_role("tab", name=re.compile("Varsler")).click()
    task = page.get_by_role("button", name=re.compile(r"Oppgave(?!r)")).first
    task.click(timeout=15_000)
    showing(page, "Bestilt av").wait_for(timeout=10_000)
    shot(page, "90-task-from-notification")
    page.get_by_role("button", name=re.compile("^Fullfør")).first.click(timeout=10_000)
    showing(page, "Fullført").wait_for(timeout=10_000)
    shot(page, "91-task-completed")
    for _ in range(30):
        if set(_completed_tasks(own_server)) - before:
            break
        page.wait_for_timeout(200)
    assert len(set(_completed_tasks(own_server)) - before) == 1


def test_my_tasks_tab_shows_overdue_tasks(page_390: Page) -> None:
    page = page_390
    logged_in(page, "hfa1")
    page.get_by_role("tab", name=re.compile("Oppgaver")).click()
    showing(page, "Over fristen").wait_for(timeout=10_000)
    shot(page, "92-my-tasks")
    found = problems(page, "my tasks")  # 48 px targets, every control named
    assert not found, found
    page.get_by_role("button", name="Posten").click()
    showing(page, re.compile("Ansvarlig: ")).wait_for(timeout=10_000)
    shot(page, "93-ward-tasks")


def test_register_arrival_and_undo_it(page_390: Page, own_server: RunningApp) -> None:
    page = page_390
    logged_in(page, "lege1")
    menu_item(page, "Timebok")
    showing(page, "Min timebok").wait_for(timeout=10_000)
    arrive = page.get_by_role("button", name=re.compile("^Registrer som møtt"))
    for _ in range(6):  # today's may all have been seen: the next days have booked ones
        page.wait_for_timeout(1200)
        if arrive.count():
            break
        page.locator('flt-semantics[aria-label="Neste dag"]').first.click()
    assert arrive.count(), "no booked appointment this week"
    shot(page, "94-appointment-book")
    arrive.first.click()
    undo = page.get_by_role("button", name=re.compile("^Angre"))
    undo.first.wait_for(timeout=10_000)
    expect(showing(page, re.compile("er registrert som møtt"))).to_be_visible()
    shot(page, "95-arrived-with-undo")
    found = problems(page, "appointment book")
    assert not found, found
    arrived = _arrived_appointments(own_server)
    assert len(arrived) == 1
    undo.first.click()
    page.wait_for_timeout(1500)
    shot(page, "96-arrival-undone")
    assert _statuses(own_server, "Appointment", arrived[0]) == ["booked", "arrived", "booked"]


def _arrived_appointments(app: RunningApp) -> list[str]:
    """Appointments that went to arrived through the API (a version after the seeded one)."""
    db = sqlite3.connect(app.db)
    try:
        ids = [r[0] for r in db.execute("SELECT id FROM resources WHERE type='Appointment' AND version > 1")]
    finally:
        db.close()
    return ids


def test_open_a_colleagues_book(page_390: Page) -> None:
    page = page_390
    logged_in(page, "lege2")
    menu_item(page, "Timebok")
    showing(page, "Min timebok").wait_for(timeout=10_000)
    page.get_by_role("button", name="Annen timebok").click()
    type_into(page, "Søk etter kollega eller poliklinikk", "Kari")
    choice = page.locator('flt-semantics[aria-label="Vis timeboka til Kari Nordmann"]').or_(
        page.get_by_role("button", name=re.compile("Kari Nordmann"))).first
    choice.wait_for(timeout=10_000)
    shot(page, "97-book-search")
    choice.click()
    showing(page, "Timebok: Kari Nordmann").wait_for(timeout=10_000)
    for _ in range(6):
        page.wait_for_timeout(1000)
        if page.get_by_label(re.compile("Begrunnelse vises bare")).count():
            break
        page.locator('flt-semantics[aria-label="Neste dag"]').first.click()
    shot(page, "98-colleagues-book")
    expect(showing(page, "Begrunnelse vises bare for dine pasienter")).to_be_visible()
