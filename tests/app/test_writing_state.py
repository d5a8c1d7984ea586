"""Writing from the screens: the note editor, own and ward notes, messages, the outbox and logout."""

from __future__ import annotations

from mobile_app.epj.errors import Offline
from mobile_app.services.outbox_items import ItemState
from mobile_app.services.session import Phase
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.ward import WardScreen
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.messages import ComposeState
from mobile_app.ui.viewmodels.note_editor import NoteEditorState
from mobile_app.ui.viewmodels.patient import PatientState
from tests.support.fake_epj import FakeClient
from tests.support.screens import render, texts


async def test_a_signed_note_is_sent_and_shows_in_the_patients_documents(writer: AppState, client: FakeClient) -> None:
    patient = await writer.open_patient("p1")
    editor = writer.open_note_editor(patient)
    assert isinstance(editor, NoteEditorState)
    editor.set_text("Pasienten er i bedring.")
    item = await editor.save(sign=True)
    assert item is not None and item.state is ItemState.SENT
    writer.after_note_signed(editor)
    assert writer.nav.top(PatientState) is patient and patient.tab == "documents"
    assert len(client.documents) == 1


async def test_empty_and_too_long_notes_are_refused_before_sending(writer: AppState, client: FakeClient) -> None:
    editor = writer.open_note_editor(await writer.open_patient("p1"))
    assert editor is not None
    assert await editor.save(sign=True) is None
    assert editor.problem is not None and editor.problem.key == "write.text.empty"
    editor.set_text("x" * (editor.limit + 1))
    assert await editor.save(sign=True) is None
    assert editor.problem is not None and editor.problem.key == "write.text.too_long"
    assert editor.problem.params["limit"] == editor.limit
    assert client.documents == {}


async def test_offline_notes_wait_and_saving_again_never_makes_a_copy(writer: AppState, client: FakeClient) -> None:
    editor = writer.open_note_editor(await writer.open_patient("p1"))
    assert editor is not None
    editor.set_text("Skrevet uten nett")
    client.write_fail = Offline("no network")
    item = await editor.save(sign=False)
    assert item is not None and item.state is ItemState.WAITING
    assert writer.flow.unsent == 1
    editor.set_text("Skrevet uten nett, rettet")
    item = await editor.save(sign=True)
    assert item is not None and item.state is ItemState.SENT
    assert [d.text for d in client.documents.values()] == ["Skrevet uten nett, rettet"]


async def test_ward_note_conflict_names_who_changed_it_and_keeps_the_text(writer: AppState, client: FakeClient) -> None:
    patient = await writer.open_patient("p1")
    notes = patient.notes
    assert notes is not None
    notes.start("ward-note")
    notes.text = "Fallfare, sengehest"
    assert await notes.save()
    assert notes.ward is not None and notes.ward.version == "1"
    # a colleague saves version 2 meanwhile
    other = notes.ward.model_copy(update={"version": "2", "text": "Isolat", "modified_by": "Ingrid Solheim"})
    client.notes[("p1", "ward-note")] = other
    notes.start("ward-note")
    notes.text = "Fallfare, sengehest, rullator"
    assert not await notes.save()
    assert notes.problem is not None and notes.problem.key == "write.reason.conflict"
    assert notes.problem.params["name"] == "Ingrid Solheim"
    assert notes.text == "Fallfare, sengehest, rullator"  # nothing lost
    await notes.reload()
    assert notes.ward is not None and notes.ward.version == "2"
    assert await notes.save()
    assert client.notes[("p1", "ward-note")].text == "Fallfare, sengehest, rullator"


async def test_a_conflict_with_no_name_from_the_epj_says_someone_else(writer: AppState, client: FakeClient) -> None:
    """An EPJ that says nothing of who saved the newer version: "someone else", never "?" or a guess."""
    patient = await writer.open_patient("p1")
    notes = patient.notes
    assert notes is not None
    notes.start("ward-note")
    notes.text = "Fallfare"
    assert await notes.save()
    assert notes.ward is not None
    client.notes[("p1", "ward-note")] = notes.ward.model_copy(update={"version": "2", "modified_by": None})
    notes.start("ward-note")
    notes.text = "Fallfare, rullator"
    assert not await notes.save()
    assert notes.problem is not None and notes.problem.key == "write.reason.conflict_someone"
    patient.open_tab("notes")
    shown = " ".join(texts(render(PatientScreen, writer, patient, Messages("nb"))))
    assert "noen andre" in shown and "?" not in Messages("nb")(notes.problem.key, **notes.problem.params)


async def test_a_saved_ward_note_shows_on_the_overview_and_in_the_ward_list(writer: AppState) -> None:
    t = Messages("nb")
    patient = await writer.open_patient("p1")
    assert patient.notes is not None
    assert "Fallfare" not in " ".join(texts(render(PatientScreen, writer, patient, t)))
    patient.notes.start("ward-note")
    patient.notes.text = "Fallfare, sengehest"
    assert await patient.notes.save()
    patient.open_tab("overview")
    overview = " ".join(texts(render(PatientScreen, writer, patient, t)))
    assert "Fallfare, sengehest" in overview and t("notes.ward-note") in overview
    await writer.ward.refresh()
    bed = next(b for b in writer.ward.beds if b.patient and b.patient.id == "p1")
    assert bed.ward_note == "Fallfare, sengehest"
    assert "Fallfare, sengehest" in " ".join(texts(render(WardScreen, writer, writer.ward, t)))


async def test_messages_to_a_colleague_found_by_name(writer: AppState, client: FakeClient) -> None:
    compose = writer.open_compose()
    assert isinstance(compose, ComposeState)
    assert await compose.send() is None and compose.problem is not None
    assert compose.problem.key == "write.no_recipient"
    await compose.search("ola")
    assert [c.name for c in compose.found] == ["Ola Berg"]
    compose.choose(compose.found[0])
    compose.text = "Kan du se på pasienten i rom 4?"
    assert await compose.send() is not None
    assert client.messages[0].recipient_id == "prac-002"
    box = writer.open_messages()
    await box.refresh()
    assert box.unread == 1
    await box.open("in-1")
    assert box.unread == 0


async def test_logout_warns_while_writes_wait(writer: AppState, client: FakeClient) -> None:
    editor = writer.open_note_editor(await writer.open_patient("p1"))
    assert editor is not None
    editor.set_text("venter")
    client.write_fail = Offline("no network")
    await editor.save(sign=True)
    await writer.flow.request_logout()
    assert writer.flow.confirm_logout and writer.flow.phase is Phase.ACTIVE
    writer.flow.cancel_logout()
    assert not writer.flow.confirm_logout
    await writer.flow.request_logout()
    await writer.flow.request_logout()  # "log out anyway"
    assert writer.flow.phase is Phase.LOGGED_OUT
    assert writer.outbox is not None and writer.outbox.items == []  # not shown to the next user
