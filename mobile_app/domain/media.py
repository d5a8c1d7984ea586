"""Dictations and clinical photos as the outbox carries them, their limits, and a photo read back.

A dictation is sent to the ward's secretary service for transcription ("Send til skriving"); a
clinical photo is attached to the patient. Both carry their bytes while they wait in the outbox
(which is encrypted at rest) and lose them once delivered (``without_media``), so nothing of the
recording or the picture is left on the phone. Like the note drafts each carries its author and a
client id, so a try after a lost answer finds the copy the EPJ already made.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BeforeValidator, Field, PlainSerializer

from mobile_app.domain.writing import Draft, FhirId, InputProblem, Problem, _now, new_client_id

DICTATION_LIMIT_SECONDS = 600  # 10 minutes: the speech service's limit too
AUDIO_LIMIT_BYTES = 5 * 1024 * 1024  # about 10 minutes of Opus or AAC at 32-64 kbit/s
PHOTO_LIMIT_BYTES = 3 * 1024 * 1024  # after the photo is re-encoded (photo_prep.py): far above what it makes
DESCRIPTION_LIMIT = 200
BODY_SITE_LIMIT = 100
AUDIO_TYPES = frozenset({"audio/ogg", "audio/wav", "audio/mp4", "audio/aac", "audio/webm", "audio/mpeg"})
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})


def _from_base64(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as error:
            raise ValueError("not base64") from error
    return value


# Bytes that travel as base64 in JSON (the outbox file), and as bytes in Python.
MediaBytes = Annotated[bytes, BeforeValidator(_from_base64),
                       PlainSerializer(lambda b: base64.b64encode(b).decode("ascii"), return_type=str,
                                       when_used="json")]


class DictationDraft(Draft):
    """A recorded dictation for the transcription workflow. ``ward_id`` names whose secretary
    service transcribes it (the patient's ward)."""

    kind: Literal["dictation"] = "dictation"
    client_id: str = Field(default_factory=new_client_id)
    patient_id: FhirId
    encounter_id: FhirId | None = None
    ward_id: FhirId | None = None
    author_id: FhirId
    author_name: str | None = None
    patient_name: str | None = None  # for showing the outbox item; not sent
    audio: MediaBytes
    content_type: str = "audio/ogg"
    duration: float  # seconds
    recorded_at: AwareDatetime = Field(default_factory=_now)
    created: AwareDatetime = Field(default_factory=_now)

    def without_media(self) -> DictationDraft:
        return self.model_copy(update={"audio": b""})


class PhotoDraft(Draft):
    """A clinical photo (wound, skin change, document) with what it shows and where on the body.
    ``image`` has been re-encoded with no EXIF or location (services/photo_prep.py)."""

    kind: Literal["photo"] = "photo"
    client_id: str = Field(default_factory=new_client_id)
    patient_id: FhirId
    encounter_id: FhirId | None = None
    author_id: FhirId
    author_name: str | None = None
    patient_name: str | None = None  # for showing the outbox item; not sent
    image: MediaBytes
    content_type: str = "image/jpeg"
    width: int = Field(ge=0)
    height: int = Field(ge=0)
    description: str
    body_site: str = ""
    taken_at: AwareDatetime = Field(default_factory=_now)
    created: AwareDatetime = Field(default_factory=_now)

    def without_media(self) -> PhotoDraft:
        return self.model_copy(update={"image": b""})


MediaDraft = DictationDraft | PhotoDraft


def media_problems(draft: MediaDraft) -> list[InputProblem]:
    """Everything wrong with a dictation or photo before it is sent (empty: it may be sent).
    Sizes are in bytes and seconds."""
    found: list[InputProblem] = []
    if isinstance(draft, DictationDraft):
        if not draft.audio or draft.duration <= 0:
            found.append(InputProblem(field="audio", problem=Problem.EMPTY))
        elif len(draft.audio) > AUDIO_LIMIT_BYTES:
            found.append(InputProblem(field="audio", problem=Problem.TOO_LONG, limit=AUDIO_LIMIT_BYTES,
                                      length=len(draft.audio)))
        if draft.duration > DICTATION_LIMIT_SECONDS:
            found.append(InputProblem(field="duration", problem=Problem.TOO_LONG, limit=DICTATION_LIMIT_SECONDS,
                                      length=round(draft.duration)))
        if draft.content_type.split(";")[0].strip() not in AUDIO_TYPES:
            found.append(InputProblem(field="content_type", problem=Problem.UNKNOWN))
        return found
    if not draft.image:
        found.append(InputProblem(field="image", problem=Problem.EMPTY))
    elif len(draft.image) > PHOTO_LIMIT_BYTES:
        found.append(InputProblem(field="image", problem=Problem.TOO_LONG, limit=PHOTO_LIMIT_BYTES,
                                  length=len(draft.image)))
    if draft.content_type not in IMAGE_TYPES:
        found.append(InputProblem(field="content_type", problem=Problem.UNKNOWN))
    if not draft.description.strip():
        found.append(InputProblem(field="description", problem=Problem.EMPTY, limit=DESCRIPTION_LIMIT, length=0))
    elif len(draft.description) > DESCRIPTION_LIMIT:
        found.append(InputProblem(field="description", problem=Problem.TOO_LONG, limit=DESCRIPTION_LIMIT,
                                  length=len(draft.description)))
    if len(draft.body_site) > BODY_SITE_LIMIT:
        found.append(InputProblem(field="body_site", problem=Problem.TOO_LONG, limit=BODY_SITE_LIMIT,
                                  length=len(draft.body_site)))
    return found


@dataclass(frozen=True)
class ClinicalPhoto:
    """A photo of a patient as the EPJ serves it back (for the patient's Photos section)."""

    id: str
    description: str
    body_site: str
    taken_at: datetime | None
    taken_by: str | None
    content_type: str
    image: bytes
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class SentDictation:
    """What the EPJ stored for a dictation: the DocumentReference and the transcription Task."""

    document_id: str
    version: str | None
    task_id: str
    owner: str | None  # the secretary service's name, as the Task names it
