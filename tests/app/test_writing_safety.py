"""Clinical text is never lost: Back asks before discarding, a draft says it is a draft and is
continued, edited and signed from Documents and the Notes tab (the same note, no copy), and text
over the limit is kept, counted and refused until shortened (never cut by the field)."""

from __future__ import annotations

from datetime import UTC, datetime

import flet as ft

from mobile_app.domain.models import DocumentSummary, PatientOverview
from mobile_app.services.outbox_items import ItemState
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.messages import ComposeScreen
from mobile_app.ui.screens.note_editor import NoteEditorScreen
from mobile_app.ui.screens.patient import PatientScreen
from mobile_app.ui.screens.patient_notes import PatientNotesTab
from mobile_app.ui.viewmodels.app_state import AppState
from mobile_app.ui.viewmodels.note_editor import NoteEditorState
from mobile_app.ui.viewmodels.patient import PatientState
from tests.support.fake_epj import FakeClient, patient
from tests.support.screens import render, texts

t = Messages("nb")
PASTED = ("Pasienten er innlagt med dyspné. " * 700)[:20_057]  # 20,057 characters, as pasted


def shown(control: object) -> str:
    return " | ".join(texts(control))


def fields(control: object) -> list[ft.TextField]:
    """Every TextField in a control tree."""
    found: list[ft.TextField] = []

    def walk(node: object) -> None:
        if isinstance(node, ft.TextField):
            found.append(node)
        if isinstance(node, list | tuple):
            for item in node:
                walk(item)
        elif isinstance(node, ft.BaseControl):
            for name in ("content", "controls"):
                walk(getattr(node, name, None))

    walk(control)
    return found


async def _editor(writer: AppState) -> tuple[PatientState, NoteEditorState]:
    screen = await writer.open_patient("p1")
    editor = writer.open_note_editor(screen)
    assert editor is not None
    return screen, editor


# ------------------------------------------------------------------ Back asks before discarding


async def test_back_with_unsaved_text_asks_and_keeps_writing(writer: AppState) -> None:
    _, editor = await _editor(writer)
    editor.set_text("Sår revidert, ny bandasje.")
    assert writer.nav.back()  # Back was handled: by asking
    assert writer.nav.top(NoteEditorState) is editor and editor.confirm_discard
    text = shown(render(NoteEditorScreen, writer, editor, t))
    assert editor.text == "Sår revidert, ny bandasje."
    editor.keep_writing()
    assert not editor.confirm_discard and writer.nav.top(NoteEditorState) is editor
    assert text  # rendered with the dialog open


async def test_discarding_is_a_choice(writer: AppState, client: FakeClient) -> None:
    _, editor = await _editor(writer)
    editor.set_text("Skal forkastes")
    writer.nav.back()
    editor.discard()
    assert writer.nav.back()
    assert writer.nav.top(NoteEditorState) is None and writer.nav.top(PatientState) is not None
    assert client.documents == {}


async def test_back_can_save_the_text_as_a_draft(writer: AppState, client: FakeClient) -> None:
    _, editor = await _editor(writer)
    editor.set_text("Lagres som utkast")
    writer.nav.back()
    assert await editor.save_draft_and_leave()
    writer.nav.back()
    assert writer.nav.top(NoteEditorState) is None
    [saved] = client.documents.values()
    assert saved.text == "Lagres som utkast" and saved.status == "preliminary"


async def test_back_without_unsaved_text_just_closes(writer: AppState) -> None:
    _, editor = await _editor(writer)
    writer.nav.back()
    assert writer.nav.top(NoteEditorState) is None
    _, editor = await _editor(writer)
    editor.set_text("Lagret")
    await editor.save(sign=False)
    writer.nav.back()  # saved: nothing to lose
    assert writer.nav.top(NoteEditorState) is None


# ------------------------------------------------------------------ drafts


async def test_a_saved_draft_says_it_is_a_draft_not_sent(writer: AppState) -> None:
    _, editor = await _editor(writer)
    editor.set_text("Utkast til daglig notat")
    item = await editor.save(sign=False)
    assert item is not None and item.state is ItemState.SENT
    text = shown(render(NoteEditorScreen, writer, editor, t))
    assert "Utkast lagret i journalen kl." in text and "ikke signert" in text
    assert "Sendt kl." not in text


async def test_a_draft_is_continued_from_documents_and_signed_as_the_same_note(writer: AppState,
                                                                              client: FakeClient) -> None:
    screen, editor = await _editor(writer)
    editor.set_text("Første utkast")
    await editor.save(sign=False)
    writer.nav.back()
    screen.open_tab("documents")
    [draft] = [d for d in screen.documents if d.text == "Første utkast"]
    assert draft.status == "preliminary"
    screen.open_document(draft.id)
    reader = shown(render(PatientScreen, writer, screen, t))
    assert t("note.continue_sign") in reader and t("pt.document_draft") in reader
    again = writer.continue_note(screen, draft)
    assert again is not None and again.text == "Første utkast" and again.client_id == draft.client_id
    again.set_text("Første utkast, utvidet og signert")
    assert await again.save(sign=True) is not None
    assert len(client.documents) == 1  # the same note, updated
    [note] = client.documents.values()
    assert note.status == "final" and note.text == "Første utkast, utvidet og signert"
    assert [d.client_id for d in client.saved_notes] == [draft.client_id, draft.client_id]


