"""Every way into a patient ends in the same state: opened at once, after "Prøv igjen" on a failed
load, or after break-the-glass, the Notes tab has the patient's notes and the patient is first in
"Nylig åpnet"."""

from __future__ import annotations

from mobile_app.domain.models import NoteItem
from mobile_app.epj.errors import Offline
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.patient import PatientState
from tests.support.app_sessions import sign_in
from tests.support.fake_epj import FakeClient
from tests.support.screens import render, texts

t = Messages("nb")


def arrived_state(app: AppState, client: FakeClient, screen: PatientState) -> dict[str, object]:
    """What a clinician sees of an opened patient, whatever way they came."""
    notes = screen.notes
    return {
        "overview": screen.overview is not None,
        "notes": notes is not None,
        "ward_note": notes.ward.text if notes is not None and notes.ward else None,
        "labs": screen.labs is not None,
        "remembered": ("remember_recent", screen.patient_id) in client.calls,
        "recent_refreshed": client.calls.count(("my_patients", "prac-001")) >= 2,
    }


def _notes_tab(app: AppState, screen: PatientState) -> list[str]:
    screen.open_tab("notes")
    return list(texts(render(PatientScreen, app, screen, t)))


async def _with_ward_note(client: FakeClient, patient_id: str) -> None:
    client.notes[(patient_id, "ward-note")] = NoteItem(id="n1", kind="ward-note", patient_id=patient_id,
                                                       text="Fallfare", version="1")


async def test_opened_at_once(writer: AppState, client: FakeClient) -> None:
    await _with_ward_note(client, "p1")
    screen = await writer.open_patient("p1")
    await writer.background_done()
    assert arrived_state(writer, client, screen) == {
        "overview": True, "notes": True, "ward_note": "Fallfare", "labs": True, "remembered": True,
        "recent_refreshed": True}
    assert t("pt.notes_placeholder") not in _notes_tab(writer, screen)


async def test_after_try_again_on_a_failed_load(writer: AppState, client: FakeClient) -> None:
    await _with_ward_note(client, "p2")
    client.fail = Offline("no network")
    screen = await writer.open_patient("p2")
    assert screen.overview is None and screen.notes is None
    assert await screen.load()  # "Prøv igjen"
    await writer.background_done()
    assert arrived_state(writer, client, screen) == {
        "overview": True, "notes": True, "ward_note": "Fallfare", "labs": True, "remembered": True,
        "recent_refreshed": True}
    shown = _notes_tab(writer, screen)
    assert t("pt.notes_placeholder") not in shown  # the Notes tab itself, not its placeholder


async def test_after_break_the_glass(writer: AppState, client: FakeClient) -> None:
    await _with_ward_note(client, "p7")
    client.no_access.add("p7")
    screen = await writer.open_patient("p7")
    assert screen.no_access
    await writer.background_done()
    assert ("remember_recent", "p7") not in client.calls  # not opened: nothing is recorded
    screen.set_reason("Hjertestans, trenger kritisk info")
    assert await screen.break_glass()
    await writer.background_done()
    assert arrived_state(writer, client, screen) == {
        "overview": True, "notes": True, "ward_note": "Fallfare", "labs": True, "remembered": True,
        "recent_refreshed": True}
    shown = _notes_tab(writer, screen)
    assert t("pt.notes_placeholder") not in shown  # the Notes tab itself, not its placeholder


async def test_an_epj_without_break_the_glass_from_the_app_says_to_take_it_in_the_epj(
        writer: AppState, client: FakeClient) -> None:
    """A plain FHIR server honours no break-the-glass header: the screen says so plainly (take
    emergency access in the EPJ) instead of offering the form again, and opens once access exists."""
    client.no_access.add("p7")
    client.glass_in_epj_only.add("p7")
    screen = await writer.open_patient("p7")
    screen.set_reason("Hjertestans, trenger kritisk info")
    assert not await screen.break_glass()
    assert screen.no_access and screen.break_glass_in_epj
    shown = " ".join(texts(render(PatientScreen, writer, screen, t)))
    assert t("access.btg_in_epj") in shown and t("access.grant") not in shown
    client.no_access.discard("p7")  # emergency access taken in the EPJ
    assert await screen.load()
    assert screen.overview is not None and not screen.no_access


async def test_a_login_server_without_break_the_glass_never_offers_the_form(client: FakeClient,
                                                                             app: AppState) -> None:
    """Known at login from the smart-configuration: the role may break the glass, but this EPJ gives
    no emergency access from the app. My patients says so, and a closed record says to use the EPJ
    without asking for a reason first."""
    from mobile_app.domain.roles import Action
    from mobile_app.ui.screens.my_patients import MyPatientsScreen

    client.btg_offered = False
    await sign_in(app)
    assert not app.ctx.may(Action.BREAK_THE_GLASS) and app.ctx.turned_off() == [Action.BREAK_THE_GLASS]
    assert t("my.turned_off", actions=t("action.break_the_glass")) in " ".join(texts(render(
        MyPatientsScreen, app, app.my, t)))
    client.no_access.add("p7")
    screen = await app.open_patient("p7")
    assert screen.no_access and screen.break_glass_turned_off
    shown = " ".join(texts(render(PatientScreen, app, screen, t)))
    assert t("access.btg_in_epj") in shown and t("access.grant") not in shown
    assert t("access.no_btg_role") not in shown
    assert not await screen.break_glass()  # nothing is asked of the server
    assert ("break_glass", "p7") not in client.calls


async def test_a_patient_is_remembered_once_per_opening(writer: AppState, client: FakeClient) -> None:
    screen = await writer.open_patient("p1")
    await screen.load()
    await screen.load()
    await writer.background_done()
    assert client.calls.count(("remember_recent", "p1")) == 1
