"""The outbox's items and rules: what an item is, its states, how long it waits, what each
failure means for it, and how an item is handed to the EPJ client. No I/O of its own, no clock.

States::

    waiting --try--> sending --ok--> sent
       ^                |
       |                +-- offline / timeout / 5xx / unreadable answer --> waiting (backoff)
       |                +-- not logged in / token expired ---------------> waiting (paused until login)
       |                +-- 403 / 404 / 409 / 412 / 4xx / input refused --> failed (not retried)
       +---- retry / edit (by the author) ------------------------------- failed
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import AwareDatetime, BaseModel, ConfigDict

from mobile_app.domain.media import DictationDraft, PhotoDraft
from mobile_app.domain.models import DocumentSummary, Message, NoteItem, Spo2ScaleChoice, ThrombosisRisk
from mobile_app.domain.recording import AnyDraft, Payload, Spo2ScaleDraft, ThrombosisRiskDraft, VitalSignsDraft
from mobile_app.domain.worklists import Appointment, ArrivalDraft, TaskStatusDraft, WorkTask
from mobile_app.domain.writing import MessageDraft, NoteDraft, PatientNoteDraft
from mobile_app.epj.errors import (
    AccessDenied,
    AuthError,
    BadResponse,
    Conflict,
    EpjError,
    InputRejected,
    InvalidRequest,
    NotFound,
    Offline,
    ServerError,
    TimedOut,
    Unavailable,
)

if TYPE_CHECKING:
    from mobile_app.epj.protocol import Epj


class OutboxError(Exception):
    """The outbox cannot do that (the UI explains; nothing was changed)."""


class NotOpen(OutboxError):
    """No author is logged in to the outbox, or the item belongs to someone else."""


class UnknownItem(OutboxError):
    pass


class ItemNotChangeable(OutboxError):
    """The item is being sent right now, or has been sent, or the edit would change its target."""


class ItemState(StrEnum):
    WAITING = "waiting"  # not sent yet: will be tried (or is paused until the author logs in again)
    SENDING = "sending"  # a try is under way
    SENT = "sent"  # the EPJ confirmed it; ``result`` says what it stored
    FAILED = "failed"  # the EPJ refused it; retrying will not help until the author acts


class Reason(StrEnum):
    """Why the last try did not succeed (the UI turns these into messages)."""

    OFFLINE = "offline"
    TIMEOUT = "timeout"
    SERVER_ERROR = "server_error"
    BAD_RESPONSE = "bad_response"
    NOT_LOGGED_IN = "not_logged_in"
    ACCESS_DENIED = "access_denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    INTERNAL = "internal"


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class ItemError(Record):
    """The last failure: a reason code, the HTTP status if any and the server's own text."""

    reason: Reason
    status: int | None = None
    detail: str = ""
    changed_by: str | None = None  # for a conflict: who saved the newer version
    changed_at: AwareDatetime | None = None


class Delivered(Record):
    """What the EPJ stored, with the stored note or message as the screens show it."""

    resource_type: str
    resource_id: str
    version: str | None = None
    document: DocumentSummary | None = None  # a journal note: add it to the Documents list at once
    note: NoteItem | None = None  # an own or ward note
    message: Message | None = None
    thrombosis_risk: ThrombosisRisk | None = None  # a Padua assessment (the RiskAssessment)
    scale: Spo2ScaleChoice | None = None  # a doctor's SpO2 scale choice (the Flag)
    task_id: str | None = None  # a dictation: the transcription Task made with its DocumentReference
    task_owner: str | None = None  # ... and who transcribes it (the ward's secretary service)
    task: WorkTask | None = None  # a task's status change: the task as stored
    appointment: Appointment | None = None  # an arrival (or its undo): the appointment as stored


