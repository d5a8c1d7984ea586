"""Every screen renders from its state without a browser (Flet's page on a fake session).

This catches a wrong control property or a crash in a rarely seen state (empty lists, errors,
no access, emergency access, each patient tab) in milliseconds; the browser tests cover the real
interaction.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from mobile_app.epj.errors import Offline
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.lock import LockScreen
from mobile_app.ui.screens.login import LoginScreen
from mobile_app.ui.screens.my_patients import MyPatientsScreen
from mobile_app.ui.screens.notifications import NotificationsScreen
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.search import SearchScreen
from mobile_app.ui.screens.ward import WardScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import Problem, Status
from mobile_app.ui.viewmodels.patient import TABS
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient
from tests.support.overviews import rich_overview
from tests.support.screens import render, texts


@pytest.fixture
async def logged_in(app: AppState) -> AppState:
    await sign_in(app, "lege1")
    return app


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_login_and_lock_render_with_every_message(app: AppState, lang: str) -> None:
    t = Messages(lang)
    app.flow.login.problem = Problem("login.locked", {"minutes": 5})
    app.flow.login.notice = Problem("login.expired")
    shown = " ".join(texts(render(LoginScreen, app, app.flow.login, t)))
    assert t("login.locked", minutes=5) in shown and t("login.expired") in shown
    app.flow.lock.problem = Problem("lock.wrong")
    assert t("lock.wrong") in " ".join(texts(render(LockScreen, app, app.flow.lock, t)))


async def test_lists_render_in_each_state(logged_in: AppState, client: FakeClient) -> None:
    app, t = logged_in, Messages("nb")
    assert t("ward.empty_bed") in " ".join(texts(render(WardScreen, app, app.ward, t)))
    assert t("my.in_care") in " ".join(texts(render(MyPatientsScreen, app, app.my, t)))
    client.fail = Offline("down")
    await app.ward.refresh()
    shown = " ".join(texts(render(WardScreen, app, app.ward, t)))
    assert t("state.offline") in shown and t("ward.empty_bed") in shown  # old data kept, and why
    app.search.change("hansen")
    await asyncio.sleep(0.2)
    assert "Hansen" in " ".join(texts(render(SearchScreen, app, app.search, t)))
    app.search.change("01018012346")
    shown = " ".join(texts(render(SearchScreen, app, app.search, t)))
    assert "Ugyldig fødselsnummer" in shown
    await app.notifications.refresh()
    assert t("notifications.empty") in " ".join(texts(render(NotificationsScreen, app, app.notifications, t)))


@pytest.mark.parametrize("tab", TABS)
async def test_every_patient_tab_renders(logged_in: AppState, tab: str) -> None:
    app, t = logged_in, Messages("nb")
    screen = await app.open_patient("p1")
    screen.overview = rich_overview(datetime.now(UTC))
    screen.open_tab(tab)
    shown = " ".join(texts(render(PatientScreen, app, screen, t)))
    assert "CAVE: Penicillin – anafylaksi · Binyrebarksvikt · Implantat: Pacemaker" in shown  # on every tab
    assert "Kari Nordmann" in shown or tab != "overview"


async def test_patient_screen_states(logged_in: AppState, client: FakeClient) -> None:
    app, t = logged_in, Messages("en")
    client.no_access.add("p9")
    screen = await app.open_patient("p9")
    assert t("access.title") in " ".join(texts(render(PatientScreen, app, screen, t)))
    screen.overview = rich_overview(datetime.now(UTC), emergency=True)
    screen.no_access = False
    shown = " ".join(texts(render(PatientScreen, app, screen, t)))
    assert "EMERGENCY ACCESS until" in shown
    screen.open_document("d1")
    assert "Anamnese: ..." in " ".join(texts(render(PatientScreen, app, screen, t)))
    screen.status, screen.problem = Status.ERROR, Problem("state.offline")
    assert t("state.offline") in " ".join(texts(render(PatientScreen, app, screen, t)))
