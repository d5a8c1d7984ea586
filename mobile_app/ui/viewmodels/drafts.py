"""Journal notes written on this phone, and drafts to continue: what the Documents list and the Notes
tab show of them, and which note the user may open again in the editor.

A draft is a note saved without signing: in the record (docStatus preliminary) or still in the
outbox. Its author continues it, edits it and signs it; saving again uses the same client id, so
the same DocumentReference is updated and no second note is made.
"""

from __future__ import annotations

from collections.abc import Iterable

from mobile_app.domain.models import DocumentSummary
from mobile_app.domain.roles import Permissions
from mobile_app.domain.writing import NOTE_TYPES, NoteDraft, NoteStatus
from mobile_app.services.outbox_items import OutboxItem

# DocumentSummary.status of a note still in the outbox: signed, or a draft.
WAITING = "waiting"
WAITING_DRAFT = "waiting-draft"
DRAFTS = ("preliminary", WAITING_DRAFT)


def written_notes(items: Iterable[OutboxItem], patient_id: str) -> list[DocumentSummary]:
    """The patient's journal notes written here: delivered ones as the EPJ stored them, waiting
    ones as they will be (status ``waiting``), newest first."""
    notes: list[DocumentSummary] = []
    for item in items:
        payload = item.payload
        if not isinstance(payload, NoteDraft) or payload.patient_id != patient_id:
            continue
        if item.result is not None and item.result.document is not None:
            notes.append(item.result.document)
        elif item.pending:
            notes.append(DocumentSummary(
                id=f"outbox:{item.id}", title=payload.display_title, type_code=payload.note_type,
                type_name=NOTE_TYPES.get(payload.note_type), date=payload.created, author=payload.author_name,
                status=WAITING_DRAFT if payload.status is NoteStatus.DRAFT else WAITING, text=payload.text,
                author_id=payload.author_id, client_id=item.id,
                encounter_id=payload.encounter_id))
    return notes


def documents_with_written(documents: Iterable[DocumentSummary],
                           written: Iterable[DocumentSummary]) -> list[DocumentSummary]:
    """The record's documents with the notes written here in front (the newer copy of the same note
    wins: by id, or by client id for a note still waiting)."""
    fresh = list(written)
    ids = {d.id for d in fresh}
    clients = {d.client_id for d in fresh if d.client_id}
    return [*fresh, *(d for d in documents if d.id not in ids and not (d.client_id and d.client_id in clients))]


def may_continue(document: DocumentSummary, user_id: str | None, rights: Permissions) -> bool:
    """Whether the user may open this note again in the editor: their own note, not yet signed in
    the record (a draft there, or anything still waiting in the outbox), of a type their role
    writes, with the id that lets it be saved again."""
    return (document.status in (*DRAFTS, WAITING) and user_id is not None
            and document.author_id == user_id and document.client_id is not None
            and document.type_code is not None and rights.may_write(document.type_code))


def my_drafts(documents: Iterable[DocumentSummary], user_id: str | None,
              rights: Permissions) -> list[DocumentSummary]:
    """The user's drafts on this patient (saved, not signed), to continue and sign."""
    return [d for d in documents if d.status in DRAFTS and may_continue(d, user_id, rights)]