class OutboxItem(Record):
    """One write on its way to the EPJ. ``id`` is the write's client id: the note's, message's or
    registration's identifier, or for an own or ward note and a scale choice the id stamped on the
    version it makes."""

    id: str
    author: str  # practitioner id; an item is only ever shown to and sent for its author
    payload: AnyDraft
    created: AwareDatetime
    updated: AwareDatetime
    state: ItemState = ItemState.WAITING
    attempts: int = 0
    next_attempt_at: AwareDatetime | None = None  # None while waiting: paused until login/retry
    last_error: ItemError | None = None
    result: Delivered | None = None
    possibly_delivered: bool = False  # a try may have reached the EPJ (its answer was lost)

    @property
    def kind(self) -> str:
        return self.payload.kind

    @property
    def patient_id(self) -> str | None:
        if isinstance(self.payload, MessageDraft):
            return self.payload.about_patient_id
        return self.payload.patient_id

    @property
    def target(self) -> str:
        return target_of(self.payload)

    @property
    def pending(self) -> bool:
        """Not delivered: the logout warning counts these."""
        return self.state is not ItemState.SENT

    @property
    def paused(self) -> bool:
        return self.state is ItemState.WAITING and self.next_attempt_at is None


def target_of(payload: Payload) -> str:
    """What a write changes; the outbox keeps at most one unsent write per target."""
    if isinstance(payload, PatientNoteDraft):
        return f"{payload.kind}:{payload.author_id if payload.kind == 'own-note' else ''}:{payload.patient_id}"
    if isinstance(payload, Spo2ScaleDraft):
        return f"{payload.kind}::{payload.patient_id}"
    if isinstance(payload, TaskStatusDraft):
        return f"{payload.kind}::{payload.task_id}"
    if isinstance(payload, ArrivalDraft):  # an undo replaces an arrival that is still waiting
        return f"{payload.kind}::{payload.appointment_id}"
    return f"{payload.kind}:{payload.client_id}"


def item_id_for(payload: Payload, fresh: str) -> str:
    """A new item's id: the write's client id, or (for a write that changes the one resource of
    its target: an own or ward note, a scale choice) ``fresh``, stamped on the version it makes."""
    return fresh if isinstance(payload, PatientNoteDraft | Spo2ScaleDraft | TaskStatusDraft | ArrivalDraft) \
        else payload.client_id


