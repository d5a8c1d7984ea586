"""Every screen renders from its state without a browser (Flet's page on a fake session).

This catches a wrong control property or a crash in a rarely seen state (empty lists, errors,
no access, emergency access, each patient tab) in milliseconds; the browser tests cover the real
interaction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import flet as ft
import pytest
from flet.components.component import Component, Renderer
from flet.controls.context import _context_page

from mobile_app.domain.models import (
    Allergy,
    CarePlanActivity,
    CarePlanSummary,
    ContactDetails,
    CriticalCondition,
    CriticalInfo,
    DocumentSummary,
    Implant,
    Measurement,
    NextOfKin,
    PatientOverview,
    PloMessage,
    Stay,
)
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
from tests.app.fakes import FakeClient, patient


class FakeSession:
    def patch_control(self, control: Any, **kwargs: Any) -> None: ...
    def schedule_update(self, control: Any) -> None: ...
    def schedule_effect(self, hook: Any, is_cleanup: bool) -> None: ...
    async def after_event(self, control: Any) -> None: ...


def render(component: Callable[..., Any], *args: Any) -> ft.Control:
    page = ft.Page(sess=FakeSession())  # type: ignore[arg-type]
    fn = getattr(component, "__wrapped__", component)
    comp = Component(fn=fn, args=args, kwargs={})
    token = _context_page.set(page)  # type: ignore[arg-type]
    try:
        renderer = Renderer(comp)  # type: ignore[no-untyped-call]
        with renderer.with_context(), renderer._Frame(renderer, comp):  # type: ignore[no-untyped-call]
            result: ft.Control = comp.fn(*args)
    finally:
        _context_page.reset(token)
    return result


def texts(control: Any) -> Iterator[str]:
    """Every string shown by a control tree (Text values, labels, button contents)."""
    seen: set[int] = set()

    def walk(node: Any) -> Iterator[str]:
        if id(node) in seen or node is None:
            return
        seen.add(id(node))
        if isinstance(node, str):
            yield node
        elif isinstance(node, list | tuple):
            for item in node:
                yield from walk(item)
        elif isinstance(node, ft.BaseControl):
            for name in ("value", "label", "content", "controls", "title", "subtitle", "leading", "trailing",
                         "error", "helper", "tabs", "actions", "items", "text"):
                yield from walk(getattr(node, name, None))

    yield from walk(control)


def rich_overview(now: datetime, emergency: bool = False) -> PatientOverview:
    when = now - timedelta(hours=3)
    return PatientOverview(
        patient=patient("p1"),
        contact=ContactDetails(address="Holmeveien 1, 6801 Fjordvik", phone="92669517"),
        stay=Stay(id="e1", status="in-progress", kind="IMP", start=now - timedelta(days=4),
                  ward_name="Medisinsk sengepost", bed_name="Rom 3 seng 2", reason="Pneumoni",
                  responsible="Kari Nordmann"),
        responsible_doctor="Kari Nordmann",
        critical=CriticalInfo(
            allergies=(Allergy(substance="Penicillin", criticality="high", reactions=("Anafylaksi",)),
                       Allergy(substance="Kodein", criticality="low")),
            conditions=(CriticalCondition(text="Binyrebarksvikt", onset=now),),
            implants=(Implant(text="Pacemaker"),), flagged=True),
        vitals=(Measurement(id="v1", code="8867-4", name="Puls", value=112, unit="/min", time=when,
                            interpretation="H"),
                Measurement(id="v2", code="85354-9", name="Blodtrykk", time=when,
                            components=(("8480-6", 121.0, "mmHg"), ("8462-4", 78.0, "mmHg")))),
        labs=(Measurement(id="l1", code="NPU19748", name="P-CRP", value=145, unit="mg/L", high=5,
                          interpretation="H", time=when),
              Measurement(id="l2", code="NPU03230", name="P-Kalium", value=6.4, unit="mmol/L", low=3.5,
                          high=5.0, interpretation="HH", time=when),
              Measurement(id="l3", code="NOR05172", name="B-Hemoglobin", status="registered", time=when)),
        stays=(Stay(id="e1", status="in-progress", kind="IMP", start=now - timedelta(days=4), reason="Pneumoni"),
               Stay(id="e0", status="finished", kind="AMB", start=now - timedelta(days=400),
                    end=now - timedelta(days=400))),
        documents=(DocumentSummary(id="d1", title="Innkomstjournal", type_name="Innkomstjournal", date=when,
                                   author="Kari Nordmann", text="Anamnese: ..."),
                   DocumentSummary(id="d2", title="Daglig notat", status="preliminary", date=when)),
        next_of_kin=(NextOfKin(name="Bård Lund", relationship="Sønn", phone="96657377", is_next_of_kin=True),),
        care_plans=(CarePlanSummary(title="Behandlingsplan", description="Antibiotika",
                                    activities=(CarePlanActivity(status="completed", description="Væske"),
                                                CarePlanActivity(status="weird", description="Ukjent status"))),),
        plo_messages=(PloMessage(id="m1", message_type="Melding om innlagt pasient", sent=when,
                                 sender="Fjordvik universitetssykehus HF", recipient="Fjordvik kommune",
                                 text="Pasienten er innlagt."),),
        emergency_access_until=now + timedelta(hours=4) if emergency else None,
        fetched_at=now,
    )


@pytest.fixture
async def logged_in(app: AppState) -> AppState:
    app.login.username, app.login.pin = "lege1", "1234"
    await app.submit_login()
    return app


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_login_and_lock_render_with_every_message(app: AppState, lang: str) -> None:
    t = Messages(lang)
    app.login.problem = Problem("login.locked", {"minutes": 5})
    app.login.notice = Problem("login.expired")
    shown = " ".join(texts(render(LoginScreen, app, app.login, t)))
    assert t("login.locked", minutes=5) in shown and t("login.expired") in shown
    app.lock.problem = Problem("lock.wrong")
    assert t("lock.wrong") in " ".join(texts(render(LockScreen, app, app.lock, t)))


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
    assert t("banner.critical") in shown  # the banner and its red marker on every tab
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
