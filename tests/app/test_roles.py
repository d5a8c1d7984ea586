"""Who may do what follows the user's role (domain/roles.py): only doctors sign results; each role
is offered its own note types with its own default; what a role may not do is hidden, not greyed."""

from __future__ import annotations

import pytest

from mobile_app.domain.models import Role
from mobile_app.domain.roles import Action, permissions
from mobile_app.domain.writing import NOTE_TYPES, NURSING_NOTE, PROGRESS_NOTE
from mobile_app.services.outbox import Outbox
from mobile_app.services.outbox_store import MemoryOutboxStore
from mobile_app.services.session import Session
from mobile_app.services.token_store import MemoryTokenStore
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.lab import LabTab
from mobile_app.ui.screens.note_editor import NoteEditorScreen
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.base import AppContext
from tests.support.app_sessions import sign_in
from tests.support.clocks import MonotonicClock
from tests.support.fake_epj import FakeClient
from tests.support.screens import render, texts

t = Messages("nb")


@pytest.mark.parametrize(("role", "signs", "types"), [
    (Role.DOCTOR, True, ["daglig-notat", "innkomstjournal", "epikrise", "sykepleienotat"]),
    (Role.NURSE, False, ["sykepleienotat", "daglig-notat"]),
    (Role.HEALTH_WORKER, False, ["sykepleienotat"]),
    (Role.AUDITOR, False, []),
    (Role.OTHER, False, []),
])
def test_the_permission_table(role: Role, signs: bool, types: list[str]) -> None:
    table = permissions(role)
    assert table.may(Action.SIGN_RESULTS) is signs
    assert list(table.note_types) == types
    assert table.default_note_type == (types[0] if types else None)
    assert table.may(Action.WRITE_JOURNAL_NOTE) is bool(types)
    assert set(types) <= set(NOTE_TYPES)


async def _app_as(role: Role) -> tuple[AppState, FakeClient]:
    client = FakeClient()
    client.role = role  # the EPJ's PractitionerRole; the fake's login answer always says doctor
    session = Session(client, MemoryTokenStore(), idle_seconds=300, clock=MonotonicClock())
    outbox = Outbox.for_client(client, MemoryOutboxStore())
    app = AppState(AppContext(client=client, session=session, outbox=outbox))
    await sign_in(app, "spl1")
    return app, client


async def test_the_role_is_the_one_the_epj_gives() -> None:
    app, client = await _app_as(Role.NURSE)
    assert app.ctx.session.user is not None and app.ctx.session.user.role is Role.NURSE
    assert ("my_role", "prac-001") in client.calls


async def test_a_nurse_reads_results_but_is_offered_no_signing() -> None:
    app, _ = await _app_as(Role.NURSE)
    screen = await app.open_patient("p1")
    assert screen.labs is not None
    screen.open_tab("lab")
    await screen.labs.opened()
    labs = screen.labs
    assert labs.panel is not None and labs.panel.latest
    assert labs.signable() == ()
    labs.select_all()
    assert not await labs.sign()
    shown = list(texts(render(LabTab, app, screen, labs, t)))
    assert not any(text.startswith(("Signer (", "Velg alle")) for text in shown), shown
    assert t("lab.unsigned") in shown  # the nurse still sees that the doctor has not signed


async def test_a_doctor_is_offered_signing() -> None:
    app, _ = await _app_as(Role.DOCTOR)
    screen = await app.open_patient("p1")
    assert screen.labs is not None
    await screen.labs.opened()
    assert screen.labs.signable()
    shown = list(texts(render(LabTab, app, screen, screen.labs, t)))
    assert t("lab.sign", count=0) in shown


@pytest.mark.parametrize(("role", "default", "offered"), [
    (Role.NURSE, NURSING_NOTE, {"Sykepleienotat", "Daglig notat"}),
    (Role.HEALTH_WORKER, NURSING_NOTE, {"Sykepleienotat"}),
    (Role.DOCTOR, PROGRESS_NOTE, {"Daglig notat", "Innkomstjournal", "Epikrise", "Sykepleienotat"}),
])
async def test_each_role_is_offered_its_note_types(role: Role, default: str, offered: set[str]) -> None:
    app, _ = await _app_as(role)
    screen = await app.open_patient("p1")
    editor = app.open_note_editor(screen)
    assert editor is not None and editor.note_type == default
    assert set(editor.note_types.values()) == offered
    dropdown_texts = set(texts(render(NoteEditorScreen, app, editor, t)))
    assert offered <= dropdown_texts
    assert not ({"Innkomstjournal", "Epikrise"} - offered) & dropdown_texts


async def test_a_note_type_the_role_may_not_write_is_refused() -> None:
    app, client = await _app_as(Role.NURSE)
    screen = await app.open_patient("p1")
    editor = app.open_note_editor(screen)
    assert editor is not None
    editor.note_type, editor.text = "epikrise", "Utskrives i dag."
    assert await editor.save(sign=True) is None
    assert editor.problem is not None and editor.problem.key == "write.note_type.not_allowed"
    assert client.documents == {}


async def test_a_role_without_note_types_is_not_offered_a_journal_note() -> None:
    app, _ = await _app_as(Role.AUDITOR)
    screen = await app.open_patient("p1")
    screen.open_tab("notes")
    shown = list(texts(render(PatientScreen, app, screen, t)))
    assert t("notes.new_note") not in shown
    assert t("notes.edit", what=t("notes.ward-note").lower()) not in shown
    assert app.open_note_editor(screen) is None
