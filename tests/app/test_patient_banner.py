"""The patient banner never drops critical information: it says what it is ("CAVE: Lateks –
anafylaksi"), keeps the list's marker when the record cannot be fetched, says so when it could not
look, and stays (collapsed while scrolling) on every screen about the patient."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mobile_app.domain.critical_summary import CriticalState, critical_summary
from mobile_app.domain.models import Allergy, CriticalCondition, CriticalInfo, Implant, PatientOverview
from mobile_app.epj.errors import Offline
from mobile_app.services.outbox import Outbox
from mobile_app.ui.components.patient import patient_banner
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.dictation import DictationScreen
from mobile_app.ui.screens.messages import ComposeScreen
from mobile_app.ui.screens.note_editor import NoteEditorScreen
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.trend import TrendScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.banner import BannerFacts, collapsed_after
from mobile_app.ui.viewmodels.dictation import DictationState, dictation_for
from mobile_app.ui.viewmodels.messages import ComposeState
from mobile_app.ui.viewmodels.note_editor import NoteEditorState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient, patient
from tests.support.screens import controls, render, texts

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
LATEX = CriticalInfo(allergies=(Allergy(substance="Lateks", criticality="high", reactions=("Anafylaksi",)),),
                     flagged=True)
t = Messages("nb")


def shown(control: object) -> str:
    return " | ".join(texts(control))


def test_the_summary_says_what_is_critical() -> None:
    info = CriticalInfo(allergies=(*LATEX.allergies, Allergy(substance="Kodein", criticality="low")),
                        conditions=(CriticalCondition(text="Binyrebarksvikt"),), implants=(Implant(text="Pacemaker"),))
    summary = critical_summary(info)
    assert summary.state is CriticalState.KNOWN
    assert [(i.kind, i.text, i.detail) for i in summary.items] == [
        ("allergy", "Lateks", "anafylaksi"), ("condition", "Binyrebarksvikt", None), ("implant", "Pacemaker", None)]


@pytest.mark.parametrize(("info", "marked", "state"), [
    (None, True, CriticalState.PRESENT),  # the list said so; the record has not come
    (None, False, CriticalState.UNKNOWN),  # nobody has looked: not "none"
    (CriticalInfo(), False, CriticalState.NONE),
    (CriticalInfo(), True, CriticalState.PRESENT),  # the list's marker is never dropped
    (CriticalInfo(flagged=True), False, CriticalState.PRESENT),
])
def test_what_is_known_is_never_lost(info: CriticalInfo | None, marked: bool, state: CriticalState) -> None:
    assert critical_summary(info, marked=marked).state is state


async def _logged_in(app: AppState) -> AppState:
    await sign_in(app, "lege1")
    return app


async def test_a_failed_overview_keeps_the_ward_lists_critical_marker(app: AppState, client: FakeClient) -> None:
    await _logged_in(app)
    client.fail = Offline("no network")
    screen = await app.open_patient("p1", patient("p1"), opened_from="ward", critical=True)
    text = shown(render(PatientScreen, app, screen, t))
    assert t("banner.critical_present_unfetched") in text
    assert t("state.offline") in text


async def test_a_failed_overview_says_critical_information_was_not_checked(app: AppState,
                                                                          client: FakeClient) -> None:
    await _logged_in(app)
    client.fail = Offline("no network")
    screen = await app.open_patient("p1", patient("p1"), opened_from="search")
    assert t("banner.critical_unknown") in shown(render(PatientScreen, app, screen, t))


async def test_the_banner_says_what_the_critical_information_is(app: AppState, client: FakeClient) -> None:
    await _logged_in(app)
    client.overviews["p1"] = PatientOverview(patient=patient("p1"), critical=LATEX, fetched_at=NOW)
    screen = await app.open_patient("p1")
    assert "CAVE: Lateks – anafylaksi" in shown(render(PatientScreen, app, screen, t))


async def test_every_screen_about_the_patient_has_the_banner(app: AppState, client: FakeClient) -> None:
    await _logged_in(app)
    client.overviews["p1"] = PatientOverview(patient=patient("p1"), critical=LATEX, fetched_at=NOW)
    screen = await app.open_patient("p1")
    assert screen.labs is not None
    await screen.labs.reload()
    assert screen.labs.panel is not None
    trend = app.open_trend(screen, screen.labs.panel.latest[0])
    outbox = Outbox.for_client(client)
    outbox.open("prac-001")
    editor = NoteEditorState(app.ctx, outbox, "p1", "Kari Nordmann", banner=screen.banner)
    compose = ComposeState(app.ctx, outbox, about_patient_id="p1", about_patient_name="Kari Nordmann",
                           banner=screen.banner)
    for view, state in ((TrendScreen, trend), (NoteEditorScreen, editor), (ComposeScreen, compose)):
        text = shown(render(view, app, state, t))
        assert "048350 12345" in text, view  # the person number: Bodil Lund is not Bodil Lunde
        assert "CAVE: Lateks – anafylaksi" in text, view
    # A dictation, from the overview or from the note's or the message's "Dikter", has it too.
    app.ctx.outbox = outbox
    dictations: list[object] = [dictation_for(app.ctx, screen)]
    for view, state in ((NoteEditorScreen, editor), (ComposeScreen, compose)):
        await labelled(render(view, app, state, t), t("dictation.open")).on_click()
        dictations.append(app.nav.stack[-1])
    for dictation in dictations:
        assert isinstance(dictation, DictationState)
        text = shown(render(DictationScreen, app, dictation, t))
        assert "048350 12345" in text and "CAVE: Lateks – anafylaksi" in text, text


def labelled(tree: object, label: str) -> Any:
    [found] = [c for c in controls(tree) if getattr(c, "content", None) == label and getattr(c, "on_click", None)]
    return found


def test_the_banner_collapses_while_scrolling_and_keeps_who_and_what() -> None:
    assert not collapsed_after(10, collapsed=False) and collapsed_after(40, collapsed=False)
    assert collapsed_after(10, collapsed=True) and not collapsed_after(0, collapsed=True)
    facts = critical_summary(LATEX)
    small = shown(patient_banner(t, BannerFacts(patient("p1"), facts), NOW.date(), collapsed=True))
    assert "Kari Nordmann" in small and "048350 12345" in small and "CAVE: Lateks – anafylaksi" in small
    assert "f. 04.03.1950" not in small  # one line: the rest waits until the content is back at the top