async def test_a_draft_in_the_record_is_continued_from_the_notes_tab(writer: AppState, client: FakeClient) -> None:
    mine = DocumentSummary(id="doc-9", title="Daglig notat", type_code="daglig-notat", type_name="Daglig notat",
                           status="preliminary", text="Påbegynt på PC", author="Kari Nordmann",
                           author_id="prac-001", client_id="6f1c0b5e-0000-4000-8000-000000000009")
    theirs = mine.model_copy(update={"id": "doc-8", "author_id": "prac-002", "author": "Ola Berg",
                                     "client_id": "6f1c0b5e-0000-4000-8000-000000000008"})
    client.overviews["p1"] = PatientOverview(patient=patient("p1"), documents=(mine, theirs),
                                             fetched_at=datetime.now(UTC))
    screen = await writer.open_patient("p1")
    assert screen.drafts == [mine]  # only my own drafts are mine to continue
    assert screen.notes is not None
    tab = shown(render(PatientNotesTab, writer, screen, screen.notes, t))
    assert t("notes.drafts") in tab and t("note.continue_sign") in tab
    editor = writer.continue_note(screen, mine)
    assert editor is not None and editor.text == "Påbegynt på PC" and editor.title == ""
    assert writer.continue_note(screen, theirs) is None
    screen.open_document("doc-8")
    assert t("note.continue_sign") not in shown(render(PatientScreen, writer, screen, t))
    await editor.save(sign=True)
    assert client.saved_notes[-1].client_id == mine.client_id and client.saved_notes[-1].status == "final"


async def test_a_note_edited_from_the_outbox_opens_with_its_patient(writer: AppState, client: FakeClient) -> None:
    from mobile_app.epj.errors import Offline

    _, editor = await _editor(writer)
    client.write_fail = Offline("down")
    editor.set_text("Venter i utboksen")
    item = await editor.save(sign=True)
    assert item is not None and item.pending
    writer.nav.reset()
    again = await writer.edit_outbox_note(item)
    assert again is not None and again.banner is not None and again.banner.patient.identifier == "04835012345"
    assert again.text == "Venter i utboksen" and again.client_id == item.id


# ------------------------------------------------------------------ never cut


async def test_a_pasted_note_over_the_limit_is_kept_counted_and_not_sent(writer: AppState,
                                                                         client: FakeClient) -> None:
    _, editor = await _editor(writer)
    editor.set_text(PASTED)
    assert len(editor.text) == 20_057  # nothing was cut
    assert editor.problem is not None and editor.problem.key == "write.text.too_long"
    view = render(NoteEditorScreen, writer, editor, t)
    text = shown(view)
    assert "Teksten har 20\u00a0057 tegn; høyst 20\u00a0000 er tillatt." in text
    assert "20\u00a0057 / 20\u00a0000 tegn" in text
    assert all(field.max_length is None for field in fields(view))  # the field itself never cuts
    assert await editor.save(sign=True) is None
    assert await editor.save(sign=False) is None
    assert client.documents == {} and client.saved_notes == []
    editor.set_text(PASTED[:20_000])
    assert editor.problem is None
    assert await editor.save(sign=True) is not None
    [note] = client.documents.values()
    assert note.text == PASTED[:20_000]


async def test_own_notes_messages_and_reasons_are_never_cut(writer: AppState) -> None:
    screen = await writer.open_patient("p1")
    notes = screen.notes
    assert notes is not None
    notes.start("ward-note")
    notes.set_text("x" * 1_005)
    assert notes.problem is not None and notes.problem.params["length"] == 1_005
    assert not await notes.save()
    compose = writer.open_compose(about=screen)
    assert compose is not None
    compose.set_text("y" * 2_001)
    assert compose.problem is not None and compose.problem.key == "write.text.too_long"
    view = render(ComposeScreen, writer, compose, t)
    assert all(field.max_length is None for field in fields(view))
    screen.set_reason("z" * 501)
    assert screen.reason_problem is not None and screen.reason_problem.key == "access.reason_long"


async def test_logging_out_with_unsaved_text_asks_first(writer: AppState) -> None:
    _, editor = await _editor(writer)
    editor.set_text("Ikke lagret ennå")
    await writer.flow.request_logout()
    assert writer.flow.confirm_logout and writer.ctx.session.user is not None  # asked, still logged in
    writer.flow.cancel_logout()
    await editor.save(sign=False)
    await writer.flow.request_logout()  # saved: nothing to lose
    assert writer.ctx.session.user is None
