"""Every screen's text is at least 14 px and meets WCAG AA contrast, in the light and the dark theme.

Each screen is rendered on Flet's fake session in a rich state (lists filled, errors shown, every
patient tab, the menu, dialogs) and its control tree is walked by ``tests/support/a11y_tree.py``.
The touch targets are measured in the browser, where Flutter lays them out
(``tests/e2e/test_accessibility.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from mobile_app.domain.models import NotificationKind
from mobile_app.domain.vital_entry import VitalField
from mobile_app.epj.errors import Offline
from mobile_app.ui import shell, theme
from mobile_app.ui.messages import Messages
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Problem, Status
from mobile_app.ui.viewmodels.labs import MICRO
from mobile_app.ui.viewmodels.navigator import TAB_ORDER
from mobile_app.ui.viewmodels.patient import TABS
from mobile_app.ui.viewmodels.scan import ScanState
from tests.support.a11y_tree import DARK, LIGHT, Palette, contrast, findings
from tests.support.fake_epj import FakeClient
from tests.support.fake_epj.labs import notification
from tests.support.overviews import rich_overview
from tests.support.screens import render


async def every_screen(app: AppState, client: FakeClient, t: Messages) -> AsyncIterator[tuple[str, Any]]:
    """(name, rendered control) for every screen, each in a state that shows as much as it can."""
    from mobile_app.ui.screens.lock import LockScreen
    from mobile_app.ui.screens.login import LoginScreen

    flow = app.flow
    flow.login.problem, flow.login.notice = Problem("login.wrong"), Problem("login.no_secure_store")
    yield "login", render(LoginScreen, app, flow.login, t)
    flow.lock.problem = Problem("lock.wrong")
    yield "lock", render(LockScreen, app, flow.lock, t)

    client.notification_items = [notification("n1", NotificationKind.LAB_RESULT, 5),
                                 notification("n2", NotificationKind.TASK, 50, patient_id=None, read=True)]
    await app.notifications.refresh()
    app.search.change("hansen")
    await app.search.search_now()
    await app.tasks.load()
    for home in TAB_ORDER:
        app.nav.select_tab(home)
        yield f"home:{home.value}", render(shell.home_view, app, t, lambda: None)
    client.fail = Offline("down")
    await app.ward.refresh()
    app.nav.select_tab(TAB_ORDER[1])
    yield "ward, offline", render(shell.home_view, app, t, lambda: None)

    def pushed(name: str) -> tuple[str, Any]:
        index = len(app.nav.stack) - 1
        return name, render(shell.pushed_view, app, t, index, app.nav.stack[-1], lambda: None)

    screen = await app.open_patient("p1")
    screen.overview = rich_overview(datetime.now(UTC), emergency=True)
    for tab in TABS:
        screen.open_tab(tab)
        if tab == "lab" and screen.labs is not None:
            await screen.labs.opened()
            yield pushed("patient:lab")
            await screen.labs.show_section(MICRO)
            yield pushed("patient:micro")
            continue
        yield pushed(f"patient:{tab}")
    screen.open_document("d1")
    yield pushed("patient:document")
    screen.open_document(None)
    screen.status, screen.problem = Status.ERROR, Problem("state.offline")
    yield pushed("patient:stale")
    screen.status, screen.problem = Status.READY, None
    assert screen.labs is not None and screen.labs.panel is not None
    app.open_trend(screen, screen.labs.panel.latest[0])
    yield pushed("trend")
    app.nav.back()
    form = app.open_vitals_form(screen)  # an unusual pulse to confirm, a score with its response
    assert form is not None
    for field, text in {VitalField.RESPIRATION: "26", VitalField.SPO2: "91", VitalField.SYSTOLIC: "95",
                        VitalField.DIASTOLIC: "60", VitalField.PULSE: "35", VitalField.TEMPERATURE: "38,5"}.items():
        form.set_text(field, text)
    yield pushed("vital signs form")
    form.confirm(VitalField.PULSE)
    yield pushed("vital signs form, confirmed")
    form.set_text(VitalField.PULSE, "400")  # refused
    yield pushed("vital signs form, refused")
    app.nav.close(form)
    risk = app.open_thrombosis_form(screen)
    assert risk is not None
    yield pushed("thrombosis risk form")
    app.nav.close(risk)
    news2_trend = app.open_news2_trend(screen)
    assert news2_trend is not None
    await news2_trend.load()
    yield pushed("news2 trend")
    app.nav.close(news2_trend)
    editor = app.open_note_editor(screen)
    assert editor is not None
    editor.set_text("x" * 20_001)
    yield pushed("note editor")
    app.nav.back()
    editor.discard()
    client.no_access.add("p9")
    await app.open_patient("p9")
    yield pushed("no access")
    app.nav.select_tab(TAB_ORDER[0])
    messages = app.open_messages()
    await messages.refresh()
    await messages.open("in-1")
    yield pushed("messages")
    compose = app.open_compose()
    assert compose is not None
    compose.set_text("Hei")
    await compose.search("Ola")
    yield pushed("compose")
    app.open_outbox()
    yield pushed("outbox")
    book = app.open_book()
    await app.background_done()
    await book.register_arrival(book.rows[0])
    yield pushed("appointment book, arrived")
    book.open_search()
    await book.search("jon")
    await asyncio.sleep(0.3)
    yield pushed("appointment book, search")
    await book.choose(book.found[0])
    yield pushed("appointment book, a colleague's")
    app.tasks.changes.start_hand_back(app.tasks.shown[0])
    app.nav.select_tab(TAB_ORDER[3])
    yield "tasks, handing back", render(shell.home_view, app, t, lambda: None)
    task = app.open_work_task(app.tasks.shown[0])
    yield pushed("task, handing back")
    app.nav.close(task)
    scan = app.scans.open_scan()
    await scan.submit("]d28018708000000000000999", "scanner")
    assert isinstance(app.nav.stack[-1], ScanState)
    yield pushed("scan, invalid")


@pytest.mark.parametrize(("mode", "palette"), [("light", LIGHT), ("dark", DARK)])
async def test_every_screen_has_text_of_14_px_and_aa_contrast(writer: AppState, client: FakeClient,
                                                              mode: str, palette: Palette) -> None:
    t = Messages("nb")
    found = [line async for name, control in every_screen(writer, client, t)
             for line in findings(control, palette, name)]
    assert not found, f"{len(found)} unreadable texts in the {mode} theme:\n" + "\n".join(sorted(set(found)))


def test_the_themes_text_and_background_pairs_meet_aa() -> None:
    """The colour roles meant to be read on each other, and the app's own status colours."""
    pairs = [("on_surface", "surface"), ("on_surface_variant", "surface"), ("on_surface", "surface_container"),
             ("on_surface_variant", "surface_container_highest"), ("primary", "surface"),
             ("on_primary", "primary"), ("on_primary_container", "primary_container"),
             ("on_secondary_container", "secondary_container"), ("on_tertiary_container", "tertiary_container"),
             ("error", "surface"), ("on_error_container", "error_container")]
    for palette in (LIGHT, DARK):
        for fg, bg in pairs:
            assert contrast(palette.role(fg), palette.role(bg)) >= 4.5, (fg, bg)
    fixed = [(theme.WARNING_FG, theme.WARNING_BG), (theme.CONFIRM_FG, theme.CONFIRM_BG),
             ("#FFFFFF", theme.CRITICAL), ("#FFFFFF", theme.EMERGENCY), (theme.CRITICAL, theme.CRITICAL_BG)]
    for fg, bg in fixed:
        assert contrast(LIGHT.rgb(fg, (1, 1, 1)), LIGHT.rgb(bg, (1, 1, 1))) >= 4.5, (fg, bg)


def test_the_checker_finds_faint_and_small_text() -> None:
    """The check itself: a disabled menu item (on_surface at 38 %), a 12 px caption, grey on grey."""
    import flet as ft

    menu = ft.PopupMenuButton(items=[ft.PopupMenuItem(content=ft.Text("Innlogget som Kari"), disabled=True)])
    assert any("contrast 2.3" in f for f in findings(menu, LIGHT, "menu"))
    assert any("12 px" in f for f in findings(ft.Text("Oppdatert kl. 10:00", size=12), LIGHT, "caption"))
    faint = ft.Container(ft.Text("grå", color=ft.Colors.OUTLINE), bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST)
    assert findings(faint, LIGHT, "x")
    assert not findings(ft.Text("Svart på hvitt"), LIGHT, "x")
    assert findings(ft.Container(ft.Text("ok"), bgcolor=theme.WARNING_BG), DARK, "dark default on light")
