"""Pushed screens declared once on their state (title, usage name, forget, view) and the app state's
parts: a new screen needs no other edit to be shown and forgotten, the shell hears every part's
changes, and nothing about patients shows in a repr."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field

import flet as ft
import pytest

import mobile_app.ui.viewmodels as viewmodels
from mobile_app.services.session import Phase
from mobile_app.services.usage.registry import SCREENS
from mobile_app.ui.messages import CATALOGUE, Messages
from mobile_app.ui.screen_views import shows, view_for
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.navigator import Tab
from mobile_app.ui.viewmodels.patient import PatientState
from mobile_app.ui.viewmodels.pushed import PushedScreen
from mobile_app.ui.viewmodels.scan import ScanState
from tests.support.app_sessions import logged_in, valid_fnr
from tests.support.screens import render, texts


@ft.observable
@dataclass(eq=False, repr=False)
class BedsideChecklistState(PushedScreen):
    """A screen that exists only in this test: declared here and nowhere else in the app."""

    TITLE = "app.name"
    USAGE_NAME = "notes"

    patient_name: str = ""
    ticked: list[str] = field(default_factory=list)

    def forget(self) -> None:
        self.patient_name = ""
        self.ticked = []


@shows(BedsideChecklistState)
@ft.component
def BedsideChecklistScreen(app: AppState, screen: BedsideChecklistState, t: Messages) -> ft.Control:
    return ft.Column([ft.Text(screen.patient_name), *(ft.Text(item) for item in screen.ticked)])


def app_screens() -> list[type[PushedScreen]]:
    """Every pushed screen class the app instantiates (each view-model module imported; the leaves
    of the class tree, since ``@ft.observable`` makes a subclass of the class it decorates)."""
    for module in pkgutil.iter_modules(viewmodels.__path__):
        importlib.import_module(f"{viewmodels.__name__}.{module.name}")
    found: list[type[PushedScreen]] = []
    todo = list(PushedScreen.__subclasses__())
    while todo:
        kind = todo.pop()
        todo.extend(kind.__subclasses__())
        if kind.__module__.startswith("mobile_app.") and not kind.__subclasses__():
            found.append(kind)
    return found


async def test_a_new_screen_declared_once_is_shown_and_forgotten_at_logout(app: AppState) -> None:
    await logged_in(app)
    screen = app.nav.push(BedsideChecklistState(patient_name="Kari Nordmann", ticked=["Fall risk"]))
    assert app.nav.stack[-1] is screen
    assert view_for(BedsideChecklistState) is BedsideChecklistScreen
    shown = list(texts(render(view_for(type(screen)), app, screen, Messages("nb"))))
    assert "Kari Nordmann" in shown and "Fall risk" in shown
    await app.flow.logout()
    assert app.nav.stack == []
    assert screen.patient_name == "" and screen.ticked == []  # its own forget() ran


async def test_switching_user_from_the_lock_screen_forgets_every_open_screen(app: AppState) -> None:
    await logged_in(app)
    patient = await app.open_patient("p1")
    checklist = app.nav.push(BedsideChecklistState(patient_name="Kari Nordmann", ticked=["Fall risk"]))
    app.flow.lock_now()
    assert checklist.patient_name and patient.overview is not None  # locking only hides
    await app.flow.logout()
    assert checklist.patient_name == "" and patient.overview is None and patient.summary is None


def test_every_app_screen_declares_a_title_a_usage_name_forget_and_a_view() -> None:
    kinds = app_screens()
    assert {k.__name__ for k in kinds} >= {"PatientState", "ScanState", "NoteEditorState", "MessagesState",
                                           "ComposeState", "OutboxState", "TrendState", "SusState"}
    for kind in kinds:
        assert kind.TITLE in CATALOGUE, kind
        assert kind.USAGE_NAME is None or SCREENS.accepts(kind.USAGE_NAME), kind
        assert not inspect.isabstract(kind), f"{kind.__name__} must say how it forgets patient data"
        assert view_for(kind) is not None
        params = getattr(kind, "__dataclass_params__", None)
        assert params is None or not params.repr, f"{kind.__name__}: a dataclass repr would show its data"


def test_a_screen_without_a_title_is_refused_when_declared() -> None:
    with pytest.raises(TypeError, match="TITLE"):
        class Untitled(PushedScreen):
            def forget(self) -> None: ...


def test_a_screen_without_a_view_is_named_in_the_error() -> None:
    class Viewless(PushedScreen):
        TITLE = "app.name"

        def forget(self) -> None: ...

    with pytest.raises(LookupError, match="Viewless"):
        view_for(Viewless)


async def test_the_shell_hears_the_changes_of_every_part(app: AppState) -> None:
    """Flet re-renders a component when an observable it holds changes, but a change inside a
    nested observable is not passed on by itself: the app state passes on its parts' changes."""
    heard: list[object] = []

    def listener(sender: object, attribute: str | None) -> None:
        heard.append(sender)

    assert isinstance(app, ft.Observable)
    app.subscribe(listener)
    app.flow.phase = Phase.LOCKED
    assert heard == [app]
    app.nav.select_tab(Tab.WARD)
    assert len(heard) > 1
    heard.clear()
    app.sus.shown = True
    assert heard == [app]


async def test_repr_names_no_patient(app: AppState) -> None:
    await logged_in(app)
    patient = await app.open_patient("p1")
    assert patient.patient is not None
    name = patient.patient.family
    scan = app.scans.open_scan()
    scan.set_manual(valid_fnr())
    await scan.submit_manual()
    editor = app.open_note_editor(patient)
    assert editor is None or name not in repr(editor)
    shown = " ".join(repr(x) for x in (app, app.nav, app.flow, app.sus, patient, scan))
    assert name not in shown and valid_fnr() not in shown
    assert repr(app) == "AppState(phase=active, tab=my, screens=2)"


async def test_a_focused_field_does_not_outlive_its_screen(app: AppState) -> None:
    """A typed number opens the patient; Back then lands on the search tab, where the scanner
    works again (the scan screen's field, which had focus, is gone)."""
    await logged_in(app)
    app.nav.select_tab(Tab.SEARCH)
    scan = app.scans.open_scan()
    app.scans.typing(True)
    assert not app.scans.scanning_allowed
    scan.set_manual(valid_fnr())
    await app.scans.submit_manual_scan(scan)
    assert app.nav.top(PatientState) is not None
    assert not any(isinstance(s, ScanState) for s in app.nav.stack)
    assert app.nav.back()
    assert app.nav.tab is Tab.SEARCH and app.scans.scanning_allowed