def same_identity(old: Payload, new: Payload) -> bool:
    """An edit may change the text, title, type, status and values, never what is written or to whom."""
    if type(old) is not type(new) or old.kind != new.kind or old.author_id != new.author_id:
        return False
    if isinstance(old, MessageDraft) and isinstance(new, MessageDraft):
        return (old.client_id, old.recipient_id, old.about_patient_id) == (
            new.client_id, new.recipient_id, new.about_patient_id)
    if isinstance(old, NoteDraft | VitalSignsDraft | ThrombosisRiskDraft | DictationDraft | PhotoDraft) and \
            isinstance(new, NoteDraft | VitalSignsDraft | ThrombosisRiskDraft | DictationDraft | PhotoDraft):
        return (old.client_id, old.patient_id) == (new.client_id, new.patient_id)
    if isinstance(old, TaskStatusDraft | ArrivalDraft) and isinstance(new, TaskStatusDraft | ArrivalDraft):
        return target_of(old) == target_of(new)
    return isinstance(old, PatientNoteDraft | Spo2ScaleDraft) and isinstance(new, PatientNoteDraft | Spo2ScaleDraft) \
        and old.patient_id == new.patient_id


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: about 2 s, 4 s, 8 s ... never more than 5 minutes."""

    first: float = 2.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.2  # +-20 %, so that phones coming back online do not retry in step

    def nominal(self, attempt: int) -> float:
        """The wait after the ``attempt``-th failed try (1-based), before jitter."""
        return min(self.cap, self.first * self.factor ** max(0, attempt - 1))

    def delay(self, attempt: int, rng: random.Random) -> float:
        return min(self.cap, self.nominal(attempt) * (1 + rng.uniform(-self.jitter, self.jitter)))


class Outcome(StrEnum):
    RETRY = "retry"  # wait and try again
    PAUSE = "pause"  # wait for the author to log in again
    FAIL = "fail"  # stop; the author decides


_REASONS: tuple[tuple[type[EpjError], Reason], ...] = (
    (TimedOut, Reason.TIMEOUT),
    (ServerError, Reason.SERVER_ERROR),
    (Offline, Reason.OFFLINE),
    (Unavailable, Reason.OFFLINE),
    (BadResponse, Reason.BAD_RESPONSE),
    (AuthError, Reason.NOT_LOGGED_IN),
    (AccessDenied, Reason.ACCESS_DENIED),
    (NotFound, Reason.NOT_FOUND),
    (Conflict, Reason.CONFLICT),
    (InputRejected, Reason.INVALID),
    (InvalidRequest, Reason.INVALID),
)


def classify(error: BaseException) -> tuple[Outcome, ItemError, bool]:
    """(what to do, what to show, whether the request may have reached the EPJ) for a failed try."""
    reason = next((r for kind, r in _REASONS if isinstance(error, kind)), Reason.INTERNAL)
    if isinstance(error, EpjError):
        detail, status = error.detail or str(error), error.status
    else:  # a bug must not lose the write: it stays, failed, with what went wrong
        detail, status = f"{type(error).__name__}: {error}", None
    changed_by = changed_at = None
    if isinstance(error, Conflict):
        changed_by, changed_at = error.changed_by, error.changed_at
    item_error = ItemError(reason=reason, status=status, detail=detail, changed_by=changed_by,
                           changed_at=changed_at)
    if isinstance(error, Unavailable | BadResponse):
        reached = not isinstance(error, Unavailable) or error.request_sent
        return Outcome.RETRY, item_error, reached
    if isinstance(error, AuthError):
        return Outcome.PAUSE, item_error, False
    return Outcome.FAIL, item_error, False


def new_item(payload: Payload, item_id: str, now: datetime) -> OutboxItem:
    return OutboxItem(id=item_id, author=payload.author_id, payload=payload, created=now, updated=now,
                      next_attempt_at=now)


class ClientDelivery:
    """Sends an item with the EPJ client; what was stored comes back with the item."""

    def __init__(self, client: Epj) -> None:
        self.client = client

    async def __call__(self, item: OutboxItem) -> Delivered:
        payload = item.payload
        if isinstance(payload, NoteDraft):
            document = await self.client.save_note(payload)
            return Delivered(resource_type="DocumentReference", resource_id=document.id,
                             version=document.version, document=document)
        if isinstance(payload, PatientNoteDraft):
            note = await self.client.save_patient_note(payload, write_id=item.id)
            return Delivered(resource_type="Flag", resource_id=note.id, version=note.version, note=note)
        if isinstance(payload, VitalSignsDraft):
            recorded = await self.client.save_vital_signs(payload)
            return Delivered(resource_type="Observation", resource_id=recorded.panel_id, version=recorded.version)
        if isinstance(payload, ThrombosisRiskDraft):
            risk = await self.client.save_thrombosis_risk(payload)
            return Delivered(resource_type="RiskAssessment", resource_id=risk.id, thrombosis_risk=risk)
        if isinstance(payload, Spo2ScaleDraft):
            choice = await self.client.save_spo2_scale(payload, write_id=item.id)
            return Delivered(resource_type="Flag", resource_id=choice.flag_id, version=choice.version, scale=choice)
        if isinstance(payload, DictationDraft):
            sent = await self.client.save_dictation(payload)
            return Delivered(resource_type="DocumentReference", resource_id=sent.document_id, version=sent.version,
                             task_id=sent.task_id, task_owner=sent.owner)
        if isinstance(payload, PhotoDraft):
            photo = await self.client.save_photo(payload)
            return Delivered(resource_type="Media", resource_id=photo.id)
        if isinstance(payload, TaskStatusDraft):
            task = await self.client.change_task_status(payload)
            return Delivered(resource_type="Task", resource_id=task.id, version=task.version, task=task)
        if isinstance(payload, ArrivalDraft):
            booked = await self.client.register_arrival(payload)
            return Delivered(resource_type="Appointment", resource_id=booked.id, version=booked.version,
                             appointment=booked)
        message = await self.client.send_message(payload)
        return Delivered(resource_type="Communication", resource_id=message.id, version=message.version,
                         message=message)
