"""What a clinician writes before it is sent: journal note drafts, own and ward notes, messages,
and the input limits they are checked against.

Every draft carries its author and a client-generated id, so the same draft can be sent again after
a lost answer without making a second copy. The drafts are the outbox's payloads, so they are plain
JSON-able models with a ``kind`` that tells them apart.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mobile_app.domain.models import PatientNoteKind

# The journal note types the app offers, with their names. The key is what a draft stores; the
# hospital's document-type code for each is in the EPJ client's terminology profile.
PROGRESS_NOTE = "daglig-notat"
NURSING_NOTE = "sykepleienotat"
NOTE_TYPES: dict[str, str] = {
    PROGRESS_NOTE: "Daglig notat",
    NURSING_NOTE: "Sykepleienotat",
    "innkomstjournal": "Innkomstjournal",
    "epikrise": "Epikrise",
}

# Limits in characters (Python str length, i.e. Unicode code points), checked before sending.
NOTE_TEXT_LIMIT = 20_000
NOTE_TITLE_LIMIT = 200
PATIENT_NOTE_LIMIT = 1_000  # own notes and ward notes
MESSAGE_LIMIT = 2_000

_ID = r"^[A-Za-z0-9\-.]{1,64}$"  # a FHIR id: safe in a URL and a search
FhirId = Annotated[str, Field(pattern=_ID)]


def new_client_id() -> str:
    return str(uuid.uuid4())


def _now() -> datetime:
    return datetime.now(UTC)


class Draft(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)


class NoteStatus(StrEnum):
    DRAFT = "draft"  # DocumentReference.docStatus preliminary
    FINAL = "final"  # signed: docStatus final


class NoteDraft(Draft):
    """A journal note. Saving the same ``client_id`` again updates the same note (a draft can be
    saved many times and then signed); it never makes a second one."""

    kind: Literal["note"] = "note"
    client_id: str = Field(default_factory=new_client_id)
    patient_id: FhirId
    encounter_id: FhirId | None = None
    note_type: str = PROGRESS_NOTE
    title: str = ""  # empty: the name of the note type
    text: str
    status: NoteStatus = NoteStatus.DRAFT
    author_id: FhirId
    author_name: str | None = None  # shown as the note's author in the Documents list
    patient_name: str | None = None  # for showing the outbox item; not sent
    created: AwareDatetime = Field(default_factory=_now)

    @property
    def display_title(self) -> str:
        return self.title or NOTE_TYPES.get(self.note_type, self.note_type)


class PatientNoteDraft(Draft):
    """An own note (``own-note``: only its author sees it) or the ward's note (``ward-note``) on a
    patient. ``version`` is the version the author edited (None for a new note) and ``note_id`` the
    note's id when known; a save that meets a newer version is a conflict."""

    kind: PatientNoteKind
    patient_id: FhirId
    text: str
    author_id: FhirId
    version: str | None = None
    note_id: FhirId | None = None
    patient_name: str | None = None  # for showing the outbox item; not sent
    author_name: str | None = None  # written as the author's display: who saved this version
    created: AwareDatetime = Field(default_factory=_now)


class MessageDraft(Draft):
    """An internal message to a colleague, optionally about a patient."""

    kind: Literal["message"] = "message"
    client_id: str = Field(default_factory=new_client_id)
    author_id: FhirId
    author_name: str | None = None  # the sender's name, sent with the reference: the recipient sees "Fra ..."
    recipient_id: FhirId
    recipient_name: str | None = None  # for showing the outbox item; not sent
    text: str
    about_patient_id: FhirId | None = None
    about_patient_name: str | None = None  # for showing the outbox item; not sent
    created: AwareDatetime = Field(default_factory=_now)


WriteDraft = Annotated[NoteDraft | PatientNoteDraft | MessageDraft, Field(discriminator="kind")]


class Problem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    UNKNOWN = "unknown"
    IMPOSSIBLE = "impossible"  # a measured value outside what is possible
    UNCONFIRMED = "unconfirmed"  # an unusual value the author has not confirmed
    INCOMPLETE = "incomplete"  # a registration that contradicts itself or lacks a part


@dataclass(frozen=True)
class InputProblem:
    """Why a draft may not be sent: ``field`` is ``problem``; limit and length in characters."""

    field: str
    problem: Problem
    limit: int | None = None
    length: int | None = None

    @property
    def message(self) -> str:
        if self.problem is Problem.EMPTY:
            return f"The {self.field} is empty"
        if self.problem is Problem.TOO_LONG:
            return f"The {self.field} has {self.length} characters; at most {self.limit} are allowed"
        if self.problem is Problem.UNKNOWN:
            return f"The {self.field} is not one the app knows"
        return f"The {self.field} is {self.problem.value.replace('_', ' ')}"


def _text_problem(field: str, text: str, limit: int) -> InputProblem | None:
    if not text.strip():
        return InputProblem(field=field, problem=Problem.EMPTY, limit=limit, length=0)
    if len(text) > limit:
        return InputProblem(field=field, problem=Problem.TOO_LONG, limit=limit, length=len(text))
    return None


def input_problems(draft: NoteDraft | PatientNoteDraft | MessageDraft) -> list[InputProblem]:
    """Everything wrong with a draft before it is sent (empty list: it may be sent)."""
    found: list[InputProblem | None] = []
    if isinstance(draft, NoteDraft):
        if draft.note_type not in NOTE_TYPES:
            found.append(InputProblem(field="note_type", problem=Problem.UNKNOWN))
        if len(draft.title) > NOTE_TITLE_LIMIT:
            found.append(InputProblem(field="title", problem=Problem.TOO_LONG, limit=NOTE_TITLE_LIMIT,
                                      length=len(draft.title)))
        found.append(_text_problem("text", draft.text, NOTE_TEXT_LIMIT))
    elif isinstance(draft, PatientNoteDraft):
        found.append(_text_problem("text", draft.text, PATIENT_NOTE_LIMIT))
    else:
        found.append(_text_problem("text", draft.text, MESSAGE_LIMIT))
    return [problem for problem in found if problem is not None]
