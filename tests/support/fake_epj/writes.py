"""Write methods of the fake EPJ client: notes, own/ward notes and messages, kept in memory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mobile_app.domain.models import Colleague, DocumentSummary, Message, NoteItem, Role
from mobile_app.domain.writing import NOTE_TYPES, MessageDraft, NoteDraft, PatientNoteDraft
from mobile_app.epj.errors import Conflict, EpjError
from mobile_app.epj.write_mapping import OwnAndWardNotes


class WriteFakes:
    fail: EpjError | None

    def _init_writes(self) -> None:
        self.documents: dict[str, DocumentSummary] = {}  # by client id: a retry updates, never copies
        self.saved_notes: list[NoteDraft] = []  # every save_note call, in order
        self.notes: dict[tuple[str, str], NoteItem] = {}  # (patient, kind)
        self.messages: list[Message] = []
        self.write_fail: EpjError | None = None

    def _write_failure(self) -> None:
        if self.write_fail is not None:
            error, self.write_fail = self.write_fail, None
            raise error

    async def save_note(self, draft: NoteDraft) -> DocumentSummary:
        self._write_failure()
        earlier = self.documents.get(draft.client_id)
        document = DocumentSummary(id=f"doc-{draft.client_id[:8]}", title=draft.display_title,
                                   type_code=draft.note_type, type_name=NOTE_TYPES.get(draft.note_type),
                                   date=datetime.now(UTC), author=draft.author_name, text=draft.text,
                                   status="final" if draft.status == "final" else "preliminary",
                                   version=str(int(earlier.version or "0") + 1) if earlier else "1",
                                   author_id=draft.author_id, client_id=draft.client_id,
                                   encounter_id=draft.encounter_id)
        self.saved_notes.append(draft)
        self.documents[draft.client_id] = document
        return document

    async def save_patient_note(self, draft: PatientNoteDraft, write_id: str | None = None) -> NoteItem:
        self._write_failure()
        key = (draft.patient_id, draft.kind)
        current = self.notes.get(key)
        if current is not None and draft.version != current.version:
            error = Conflict(f"version {current.version} was saved by {current.modified_by}")
            error.changed_by, error.changed_at = current.modified_by, current.modified_at
            raise error
        version = str(int(current.version or "0") + 1) if current else "1"
        note = NoteItem(id=f"flag-{draft.patient_id}-{draft.kind}", kind=draft.kind, patient_id=draft.patient_id,
                        text=draft.text, version=version, author_id=draft.author_id, modified_by="Kari Nordmann",
                        modified_at=datetime.now(UTC))
        self.notes[key] = note
        return note

    async def list_own_and_ward_notes(self, patient_id: str) -> OwnAndWardNotes:
        return OwnAndWardNotes(self.notes.get((patient_id, "own-note")), self.notes.get((patient_id, "ward-note")))

    async def search_practitioners(self, name: str, limit: int = 20) -> list[Colleague]:
        staff = [Colleague(id="prac-002", name="Ola Berg", role=Role.DOCTOR, wards=("Kirurgisk sengepost",)),
                 Colleague(id="prac-021", name="Ingrid Solheim", role=Role.NURSE)]
        return [c for c in staff if name.lower() in c.name.lower()]

    async def send_message(self, draft: MessageDraft) -> Message:
        self._write_failure()
        message = Message(id=f"msg-{draft.client_id[:8]}", client_id=draft.client_id, sender_id=draft.author_id,
                          recipient_id=draft.recipient_id, recipient_name=draft.recipient_name, text=draft.text,
                          sent=datetime.now(UTC))
        self.messages.append(message)
        return message

    async def inbox(self, practitioner_id: str, limit: int = 50) -> list[Message]:
        return [Message(id="in-1", sender_name="Ola Berg", recipient_id=practitioner_id, text="Kan du se på rom 4?",
                        sent=datetime.now(UTC))]

    async def sent_messages(self, practitioner_id: str, limit: int = 50) -> list[Message]:
        return list(self.messages)

    async def mark_read(self, practitioner_id: str, message_ids: Any) -> int:
        return len(list(message_ids))
