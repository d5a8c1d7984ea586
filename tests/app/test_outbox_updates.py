"""A note delivered in the background updates every screen that shows it, untapped: the menu's
count, the Notes tab, Documents and the editor; and the network coming back sends what waits."""

from __future__ import annotations

from typing import cast

import flet as ft

from mobile_app.epj.errors import Offline
from mobile_app.services.outbox_items import ItemState
from mobile_app.ui.messages import Messages
from mobile_app.ui.screens.note_editor import NoteEditorScreen
from mobile_app.ui.screens.patient_notes import PatientNotesTab
from mobile_app.ui.viewmodels.app_state import AppState
from tests.support.fake_epj import FakeClient
from tests.support.screens import render, texts

t = Messages("nb")


def shown(control: object) -> str:
    return " | ".join(texts(control))


async def test_a_note_sent_in_the_background_updates_every_screen(writer: AppState, client: FakeClient) -> None:
    outbox = writer.ctx.outbox
    assert outbox is not None
    screen = await writer.open_patient("p1")
    editor = writer.open_note_editor(screen)
    assert editor is not None
    client.write_fail = Offline("no network")  # the first try fails; the next one gets through
    editor.set_text("Skrevet uten nett")
    item = await editor.save(sign=True)
    assert item is not None and item.state is ItemState.WAITING
    assert writer.flow.unsent == 1
    assert screen.notes is not None
    assert t("notes.waiting") in shown(render(PatientNotesTab, writer, screen, screen.notes, t))

    heard: list[str | None] = []

    def changed(sender: object, field: str | None) -> None:
        heard.append(field)

    cast(ft.Observable, writer).subscribe(changed)
    outbox.retry_now()
    await outbox.run_due()  # the outbox's own loop, with no tap on any screen

    assert heard  # the shell re-renders: every screen below it is drawn again from the live outbox
    assert writer.flow.unsent == 0  # "Utboks (0 venter)"
    assert t("notes.waiting") not in shown(render(PatientNotesTab, writer, screen, screen.notes, t))
    [note] = [d for d in screen.documents if d.text == "Skrevet uten nett"]
    assert note.status == "final"
    assert editor.current is not None and editor.current.state is ItemState.SENT
    assert "Signert og sendt kl." in shown(render(NoteEditorScreen, writer, editor, t))


async def test_the_network_coming_back_sends_what_waits(writer: AppState, client: FakeClient) -> None:
    outbox = writer.ctx.outbox
    assert outbox is not None
    screen = await writer.open_patient("p1")
    editor = writer.open_note_editor(screen)
    assert editor is not None
    client.write_fail = Offline("no network")
    editor.set_text("Venter på nettet")
    item = await editor.save(sign=True)
    assert item is not None and item.next_attempt_at is not None
    before = outbox.seconds_to_next()
    assert before is not None and before > 0  # waiting for its backoff
    writer.ctx.reachable(False)
    writer.ctx.reachable(True)  # any answer from the EPJ: the network is back
    assert outbox.seconds_to_next() == 0
